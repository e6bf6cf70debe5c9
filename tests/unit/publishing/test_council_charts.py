"""The states' chart of the Council report, drawn for one state and for twelve: the legend
sits under each pane's axis, never over its numbers or its label, and the layout fits."""

from __future__ import annotations

import warnings

import pytest
from programme_monitoring.publishing.council import charts
from programme_monitoring.publishing.council.queries import MartData, Section

STATES = ["AM", "AZ", "BY", "KZ", "KG", "MD", "RU", "TJ", "TM", "UZ", "UA", "GE"]


def _data(states: list[str]) -> MartData:
    codes = [code for columns in charts.STATE_CHART_COLUMNS for code in charts.indicators_of(columns)]
    rows = [(state, code, 10 * (i + 1) + j) for i, state in enumerate(states) for j, code in enumerate(codes)]
    indicators = Section(
        "indicators", "fct_indicator_values", "", [], ["state_code", "indicator_code", "value"], rows
    )
    return MartData(
        sections={"indicators": indicators},
        report_versions=[],
        as_of=None,
        names={"state": {}, "indicator": {}},
    )


@pytest.mark.parametrize("states", [STATES[:1], STATES], ids=["one state", "twelve states"])
@pytest.mark.parametrize("lang", ["ru", "en"])
def test_the_legend_sits_under_the_axis_and_the_layout_fits(monkeypatch, states, lang):
    drawn = []
    monkeypatch.setattr(charts, "_png", lambda figure: drawn.append(figure) or "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns when the layout cannot fit
        charts.chart_states(_data(states), lang, 2015)
    (figure,) = drawn
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for pane in figure.axes:
        legend = pane.get_legend().get_window_extent(renderer)
        under = [pane.xaxis.label, *pane.get_xticklabels()]
        lowest = min(artist.get_window_extent(renderer).y0 for artist in under if artist.get_text())
        assert legend.y1 <= lowest, f"the legend overlaps the axis of {pane.get_title()!r}"
