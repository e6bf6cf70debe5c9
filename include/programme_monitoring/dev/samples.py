"""Synthetic member-state reports for development and tests (nothing here is real data).

``generate_samples`` writes one report per participating state x programme x year,
2014-2019, rotating XLSX / CSV / JSON, plus a few planted bad reports the intake must
reject, each into its state's sender folder (``<landing>/kz/``, ``<landing>/am/``, ...).
The CIS-wide 2014 sums reproduce the figures published for 2014 (OSCE
statement, 6 July 2015; see ``headline_targets_2014``); state shares, other years and
disaggregations are invented. Every file says it is synthetic: the authority ends in
"(SYNTHETIC)" and the first indicator row carries a comment saying so.

Output is byte-for-byte reproducible for a seed: one seeded RNG, fixed dates, no clock.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

from programme_monitoring.dev.unodc_figures import GLOTIP_TOTALS, PLANTED_DISCREPANCY
from programme_monitoring.reference import Reference, load_reference
from programme_monitoring.report_format.labels import TOTAL, label
from programme_monitoring.report_format.records import FORMATS, ReportHeader
from programme_monitoring.report_format.writer import save_workbook, write_report

YEARS = range(2014, 2020)
PROGRAMMES = ("THB", "IM", "CR")
SYNTHETIC_COMMENT = "СИНТЕТИЧЕСКИЕ ДАННЫЕ / SYNTHETIC sample report, not real figures"

# CIS-wide 2014 figures the good samples reproduce exactly (disaggregation "total").
# Keys joined by "+" are summed; CR02 and CR03 count distinct operations, not state totals.
headline_targets_2014: dict[str, int] = {
    "THB01+IM01": 2731,  # crimes connected with trafficking and associated illegal migration
    "THB04+IM05": 1618,  # people brought to justice, both domains
    "CR01": 98,  # criminal groups whose activities were terminated
    "IM02": 53,  # illegal migration channels blocked
    "CR03": 13,  # simultaneous comprehensive preventive measures (distinct operations)
    "CR02": 2,  # joint special operations (distinct operations)
}

# THB01, THB02, THB04 and THB05 of a state x year equal UNODC GLOTIP's uncensored total
# where UNODC publishes one (dev.unodc_figures; one planted discrepancy); the totals below
# then only share out the rest. In 2014, IM01 and IM05 under CR take up whatever the THB
# figures leave of the headline targets (THB01 + IM01 = 2731, THB04 + IM05 = 1618).
HEADLINE_REST = {("IM01", "CR"): ("THB01", "THB01+IM01"), ("IM05", "CR"): ("THB04", "THB04+IM05")}

# CIS-wide total of each (indicator, programme) in the first year it is reported; later
# years drift by up to +-15 % a year. The 2014 splits add up to the headline targets:
# THB01 1473 + IM01 1258 = 2731, THB04 812 + IM05 806 = 1618.
FIRST_YEAR_TOTALS: dict[tuple[str, str], int] = {
    ("THB01", "THB"): 1473,
    ("THB02", "THB"): 1150,
    ("THB04", "THB"): 812,
    ("THB05", "THB"): 520,
    ("THB06", "THB"): 860,
    ("TRN01", "THB"): 430,
    ("TRN02", "THB"): 300,
    ("IM01", "CR"): 1258,
    ("IM02", "CR"): 53,
    ("IM05", "CR"): 806,
    ("CR01", "CR"): 98,
    ("IM01", "IM"): 1320,
    ("IM02", "IM"): 57,
    ("IM03", "IM"): 182_000,
    ("IM04", "IM"): 41_000,
    ("IM05", "IM"): 790,
    ("TRN01", "IM"): 380,
    ("TRN02", "IM"): 260,
}
# Distinct operations per year: 2014 as published, later years drawn from the range.
OPERATIONS = {"CR03": ("PRV", 13, (11, 16)), "CR02": ("SPO", 2, (1, 4))}
# Indicators that may be left "not reported" now and then; the calibrated ones never are.
MAY_BE_NOT_REPORTED = {"THB05", "THB06", "IM03", "IM04"}

# Relative size of each state's figures (Russia and Kazakhstan large).
STATE_WEIGHTS = {
    "RU": 40, "KZ": 14, "UZ": 9, "UA": 9, "BY": 7, "KG": 5, "TJ": 5, "AZ": 5, "AM": 3, "MD": 3, "TM": 2,
}  # fmt: skip
STATE_GENITIVE = {
    "AZ": "Азербайджанской Республики",
    "AM": "Республики Армения",
    "BY": "Республики Беларусь",
    "KZ": "Республики Казахстан",
    "KG": "Кыргызской Республики",
    "MD": "Республики Молдова",
    "RU": "Российской Федерации",
    "TJ": "Республики Таджикистан",
    "TM": "Туркменистана",
    "UZ": "Республики Узбекистан",
    "UA": "Украины",
}
AUTHORITY = {"THB": "МВД {}", "CR": "Генеральная прокуратура {}", "IM": "Миграционная служба {}"}
AUTHORITY_OVERRIDES = {
    ("RU", "IM"): "Главное управление по вопросам миграции МВД Российской Федерации",
    ("BY", "IM"): "Департамент по гражданству и миграции МВД Республики Беларусь",
}
NARRATIVES = {
    "implemented": "Выполнено в установленный срок.",
    "in_progress": "Выполнение продолжается, срок не истёк.",
    "not_implemented": "Не выполнено: не выделено финансирование.",
    "postponed": "Срок исполнения перенесён решением Совета.",
}
STATUS_WEIGHTS = {"implemented": 75, "in_progress": 15, "not_implemented": 5, "postponed": 5}

Rows = list[dict]


@dataclass
class SampleManifest:
    good: list[Path] = field(default_factory=list)
    bad: dict[Path, str] = field(default_factory=dict)  # file -> why the intake must reject it


def write_manifest(manifest: SampleManifest, path: Path) -> Path:
    """Save the manifest as JSON (keep it outside the landing folder: intake would read it)."""
    doc = {"good": [str(p) for p in manifest.good], "bad": {str(p): why for p, why in manifest.bad.items()}}
    Path(path).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return Path(path)


def split_total(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Share a whole number out in proportion to weights, exactly (largest remainder)."""
    weight_sum = sum(weights.values())
    quotas = {key: total * weight / weight_sum for key, weight in weights.items()}
    shares = {key: int(quota) for key, quota in quotas.items()}
    by_remainder = sorted(weights, key=lambda key: (-(quotas[key] - shares[key]), key))
    for key in by_remainder[: total - sum(shares.values())]:
        shares[key] += 1
    return shares


