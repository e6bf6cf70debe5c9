"""A hand-made edition of the Council report (no database): the marts' rows as
``council.queries.read_marts`` would return them for 2014, in the marts' column order."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest


def _section(key: str, columns: list[str], rows: list[tuple]):
    from programme_monitoring.publishing.council.queries import sections

    section = sections()[key]
    section.columns, section.rows = columns, rows
    return section


@pytest.fixture(scope="module")
def mart_data():
    from programme_monitoring.publishing.council.queries import MartData
    from programme_monitoring.publishing.labels import headline_labels

    headline_columns = list(headline_labels("en"))
    headline = [
        (2014, 2731, 1618, 98, 53, 13, 2, 1200, None, 30),
        (2015, 2500, 1500, 90, 50, 12, 3, 1100, 40, 31),
    ]
    ru, kz = "RU_THB_2014_v1.xlsx", "KZ_THB_2014_v1.xlsx"
    tables = {
        "headline": _section("headline", headline_columns, headline),
        "implementation": _section(
            "implementation",
            [
                "state_code",
                "programme_code",
                "reporting_year",
                "measures_due",
                "measures_implemented",
                "measures_in_progress",
                "measures_not_implemented",
                "measures_postponed",
                "implementation_rate",
                "source_file",
            ],
            [("RU", "THB", 2014, 5, 3, 1, 0, 1, decimal.Decimal("0.60000000000000000000"), ru)],
        ),
        "indicators": _section(
            "indicators",
            ["state_code", "programme_code", "reporting_year", "indicator_code", "value", "is_reported"]
            + ["comment", "report_id", "source_file", "report_version"],
            [
                ("KZ", "THB", 2014, "THB01", 731, True, "", "k" * 64, kz, 1),
                ("RU", "THB", 2014, "THB01", 2000, True, "=HYPERLINK(1)", "r" * 64, ru, 1),
                ("RU", "THB", 2014, "THB05", None, False, "not available", "r" * 64, ru, 1),
            ],
        ),
        "not_reported": _section(
            "not_reported",
            ["state_code", "programme_code", "reporting_year", "indicator_code", "disaggregation"]
            + ["comment", "report_id", "source_file", "report_version"],
            [("RU", "THB", 2014, "THB05", "total", "not available", "r" * 64, ru, 1)],
        ),
        "completeness": _section(
            "completeness",
            ["state_code", "programme_code", "reporting_year", "is_expected", "is_received"]
            + ["report_deadline", "first_submission_date", "reports_on_time", "versions_received"]
            + ["report_id", "source_file"],
            [
                (
                    "KZ",
                    "THB",
                    2014,
                    True,
                    True,
                    dt.date(2015, 4, 1),
                    dt.date(2015, 4, 20),
                    0,
                    1,
                    "k" * 64,
                    kz,
                ),
                (
                    "RU",
                    "THB",
                    2014,
                    True,
                    True,
                    dt.date(2015, 4, 1),
                    dt.date(2015, 2, 10),
                    1,
                    1,
                    "r" * 64,
                    ru,
                ),
                ("BY", "THB", 2014, True, False, dt.date(2015, 4, 1), None, None, 0, None, None),
            ],
        ),
        "findings": _section(
            "findings",
            ["finding_key", "state_code", "programme_code", "reporting_year", "indicator_code", "severity"]
            + ["rule_code", "left_value", "operator", "right_value", "message_ru", "message_en", "report_id"]
            + ["source_file", "source_row", "review_status"],
            [
                ("f1", "RU", "THB", 2014, "THB04", "warning", "W01", None, None, None)
                + ("Скачок", "A jump", "r" * 64, ru, 7, "explained"),
                ("f2", "KZ", "THB", 2014, "THB01", "warning", "modified_z_score_outlier")
                + (decimal.Decimal("731.00000000000000000000"), "vs median of the state's years")
                + (decimal.Decimal("3.5"),)
                + ("THB01: выброс", "THB01: modified_z_score_outlier (731 > 3.5)", "k" * 64, kz, 2, "open"),
            ],
        ),
        "finding_statuses": _section(
            "finding_statuses",
            ["reporting_year", "review_status", "review_status_label_ru", "review_status_label_en"]
            + ["is_open", "findings"],
            [
                (2014, "open", "открыто", "open", True, 1),
                (2014, "explained", "пояснено отправителем", "explained by the sender", True, 1),
                (2014, "resolved", "устранено", "resolved", False, 2),
            ],
        ),
        "coverage": _section(
            "coverage",
            ["reporting_year", "headline_column", "programme_code", "indicator_code", "states_reporting"]
            + ["reports_used"],
            [
                (2014, "crimes_identified", "THB", "THB01", 2, 2),
                (2014, "crimes_identified", "CR", "IM01", 10, 10),
                (2015, "crimes_identified", "THB", "THB01", 2, 2),
                (2015, "crimes_identified", "IM", "IM01", 8, 8),
                (2014, "criminal_groups_terminated", "CR", "CR01", 10, 10),
                (2015, "criminal_groups_terminated", "CR", "CR01", 10, 10),
            ],
        ),
    }
    versions = [
        {
            "reporting_year": 2014,
            "state_code": s,
            "programme_code": "THB",
            "source_file": f,
            "report_id": s[0].lower() * 64,
            "report_version": 1,
        }
        for s, f in (("KZ", kz), ("RU", ru))
    ]
    names = {
        "state": {
            "RU": {"ru": "Российская Федерация", "en": "Russian Federation"},
            "KZ": {"ru": "Республика Казахстан", "en": "Republic of Kazakhstan"},
        },
        "programme": {"THB": {"ru": "Программа ТЛ", "en": "THB programme"}},
        "indicator": {
            "THB01": {"ru": "выявлено преступлений", "en": "crimes identified"},
            "THB04": {"ru": "привлечено к ответственности", "en": "persons prosecuted"},
            "THB05": {"ru": "осуждено лиц", "en": "persons convicted"},
        },
    }
    return MartData(tables, versions, dt.datetime(2015, 4, 2, 9, 30, tzinfo=dt.UTC), names, 2, 2)


@pytest.fixture
def edition(mart_data, tmp_path):
    from programme_monitoring.publishing.council.editions import Edition

    return Edition(2014, mart_data, "2026-11-28T06:00:00+00:00", [], None, tmp_path)
