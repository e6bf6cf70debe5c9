"""Reference data: member states, programmes, participation, indicators, measures.

The dbt seeds in ``dbt_project/seeds/`` are the single source: dbt loads them into the
``reference`` schema and the intake checks read the same files through this module.
The programme measure registry is illustrative (the real measure texts are not public).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from programme_monitoring.settings import SEEDS_DIR

MEASURE_STATUSES = ("implemented", "in_progress", "not_implemented", "postponed")


def _seed(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Reference:
    states: pd.DataFrame
    programmes: pd.DataFrame
    participation: pd.DataFrame
    indicators: pd.DataFrame
    indicator_programmes: pd.DataFrame
    measures: pd.DataFrame
    headline_figures: pd.DataFrame  # headline column -> indicator codes, order, labels (RU/EN)

    @property
    def state_codes(self) -> set[str]:
        return set(self.states.state_code)

    def headline_labels(self, lang: str) -> dict[str, str]:
        """Headline column -> its label in ``lang`` ("ru" or "en"), in display order."""
        rows = self.headline_figures.assign(order=self.headline_figures.display_order.astype(int))
        rows = rows.sort_values(["order", "headline_column"]).drop_duplicates("headline_column")
        return dict(zip(rows.headline_column, rows[f"label_{lang}"], strict=True))

    @property
    def programme_codes(self) -> set[str]:
        return set(self.programmes.programme_code)

    def programme_period(self, programme_code: str) -> tuple[int, int]:
        row = self.programmes.set_index("programme_code").loc[programme_code]
        return int(row.period_start_year), int(row.period_end_year)

    def participates(self, state_code: str, programme_code: str, year: int) -> bool:
        rows = self.participation[
            (self.participation.state_code == state_code)
            & (self.participation.programme_code == programme_code)
        ]
        return any(int(r.valid_from_year) <= year <= int(r.valid_to_year) for r in rows.itertuples())

    def participants(self, programme_code: str, year: int) -> list[str]:
        return sorted(s for s in self.state_codes if self.participates(s, programme_code, year))

    def reportable_indicators(self, programme_code: str, year: int) -> set[str]:
        """Indicator codes a report on this programme and year may carry."""
        rows = self.indicator_programmes
        mask = (
            (rows.programme_code == programme_code)
            & (rows.valid_from_year.astype(int) <= year)
            & (rows.valid_to_year.astype(int) >= year)
        )
        return set(rows[mask].indicator_code)

    def allowed_dimensions(self, indicator_code: str) -> set[str]:
        row = self.indicators.set_index("indicator_code").loc[indicator_code]
        return set(filter(None, row.disaggregations.split("|")))

    def measure_codes(self, programme_code: str) -> set[str]:
        return set(self.measures[self.measures.programme_code == programme_code].measure_code)

    def measures_due(self, programme_code: str, year: int) -> set[str]:
        """Measures whose deadline interval or recurrence covers the year."""
        rows = self.measures[self.measures.programme_code == programme_code]
        return {
            r.measure_code
            for r in rows.itertuples()
            if int(r.deadline_from_year) <= year <= int(r.deadline_to_year)
        }


@cache
def load_reference() -> Reference:
    return Reference(
        states=_seed("member_states"),
        programmes=_seed("programmes"),
        participation=_seed("programme_participation"),
        indicators=_seed("indicators"),
        indicator_programmes=_seed("indicator_programmes"),
        measures=_seed("programme_measures"),
        headline_figures=_seed("headline_figures"),
    )


@cache
def reporting_deadlines() -> pd.DataFrame:
    """Seed ``reporting_deadlines``: per programme, the report for year Y is due on
    (deadline_month, deadline_day) of Y + deadline_years_after (an assumption, see the seed)."""
    return _seed("reporting_deadlines")


@cache
def unodc_correspondence() -> pd.DataFrame:
    """Seed ``unodc_indicator_correspondence``: programme indicator -> UNODC GLOTIP indicator,
    with the definitional differences (English and Russian)."""
    return _seed("unodc_indicator_correspondence")
