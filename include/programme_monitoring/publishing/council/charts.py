"""The Council report's two charts, drawn with matplotlib and embedded as PNG data URIs.

* ``chart_series``: the statement's result figures per year over the programme period
  (``rpt_headline_figures``), the report's year marked.
* ``chart_states``: the states' own totals of the indicators behind some of those figures,
  side by side (``fct_indicator_values``).

Which figures are drawn is a presentation choice, made once here by headline column; the
indicators behind a figure are the ``headline_figures`` seed's. matplotlib is imported
only when a chart is drawn.
"""

from __future__ import annotations

import base64
import io

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


def indicators_of(columns: tuple[str, ...]) -> list[str]:
    """The indicator codes behind headline columns, in the seed's order."""
    seed = load_reference().headline_figures
    return [code for column in columns for code in seed[seed.headline_column == column].indicator_code]


def chart_series(headline: Section, lang: str, year: int) -> str:
    plt = _pyplot()
    labels = figure_labels(lang)
    records = headline.records()
    years = [r["reporting_year"] for r in records]
    figure, panes = plt.subplots(1, 2, figsize=(10, 3.4))
    for pane, columns in zip(panes, SERIES_COLUMNS, strict=True):
        for column in columns:
            pane.plot(years, [r[column] for r in records], marker="o", label=labels[column])
        pane.axvline(year, color="#999", linestyle="--", linewidth=1)
        pane.set_xticks(years)
        pane.set_ylim(bottom=0)
        pane.grid(alpha=0.3)
        pane.legend(fontsize=6.5, loc="lower left")
    figure.suptitle(TEXT[lang]["series_title"])
    return _png(figure)


def chart_states(data: MartData, lang: str, year: int) -> str:
    plt = _pyplot()
    panes_codes = [indicators_of(columns) for columns in STATE_CHART_COLUMNS]
    wanted = {code for codes in panes_codes for code in codes}
    records = [r for r in data.sections["indicators"].records() if r["indicator_code"] in wanted]
    states = sorted({r["state_code"] for r in records})
    value = {(r["state_code"], r["indicator_code"]): r["value"] for r in records}
    figure, panes = plt.subplots(1, 2, figsize=(10, 3.4))
    for pane, codes in zip(panes, panes_codes, strict=True):
        width = 0.8 / len(codes)
        for i, code in enumerate(codes):
            xs = [s + i * width for s in range(len(states))]
            ys = [value.get((state, code)) or 0 for state in states]  # not reported: no bar
            pane.bar(xs, ys, width=width, label=f"{code}: {data.name('indicator', code, lang)}")
        pane.set_xticks([s + 0.4 - width / 2 for s in range(len(states))], states)
        pane.grid(axis="y", alpha=0.3)
        pane.legend(fontsize=6.5, loc="upper left")
    figure.suptitle(TEXT[lang]["states_title"].format(year=year))
    return _png(figure)


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