def authority(state_code: str, programme_code: str) -> str:
    name = AUTHORITY_OVERRIDES.get((state_code, programme_code))
    name = name or AUTHORITY[programme_code].format(STATE_GENITIVE[state_code])
    return f"{name} (SYNTHETIC)"


def _header(rng: random.Random, state: str, programme: str, year: int) -> ReportHeader:
    submitted = dt.date(year + 1, rng.randint(1, 3), rng.randint(1, 28))
    return ReportHeader(state, authority(state, programme), programme, year, submitted, 1)


def _indicator_codes(reference: Reference, programme: str, year: int) -> list[str]:
    reportable = reference.reportable_indicators(programme, year)
    return [code for code in reference.indicators.indicator_code if code in reportable]


def _measures(rng: random.Random, reference: Reference, programme: str, year: int) -> Rows:
    due = reference.measures_due(programme, year)
    registry = reference.measures[reference.measures.programme_code == programme].measure_code
    statuses = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()), k=len(due))
    codes = [code for code in registry if code in due]
    return [
        {"measure_code": code, "status": status, "narrative": NARRATIVES[status]}
        for code, status in zip(codes, statuses, strict=True)
    ]


def _row(code: str, value: int | None, disaggregation: str = TOTAL, comment: str = "") -> dict:
    return {"indicator_code": code, "disaggregation": disaggregation, "value": value, "comment": comment}


