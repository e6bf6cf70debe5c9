"""A small hand-made warehouse fixture, loaded straight into ``raw`` and ``audit``.

The rows exercise the business rules the marts promise: two versions of one report (the
later version wins), figures a state did not report (NULL, never 0), joint operations
several states took part in (counted once at CIS level), and measure statuses
(implementation rate from counts). Used by the dbt tests and ``bench/bench_dbt.py``.
"""

from __future__ import annotations

import datetime as dt

import psycopg

# report_id -> header; report_id stands in for the file's SHA-256.
REPORTS = {
    "ru-thb-2014-v1": ("RU", "THB", 2014, 1, dt.date(2015, 2, 10)),
    "ru-thb-2014-v2": ("RU", "THB", 2014, 2, dt.date(2015, 3, 1)),
    "kz-thb-2014-v1": ("KZ", "THB", 2014, 1, dt.date(2015, 2, 12)),
    "ru-cr-2014-v1": ("RU", "CR", 2014, 1, dt.date(2015, 2, 15)),
    "kz-cr-2014-v1": ("KZ", "CR", 2014, 1, dt.date(2015, 2, 16)),
    "by-cr-2014-v1": ("BY", "CR", 2014, 1, dt.date(2015, 2, 17)),
    "ru-im-2015-v1": ("RU", "IM", 2015, 1, dt.date(2016, 2, 1)),
}
REJECTED_FILE = "tm-cr-2016-rejected"

# (report_id, indicator_code, disaggregation, value); value None = not reported.
INDICATOR_VALUES = [
    # RU THB 2014, version 1: superseded, must not count.
    ("ru-thb-2014-v1", "THB01", "total", 600),
    ("ru-thb-2014-v1", "THB04", "total", 300),
    ("ru-thb-2014-v1", "TRN01", "total", 90),
    # RU THB 2014, version 2: the one that counts.
    ("ru-thb-2014-v2", "THB01", "total", 700),
    ("ru-thb-2014-v2", "THB02", "total", 40),
    ("ru-thb-2014-v2", "THB02", "sex=female", 30),
    ("ru-thb-2014-v2", "THB02", "sex=male", 10),
    ("ru-thb-2014-v2", "THB04", "total", 350),
    ("ru-thb-2014-v2", "THB05", "total", None),
    ("ru-thb-2014-v2", "TRN01", "total", 100),
    ("ru-thb-2014-v2", "TRN02", "total", None),
    # KZ THB 2014
    ("kz-thb-2014-v1", "THB01", "total", 300),
    ("kz-thb-2014-v1", "THB04", "total", 120),
    ("kz-thb-2014-v1", "THB05", "total", None),
    ("kz-thb-2014-v1", "TRN01", "total", 20),
    ("kz-thb-2014-v1", "TRN02", "total", None),
    # CR 2014: IM01/IM02/IM05 are reported under CR in 2014.
    ("ru-cr-2014-v1", "IM01", "total", 50),
    ("ru-cr-2014-v1", "IM02", "total", 5),
    ("ru-cr-2014-v1", "IM05", "total", 30),
    ("ru-cr-2014-v1", "CR01", "total", 10),
    ("ru-cr-2014-v1", "CR03", "total", 2),
    ("ru-cr-2014-v1", "CR03", "operation=PRV-2014-01", 1),
    ("ru-cr-2014-v1", "CR03", "operation=PRV-2014-02", 1),
    ("ru-cr-2014-v1", "CR02", "total", 1),
    ("ru-cr-2014-v1", "CR02", "operation=SPO-2014-01", 1),
    ("kz-cr-2014-v1", "IM01", "total", 25),
    ("kz-cr-2014-v1", "IM02", "total", None),
    ("kz-cr-2014-v1", "IM05", "total", 15),
    ("kz-cr-2014-v1", "CR01", "total", 4),
    ("kz-cr-2014-v1", "CR03", "total", 2),
    ("kz-cr-2014-v1", "CR03", "operation=PRV-2014-01", 1),
    ("kz-cr-2014-v1", "CR03", "operation=PRV-2014-03", 1),
    ("kz-cr-2014-v1", "CR02", "total", 1),
    ("kz-cr-2014-v1", "CR02", "operation=SPO-2014-01", 1),
    ("by-cr-2014-v1", "CR01", "total", 1),
    ("by-cr-2014-v1", "CR03", "total", 1),
    ("by-cr-2014-v1", "CR03", "operation=PRV-2014-01", 1),
    ("by-cr-2014-v1", "CR03", "operation=PRV-2014-04", 0),
    ("by-cr-2014-v1", "CR02", "total", 0),
    # RU IM 2015: nothing that feeds the training figures is reported.
    ("ru-im-2015-v1", "IM01", "total", 60),
    ("ru-im-2015-v1", "IM02", "total", 6),
    ("ru-im-2015-v1", "IM05", "total", 33),
    ("ru-im-2015-v1", "TRN01", "total", None),
]

