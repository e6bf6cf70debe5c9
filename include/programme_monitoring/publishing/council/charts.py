"""The Council report's two charts, drawn with matplotlib and embedded as PNG data URIs.

* ``chart_series``: the statement's result figures per year over the periods of the
  programmes that ran in the report's year (``rpt_headline_figures``), the report's year
  marked, a year with no figure marked as such.
* ``chart_states``: the states' own totals of the indicators behind some of those figures,
  as horizontal bars with the states' names (``fct_indicator_values``); a figure a state
  did not report is written "not reported" where its bar would be.

Sized for the printed page (A4 landscape, 270 mm wide at 150 dpi): a title on every pane,
the unit on the value axis, the legend below the panes, never over the data. Which
figures are drawn is a presentation choice, made once here by headline column; the
indicators behind a figure are the ``headline_figures`` seed's. matplotlib is imported
only when a chart is drawn.
"""

from __future__ import annotations

import base64
import io
import textwrap

from programme_monitoring.publishing import formatting
from programme_monitoring.publishing.council.queries import MartData, Section
from programme_monitoring.publishing.council.text import TEXT
from programme_monitoring.publishing.labels import figure_labels
from programme_monitoring.reference import load_reference

# The headline figures drawn as time series: two panes of two.
SERIES_COLUMNS = (
    ("crimes_identified", "persons_brought_to_justice"),
    ("criminal_groups_terminated", "migration_channels_blocked"),
)
# The headline figures whose indicators are drawn state by state: two panes.
STATE_CHART_COLUMNS = (("crimes_identified",), ("criminal_groups_terminated", "migration_channels_blocked"))
WIDTH_INCHES = 10.6  # the printed width of the page's text, about 270 mm
COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7f6000")


def indicators_of(columns: tuple[str, ...]) -> list[str]:
    """The indicator codes behind headline columns, in the seed's order."""
    seed = load_reference().headline_figures
    return [code for column in columns for code in seed[seed.headline_column == column].indicator_code]


def report_years(data: MartData, year: int) -> list[int]:
    """The years of the programmes that ran in ``year`` (first to last year of their
    periods), among the years the marts hold: a 2014 report shows 2014-2018, not 2019,
    when only the illegal-migration programme (2015-2019) still ran."""
    reference = load_reference()
    periods = [reference.programme_period(code) for code in sorted(reference.programme_codes)]
    running = [(first, last) for first, last in periods if first <= year <= last] or [(year, year)]
    first, last = min(p[0] for p in running), max(p[1] for p in running)
    held = {r["reporting_year"] for r in data.sections["headline"].records()}
    return [y for y in range(first, last + 1) if y in held] or [year]


def _wrap(text: str, width: int = 48) -> str:
    return "\n".join(textwrap.wrap(text, width))


def chart_series(
    headline: Section, lang: str, year: int, years: list[int], breaks: dict[str, set[int]] | None = None
) -> str:
    """``breaks``: headline column -> the years whose figure is made of other programmes'
    reports than the year before's (drawn as a dotted line between the two years)."""
    plt = _pyplot()
    breaks = breaks or {}
    t, labels = TEXT[lang], figure_labels(lang)
    by_year = {r["reporting_year"]: r for r in headline.records()}
    figure, panes = plt.subplots(1, 2, figsize=(WIDTH_INCHES, 3.3))
    for pane, columns in zip(panes, SERIES_COLUMNS, strict=True):
        for colour, column in zip(COLOURS, columns, strict=False):
            values = [by_year.get(y, {}).get(column) for y in years]
            pane.plot(years, [v if v is not None else float("nan") for v in values], marker="o", color=colour)
            pane.plot([], [], marker="o", color=colour, label=_wrap(labels[column]))
            for y, v in zip(years, values, strict=True):
                if v is None:  # a year with no figure: said, not drawn as zero
                    pane.annotate(
                        t["missing_bar"], (y, 0), ha="center", va="bottom", fontsize=7, color="#777"
                    )
        pane.axvline(year, color="#999", linestyle="--", linewidth=1, label=t["report_year_line"])
        changed = sorted({y for column in columns for y in breaks.get(column, ())})
        for i, y in enumerate(changed):
            label = t["composition_line"] if i == 0 else None
            pane.axvline(y - 0.5, color="#b00000", linestyle=":", linewidth=1.2, label=label)
        pane.set_xticks(years, [formatting.year(y) for y in years])
        pane.set_xlabel(t["year_axis"])
        pane.set_ylabel(t["unit_count"])
        pane.set_ylim(bottom=0)
        pane.yaxis.set_major_formatter(_count_formatter(lang))
        pane.grid(alpha=0.3)
        pane.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=1, frameon=False)
    figure.suptitle(t["series_title"], fontsize=11)
    return _png(figure)


