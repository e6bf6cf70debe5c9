"""SDMX-CSV 2.0.0 exports of the published figures, written on every publish.

Two dataflows of the agency ``CIS_EC`` (Executive Committee of the CIS), their data
structures documented in ``docs/sdmx.md`` and described here once (``DATAFLOWS``):

``DF_PROGRAMME_INDICATORS`` (from ``marts.fct_indicator_values``): every indicator value
of the latest accepted reports. Dimensions ``REF_AREA`` (ISO 3166-1 alpha-2),
``PROGRAMME``, ``INDICATOR``, ``DISAGGREGATION`` (``_T`` for the total, else the breakdown,
e.g. ``SEX``), ``DISAGGREGATION_VALUE`` (``_T``, or the member, e.g. ``female``),
``TIME_PERIOD``; measure ``OBS_VALUE``; attributes ``UNIT_MEASURE`` and ``OBS_STATUS``.

``DF_UNODC_RECONCILIATION`` (from ``marts.rpt_unodc_reconciliation``): per state, year and
indicator one observation per source, ``SOURCE`` = ``REPORT`` (the state's report) or
``UNODC`` (GLOTIP); attributes ``OBS_STATUS``, ``UNIT_MEASURE``, ``RECONCILIATION_STATUS``
and ``VALUE_AS_PUBLISHED`` (UNODC's text, e.g. ``<5``).

``OBS_STATUS`` uses SDMX's code list CL_OBS_STATUS: ``A`` normal, ``M`` missing (not
reported: ``OBS_VALUE`` empty, never 0), ``Q`` missing, suppressed (UNODC's censored
``<5``: ``OBS_VALUE`` empty, never 0, 5 or 2.5), ``P`` provisional (the year's reporting
deadline, seed ``reporting_deadlines``, had not passed on the day of the export).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from programme_monitoring.atomic_files import replacing
from programme_monitoring.reference import reporting_deadlines
from programme_monitoring.settings import paths
from programme_monitoring.warehouse.connection import connect

AGENCY = "CIS_EC"
TOTAL = "_T"
OBS_STATUS = {
    "A": "normal value",
    "M": "missing: not reported",
    "Q": "missing: suppressed (published by UNODC only as below a threshold, e.g. <5)",
    "P": "provisional: the year's reporting deadline had not passed",
}
DATAFLOWS = {
    "DF_PROGRAMME_INDICATORS": {
        "dimensions": (
            "REF_AREA",
            "PROGRAMME",
            "INDICATOR",
            "DISAGGREGATION",
            "DISAGGREGATION_VALUE",
            "TIME_PERIOD",
        ),
        "attributes": ("UNIT_MEASURE", "OBS_STATUS"),
    },
    "DF_UNODC_RECONCILIATION": {
        "dimensions": ("REF_AREA", "INDICATOR", "SOURCE", "TIME_PERIOD"),
        "attributes": ("UNIT_MEASURE", "OBS_STATUS", "RECONCILIATION_STATUS", "VALUE_AS_PUBLISHED"),
    },
}
VERSION = "1.0"


def structure_id(dataflow: str) -> str:
    return f"{AGENCY}:{dataflow}({VERSION})"


def header(dataflow: str) -> list[str]:
    spec = DATAFLOWS[dataflow]
    return ["STRUCTURE", "STRUCTURE_ID", "ACTION", *spec["dimensions"], "OBS_VALUE", *spec["attributes"]]


def _number(value: object) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def indicator_rows(
    values: list[dict], units: dict[str, str], provisional_years: set[tuple[str, int]]
) -> list[list]:
    """SDMX-CSV records of fct_indicator_values rows (dicts of its columns)."""
    records = []
    for v in values:
        if v["value"] is None:
            status = "M"
        elif (v["programme_code"], v["reporting_year"]) in provisional_years:
            status = "P"
        else:
            status = "A"
        dimension = (v["disaggregation_dimension"] or "").upper() or TOTAL
        member = v["disaggregation_member"] or TOTAL
        records.append(
            [
                "dataflow",
                structure_id("DF_PROGRAMME_INDICATORS"),
                "I",
                v["state_code"],
                v["programme_code"],
                v["indicator_code"],
                dimension,
                member,
                str(v["reporting_year"]),
                _number(v["value"]),
                units.get(v["indicator_code"], ""),
                status,
            ]
        )
    return records


def reconciliation_rows(rows: list[dict], units: dict[str, str]) -> list[list]:
    """SDMX-CSV records of rpt_unodc_reconciliation rows: one per source with a figure."""
    records = []
    for r in rows:
        sources = (("REPORT", r["report_value"], None, r["report_value"] is None),)
        sources += (("UNODC", r["unodc_value"], r["unodc_value_text"], r["unodc_value_text"] is None),)
        for source, value, text, absent in sources:
            if absent and source == "UNODC":
                continue
            status = "Q" if source == "UNODC" and r["unodc_is_censored"] else ("M" if value is None else "A")
            records.append(
                [
                    "dataflow",
                    structure_id("DF_UNODC_RECONCILIATION"),
                    "I",
                    r["state_code"],
                    r["indicator_code"],
                    source,
                    str(r["reporting_year"]),
                    _number(value),
                    units.get(r["indicator_code"], ""),
                    status,
                    r["status"],
                    text or "",
                ]
            )
    return records


def write_sdmx_csv(path: Path, dataflow: str, records: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header(dataflow))
        writer.writerows(records)
    return path


def _provisional_years(today: dt.date) -> set[tuple[str, int]]:
    """(programme, year) whose reporting deadline is after ``today``."""
    deadlines = reporting_deadlines()
    years = range(2000, today.year + 1)
    return {
        (d.programme_code, year)
        for d in deadlines.itertuples()
        for year in years
        if dt.date(year + int(d.deadline_years_after), int(d.deadline_month), int(d.deadline_day)) > today
    }


def _query(sql: str) -> list[dict]:
    with connect() as conn:
        cursor = conn.execute(sql)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]


def write_sdmx_exports(output_dir: Path | None = None, today: dt.date | None = None) -> dict[str, Path]:
    """Both dataflows as SDMX-CSV under ``<reports>/sdmx/``, from the published marts."""
    folder = (output_dir or paths().reports) / "sdmx"
    values = _query(
        "select state_code, programme_code, indicator_code, disaggregation_dimension, disaggregation_member, "
        "reporting_year, value from marts.fct_indicator_values "
        "order by state_code, programme_code, indicator_code, reporting_year, disaggregation"
    )
    units = {
        r["indicator_code"]: r["unit"] for r in _query("select indicator_code, unit from marts.dim_indicator")
    }
    provisional = _provisional_years(today or dt.date.today())
    reconciliation = _query(
        "select * from marts.rpt_unodc_reconciliation order by state_code, reporting_year, indicator_code"
    )
    return {
        "programme_indicators": write_sdmx_csv(
            folder / "programme_indicators.csv",
            "DF_PROGRAMME_INDICATORS",
            indicator_rows(values, units, provisional),
        ),
        "unodc_reconciliation": write_sdmx_csv(
            folder / "unodc_reconciliation.csv",
            "DF_UNODC_RECONCILIATION",
            reconciliation_rows(reconciliation, units),
        ),
    }