def _victim_breakdown(rng: random.Random, total: int) -> Rows:
    """THB02 parts: by sex (adds up to the total) and by form of exploitation (may exceed it)."""
    female = round(total * rng.uniform(0.6, 0.8))
    rows = [_row("THB02", female, "sex=female"), _row("THB02", total - female, "sex=male")]
    for form, low, high in (("sexual", 0.45, 0.65), ("labour", 0.3, 0.5), ("other", 0.03, 0.1)):
        rows.append(_row("THB02", round(total * rng.uniform(low, high)), f"form_of_exploitation={form}"))
    return rows


def _operation_rows(rng: random.Random, code: str, year: int, states: list[str]) -> dict[str, Rows]:
    """Joint operations: each state reports a 1 per operation it took part in and its total."""
    prefix, first_year_count, later_range = OPERATIONS[code]
    count = first_year_count if year == YEARS[0] else rng.randint(*later_range)
    taken_part: dict[str, list[str]] = {state: [] for state in states}
    for number in range(1, count + 1):
        operation = f"{prefix}-{year}-{number:02d}"
        for state in sorted(rng.sample(states, rng.randint(2, min(6, len(states))))):
            taken_part[state].append(operation)
    return {
        state: [_row(code, len(ops))] + [_row(code, 1, f"operation={op}") for op in ops]
        for state, ops in taken_part.items()
    }


def _plan(rng: random.Random, reference: Reference) -> dict[tuple[str, str, int], Rows]:
    """Indicator rows of every good report, keyed by (state, programme, year)."""
    plan: dict[tuple[str, str, int], Rows] = {}
    totals: dict[tuple[str, str], int] = {}
    reported: dict[tuple[str, int], int] = {}  # (indicator, year) -> sum of the states' values
    for year in YEARS:
        for programme in PROGRAMMES:
            states = reference.participants(programme, year)
            if not states:
                continue
            for state in states:
                plan[(state, programme, year)] = []
            for code in _indicator_codes(reference, programme, year):
                if code in OPERATIONS:
                    for state, rows in _operation_rows(rng, code, year, states).items():
                        plan[(state, programme, year)] += rows
                    continue
                key = (code, programme)
                totals[key] = (
                    FIRST_YEAR_TOTALS[key]
                    if key not in totals
                    else round(totals[key] * rng.uniform(0.85, 1.15))
                )
                if year == YEARS[0] and key in HEADLINE_REST:
                    thb_code, target = HEADLINE_REST[key]
                    totals[key] = headline_targets_2014[target] - reported.get((thb_code, year), 0)
                weights = {state: STATE_WEIGHTS[state] * rng.uniform(0.8, 1.2) for state in states}
                for state, share in split_total(totals[key], weights).items():
                    pinned = (state, code, year)
                    if code in MAY_BE_NOT_REPORTED and rng.random() < 0.08 and pinned not in GLOTIP_TOTALS:
                        plan[(state, programme, year)].append(
                            _row(code, None, comment="сведения не представлены")
                        )
                        continue
                    share = PLANTED_DISCREPANCY.get(pinned, GLOTIP_TOTALS.get(pinned, share))
                    reported[(code, year)] = reported.get((code, year), 0) + share
                    plan[(state, programme, year)].append(_row(code, share))
                    if code == "THB02":
                        plan[(state, programme, year)] += _victim_breakdown(rng, share)
    for rows in plan.values():
        rows[0]["comment"] = SYNTHETIC_COMMENT
    return plan