def chart_states(data: MartData, lang: str, year: int) -> str:
    plt = _pyplot()
    from matplotlib.transforms import ScaledTranslation

    t, labels = TEXT[lang], figure_labels(lang)
    panes_codes = [indicators_of(columns) for columns in STATE_CHART_COLUMNS]
    wanted = {code for codes in panes_codes for code in codes}
    records = [r for r in data.sections["indicators"].records() if r["indicator_code"] in wanted]
    states = sorted(
        {r["state_code"] for r in records}, key=lambda s: data.name("state", s, lang), reverse=True
    )
    value = {(r["state_code"], r["indicator_code"]): r["value"] for r in records}
    height = 0.3 * len(states) + 1.9
    figure, panes = plt.subplots(1, 2, figsize=(WIDTH_INCHES, height))
    for pane, codes, columns in zip(panes, panes_codes, STATE_CHART_COLUMNS, strict=True):
        bar = 0.8 / max(len(codes), 1)
        top = max((value.get((s, c)) or 0 for s in states for c in codes), default=0) or 1
        for i, (colour, code) in enumerate(zip(COLOURS, codes, strict=False)):
            ys = [s + (len(codes) - 1 - i) * bar - 0.4 + bar / 2 for s in range(len(states))]
            xs = [value.get((state, code)) for state in states]
            pane.barh(
                ys,
                [x or 0 for x in xs],
                height=bar,
                color=colour,
                label=_wrap(data.name("indicator", code, lang)),
            )
            for y, state, x in zip(ys, states, xs, strict=True):
                if (state, code) in value and x is None:  # reported as not available
                    pane.text(
                        top * 0.01,
                        y,
                        t["missing_bar"],
                        va="center",
                        fontsize=6.5,
                        color="#777",
                        style="italic",
                    )
        for s, state in enumerate(states):
            if not any((state, code) in value for code in codes):  # no report carrying these figures
                pane.text(
                    top * 0.01, s, t["no_report"], va="center", fontsize=6.5, color="#777", style="italic"
                )
        pane.set_yticks(range(len(states)), [data.name("state", s, lang) for s in states], fontsize=7.5)
        pane.set_xlabel(t["unit_count"])
        pane.xaxis.set_major_formatter(_count_formatter(lang))
        pane.set_title(_wrap(" / ".join(labels[c] for c in columns), 60), fontsize=8.5)
        pane.grid(axis="x", alpha=0.3)
        # Under the tick labels and the axis label: a distance in inches, not a share of the
        # pane, which is short when few states reported.
        under_axis = pane.transAxes + ScaledTranslation(0, -0.5, figure.dpi_scale_trans)
        pane.legend(
            fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=under_axis, frameon=False
        )
    figure.suptitle(t["states_title"].format(year=formatting.year(year)), fontsize=11)
    figure.tight_layout()
    return _png(figure)


def _count_formatter(lang: str):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: formatting.count(int(v), lang) if v == int(v) else "")


def _png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "DejaVu Sans"
    return plt