# (report_id, measure_code, status)
MEASURE_STATUS = [
    # superseded version: everything implemented, must not count
    *[("ru-thb-2014-v1", code, "implemented") for code in ("1.1.1", "1.1.2", "2.1.1", "2.1.2", "3.1.1")],
    ("ru-thb-2014-v2", "1.1.1", "implemented"),
    ("ru-thb-2014-v2", "1.1.2", "implemented"),
    ("ru-thb-2014-v2", "2.1.1", "in_progress"),
    ("ru-thb-2014-v2", "2.1.2", "postponed"),
    ("ru-thb-2014-v2", "3.1.1", "implemented"),
    ("kz-thb-2014-v1", "1.1.1", "not_implemented"),
    ("kz-thb-2014-v1", "1.1.2", "implemented"),
    ("ru-im-2015-v1", "1.1.1", "implemented"),
    ("ru-im-2015-v1", "2.1.1", "implemented"),
    ("ru-im-2015-v1", "3.1.1", "in_progress"),
]

# What the intake recorded when RU THB 2014 version 2 superseded version 1:
# (indicator_code, disaggregation, change, old_value, new_value).
CHANGES = [
    ("THB01", "total", "updated", 600, 700),
    ("THB04", "total", "updated", 300, 350),
    ("TRN01", "total", "updated", 90, 100),
    ("THB02", "total", "added", None, 40),
]


def load_fixture(url: str) -> None:
    with psycopg.connect(url) as conn:
        for report_id, (state, programme, year, version, submitted) in REPORTS.items():
            source_file = f"{report_id}.xlsx"
            conn.execute(
                """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                       state_code, programme_code, reporting_year, report_version)
                   values (%s, %s, 'xlsx', 1000, 'loaded', %s, %s, %s, %s)""",
                (report_id, source_file, state, programme, year, version),
            )
            conn.execute(
                """insert into raw.report_headers (report_id, source_file, file_format, state_code, authority,
                       programme_code, reporting_year, submission_date, report_version)
                   values (%s, %s, 'xlsx', %s, 'Test authority (SYNTHETIC)', %s, %s, %s, %s)""",
                (report_id, source_file, state, programme, year, submitted, version),
            )
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_bytes, status, reason)
               values (%s, 'TM_CR_2016_v1.csv', 10, 'rejected', 'not_participating')""",
            (REJECTED_FILE,),
        )
        for row_number, (report_id, code, disaggregation, value) in enumerate(INDICATOR_VALUES, start=2):
            conn.execute(
                """insert into raw.indicator_values (report_id, source_file, source_sheet, source_row,
                       indicator_code, disaggregation, value, is_reported, comment)
                   values (%s, %s, 'Indicators', %s, %s, %s, %s, %s, %s)""",
                (
                    report_id,
                    f"{report_id}.xlsx",
                    row_number,
                    code,
                    disaggregation,
                    value,
                    value is not None,
                    None if value is not None else "not available",
                ),
            )
        for code, disaggregation, change, old, new in CHANGES:
            conn.execute(
                """insert into audit.import_changes (file_sha256, superseded_sha256, indicator_code,
                       disaggregation, change, old_value, new_value, old_reported, new_reported)
                   values ('ru-thb-2014-v2', 'ru-thb-2014-v1', %s, %s, %s, %s, %s, %s, %s)""",
                (
                    code,
                    disaggregation,
                    change,
                    old,
                    new,
                    old is not None if change != "added" else None,
                    True,
                ),
            )
        for row_number, (report_id, code, status) in enumerate(MEASURE_STATUS, start=2):
            conn.execute(
                """insert into raw.measure_status (report_id, source_file, source_sheet, source_row,
                       measure_code, status, narrative)
                   values (%s, %s, 'Measures', %s, %s, %s, 'test')""",
                (report_id, f"{report_id}.xlsx", row_number, code, status),
            )