def sender_folder(landing_dir: Path, state_code: str) -> Path:
    """The landing sub-folder of the state's own sender (seed senders: its lower-case ISO code)."""
    folder = landing_dir / state_code.lower()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def generate_samples(
    landing_dir: Path, seed: int = 2014, years: Collection[int] | None = None
) -> SampleManifest:
    """Write the synthetic good reports and the planted bad ones into landing_dir.

    ``years`` writes the good reports of those years only, with the same figures as in the
    whole set (the deployment tests run the chain on two years to save time)."""
    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    reference = load_reference()
    manifest = SampleManifest()
    for number, ((state, programme, year), rows) in enumerate(_plan(rng, reference).items()):
        fmt = FORMATS[number % len(FORMATS)]
        path = sender_folder(landing_dir, state) / f"{state}_{programme}_{year}_v1.{fmt}"
        header = _header(rng, state, programme, year)
        measures = _measures(rng, reference, programme, year)  # drawn for every year: same figures
        if years is None or year in years:
            write_report(header, rows, measures, path, fmt)
            manifest.good.append(path)
    manifest.bad = _write_bad_reports(rng, reference, landing_dir)
    return manifest


def _write_bad_reports(rng: random.Random, reference: Reference, landing_dir: Path) -> dict[Path, str]:
    """Planted reports the intake must reject, each for one planted defect.

    Every participating state x programme x year already has its good report, so these
    use slots with none (non-participants or years outside the period): they never
    duplicate a good report and never touch the calibrated 2014 sums.
    """
    bad: dict[Path, str] = {}

    def report(state: str, programme: str, year: int, rows: Rows, fmt: str, sender: str = "") -> Path:
        rows[0]["comment"] = SYNTHETIC_COMMENT
        header = _header(rng, state, programme, year)
        measures = _measures(rng, reference, programme, min(year, reference.programme_period(programme)[1]))
        path = sender_folder(landing_dir, sender or state) / f"{state}_{programme}_{year}_v1.{fmt}"
        return write_report(header, rows, measures, path, fmt)

    # (a) structure, CSV: the "value" column is misspelt, so the parser refuses the file.
    path = report("BY", "THB", 2019, [_row("THB01", 41), _row("THB04", 23)], "csv")
    heading, rest = path.read_text(encoding="utf-8").split("\n", 1)
    heading = ",".join("valeu" if column == "value" else column for column in heading.split(","))
    path.write_text(f"{heading}\n{rest}", encoding="utf-8")
    bad[path] = "structure: unknown column 'valeu' (misspelt 'value'); the parser refuses the file"

    # (a) structure, XLSX: a value that is not a number.
    path = report("AM", "IM", 2020, [_row("IM01", 12), _row("IM02", 1)], "xlsx")
    workbook = openpyxl.load_workbook(path)
    workbook[label("sheet", "indicators")]["D3"] = "abc"
    save_workbook(workbook, path, dt.datetime(2021, 2, 1))
    bad[path] = "structure: value 'abc' in sheet 'Показатели | Indicators' row 3 is not a whole number"

    # (b) content: an indicator code that is not in the catalogue.
    path = report("MD", "THB", 2014, [_row("THB99", 7), _row("THB02", 5)], "json")
    bad[path] = (
        "unknown_indicator: THB99 is not in the indicator catalogue "
        "(the slot is also one with no expected report: Moldova does not take part in THB)"
    )

    # (c) content: a well-formed report from a state that does not take part in the programme.
    rows = [_row("CR01", 2), _row("CR02", 0), _row("CR03", 0)]
    path = report("TM", "CR", 2016, rows, "csv")
    bad[path] = "not_participating: Turkmenistan does not take part in the CR programme (2016)"

    # (d) content: a negative count.
    path = report("RU", "CR", 2020, [_row("CR01", -3), _row("CR02", 0), _row("CR03", 0)], "json")
    bad[path] = (
        "negative_value: CR01 total is -3; counts are whole numbers >= 0 "
        "(the slot is also one with no expected report: 2020 is after the CR period 2014-2018)"
    )

    # (e) sender: Armenia's report delivered through Kazakhstan's folder.
    path = report("AM", "THB", 2019, [_row("THB01", 4), _row("THB02", 2)], "xlsx", sender="kz")
    bad[path] = (
        "sender_not_allowed: a report declaring Armenia came through Kazakhstan's folder (landing/kz/) "
        "(the slot is also one with no expected report: 2019 is after the THB period 2014-2018)"
    )
    return bad
