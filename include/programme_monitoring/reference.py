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


# --- code lists and bounds of report values (read by report_format) -------------------------


@dataclass(frozen=True)
class CodeLists:
    """What a ``dimension=member`` disaggregation may say (seeds ``disaggregation_dimensions``,
    ``disaggregation_members``, ``countries``) and the ceiling of a value per indicator
    (seeds ``indicators``, ``units``)."""

    dimensions: dict[str, tuple[str, str, str, str]]  # dimension -> (kind, pattern, label_ru, label_en)
    members: dict[str, dict[str, str]]  # dimension -> {casefolded member: member as listed}
    countries: frozenset[str]  # ISO 3166-1 alpha-2 codes
    value_ceilings: dict[str, int]  # indicator code -> largest value one report may give
    max_value: int  # the largest ceiling of any unit (for an indicator the catalogue lacks)


@cache
def code_lists() -> CodeLists:
    """The code lists of disaggregations and the value ceilings, read once from the seeds."""
    dims = _seed("disaggregation_dimensions")
    members: dict[str, dict[str, str]] = {d: {} for d in dims.dimension}
    for row in _seed("disaggregation_members").itertuples():
        members.setdefault(row.dimension, {})[row.member.casefold()] = row.member
    units = {row.unit: int(row.max_value) for row in _seed("units").itertuples()}
    ceilings = {row.indicator_code: units[row.unit] for row in _seed("indicators").itertuples()}
    return CodeLists(
        dimensions={r.dimension: (r.kind, r.pattern, r.label_ru, r.label_en) for r in dims.itertuples()},
        members=members,
        countries=frozenset(_seed("countries").country_code),
        value_ceilings=ceilings,
        max_value=max(units.values()),
    )


@dataclass(frozen=True)
class Sender:
    """Who delivers reports (seed ``senders``): its landing sub-folder and what it may report for."""

    sender_id: str
    state_code: str  # "" = any state (the secretariat)
    programme_codes: frozenset[str]  # empty = every programme
    name_ru: str
    name_en: str

    def may_report(self, state_code: str, programme_code: str) -> bool:
        return (not self.state_code or self.state_code == state_code) and (
            not self.programme_codes or programme_code in self.programme_codes
        )


@cache
def senders() -> dict[str, Sender]:
    """The sender registry by sender id (the landing sub-folder's name)."""
    return {
        row.sender_id: Sender(
            row.sender_id,
            row.state_code,
            frozenset(filter(None, row.programme_codes.split("|"))),
            row.name_ru,
            row.name_en,
        )
        for row in _seed("senders").itertuples()
    }


@cache
def urs_crossing_points() -> dict[str, str]:
    """Border crossing point code (upper case) -> its state: the codes a URS extract may name
    (seed ``urs_border_crossing_points``, illustrative)."""
    seed = _seed("urs_border_crossing_points")
    return dict(zip(seed.crossing_point_code.str.upper(), seed.state_code, strict=True))


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


@dataclass(frozen=True)
class ValidationRule:
    """One row of the validation-rule catalogue (seed ``validation_rules``): every rule the
    system applies, where it runs, how severe it is, its thresholds and its message templates
    in both languages (named placeholders such as ``{indicator}``, ``{left}``, ``{right}``)."""

    rule_code: str
    scope: str  # "intake" (one file) or "warehouse" (across reports and years, dbt)
    checked_by: str  # "reader", "intake" (intake.checks), "gx" (quality.suites) or "dbt"
    suite: str  # the Great Expectations suite of a "gx" rule, else ""
    severity: str  # "error" or "warning"
    blocking: bool  # True: the file is refused
    in_council_report: bool
    thresholds: dict[str, float]  # factor, floor, z_limit, min_years, level_share: those given
    message_en: str
    message_ru: str
    description_en: str
    description_ru: str

    def message(self, lang: str, **values: object) -> str:
        """The message template of ``lang`` ("en" or "ru") with its placeholders filled in."""
        return (self.message_en if lang == "en" else self.message_ru).format(**values)


THRESHOLDS = ("factor", "floor", "z_limit", "min_years", "level_share")


@cache
def validation_rules() -> dict[str, ValidationRule]:
    """The validation-rule catalogue by rule code, in the seed's order."""
    return {
        row.rule_code: ValidationRule(
            rule_code=row.rule_code,
            scope=row.scope,
            checked_by=row.checked_by,
            suite=row.suite,
            severity=row.severity,
            blocking=row.blocking == "true",
            in_council_report=row.in_council_report == "true",
            thresholds={name: float(getattr(row, name)) for name in THRESHOLDS if getattr(row, name)},
            message_en=row.message_en,
            message_ru=row.message_ru,
            description_en=row.description_en,
            description_ru=row.description_ru,
        )
        for row in _seed("validation_rules").itertuples()
    }
