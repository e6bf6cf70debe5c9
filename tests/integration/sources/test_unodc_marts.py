"""The UNODC marts built by dbt on the real release: fct_unodc_glotip (every published value,
censoring kept), rpt_unodc_reconciliation (every status) and the reconciliation findings.

The member states' side is the hand-made warehouse fixture plus two THB reports written
here against the real UNODC figures (UZ 2014, AM 2015), so every status occurs.
"""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest
from glotip_samples import ISO3, REAL_FILE
from programme_monitoring.dev.warehouse_fixture import load_fixture
from programme_monitoring.sources.unodc import ingest_release

# report -> (state, year, {indicator: value}); None = "not reported"
REPORTS = {
    "uz-thb-2014": ("UZ", 2014, {"THB01": 530, "THB02": 1280, "THB04": 719, "THB05": None}),
    "am-thb-2015": ("AM", 2015, {"THB01": 14, "THB04": 7, "THB05": 3}),
}


def _add_reports(url: str) -> None:
    with psycopg.connect(url) as conn:
        for report_id, (state, year, values) in REPORTS.items():
            conn.execute(
                """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                       state_code, programme_code, reporting_year, report_version)
                   values (%s, %s, 'xlsx', 1000, 'loaded', %s, 'THB', %s, 1)""",
                (report_id, f"{report_id}.xlsx", state, year),
            )
            conn.execute(
                """insert into raw.report_headers (report_id, source_file, file_format, state_code, authority,
                       programme_code, reporting_year, submission_date, report_version)
                   values (%s, %s, 'xlsx', %s, 'Test authority (SYNTHETIC)', 'THB', %s, %s, 1)""",
                (report_id, f"{report_id}.xlsx", state, year, f"{year + 1}-02-01"),
            )
            for row, (code, value) in enumerate(values.items(), start=2):
                conn.execute(
                    """insert into raw.indicator_values (report_id, source_file, source_sheet, source_row,
                           indicator_code, disaggregation, value, is_reported, comment)
                       values (%s, %s, 'Indicators', %s, %s, 'total', %s, %s, null)""",
                    (report_id, f"{report_id}.xlsx", row, code, value, value is not None),
                )


@pytest.fixture(scope="module")
def built(own_warehouse, run_dbt_in_process):
    url, _ = own_warehouse
    load_fixture(url)
    _add_reports(url)
    assert ingest_release(REAL_FILE).status == "loaded"
    result = run_dbt_in_process(
        "build",
        "--indirect-selection",
        "cautious",
        "--select",
        "+fct_unodc_glotip",
        "+rpt_unodc_reconciliation",
        "+rpt_validation_findings",
        "+rpt_unodc_glotip_cis",
    )
    assert result.success, [str(r.message) for r in result.result if r.status not in ("success", "pass")]
    return url


def _frame(url: str, sql: str) -> pd.DataFrame:
    with psycopg.connect(url) as conn:
        cursor = conn.execute(sql)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


def test_every_published_value_is_in_the_fact_with_censoring_kept(built):
    fact = _frame(built, "select * from marts.fct_unodc_glotip")
    assert list(fact.columns[:14]) == [
        "iso3_code", "state_code", "year", "indicator", "dimension", "category", "sex", "age", "unit",
        "value", "value_text", "is_censored", "release_date", "source_sha256",
    ]  # fmt: skip
    assert len(fact) == 46_556
    censored = fact[fact.is_censored]
    assert len(censored) == 23_076
    assert censored.value.isna().all() and (censored.value_text == "<5").all()
    assert (censored.value_upper_bound == 4).all() and (censored.value_lower_bound == 0).all()
    assert fact.value.notna().sum() == 46_556 - 23_076
    states = fact[fact.state_code.notna()]
    assert len(states) == 3_055 and set(states.iso3_code) == ISO3
    russia = states[
        (states.state_code == "RU") & (states.indicator == "Offences of trafficking in persons")
        & (states.dimension == "Total") & (states.sex == "Total") & (states.age == "Total")
    ].set_index("year")  # fmt: skip
    assert russia.loc[2017, "value_text"] == "2,077" and russia.loc[2017, "value"] == 2077


def test_the_states_values_equal_an_independent_read_of_the_release(built):
    """pandas.read_excel of the same file, compared on the twelve states' rows."""
    sheet = pd.read_excel(REAL_FILE, header=2, dtype=str, keep_default_na=False)
    sheet = sheet[sheet.Iso3_code.isin(ISO3)]
    published = sorted(
        zip(sheet.Iso3_code, sheet.Indicator, sheet.Dimension, sheet.Category, sheet.Sex, sheet.Age,
            sheet.Year.astype(int), sheet.txtVALUE, strict=True)
    )  # fmt: skip
    fact = _frame(
        built,
        "select iso3_code, indicator, dimension, coalesce(category, ''), sex, age, year, value_text "
        "from marts.fct_unodc_glotip where state_code is not null",
    )
    assert sorted(map(tuple, fact.itertuples(index=False))) == published


def test_reconciliation_gives_every_status(built):
    rec = _frame(built, "select * from marts.rpt_unodc_reconciliation").set_index(
        ["state_code", "reporting_year", "indicator_code"]
    )
    expected = {
        ("UZ", 2014, "THB01"): ("equal", 530, "530", 0),
        ("UZ", 2014, "THB02"): ("differs", 1280, "1,279", 1),
        ("UZ", 2014, "THB04"): ("equal", 719, "719", 0),
        ("UZ", 2014, "THB05"): ("only_at_unodc", None, "641", None),
        ("AM", 2015, "THB01"): ("equal", 14, "14", 0),
        ("AM", 2015, "THB02"): ("only_at_unodc", None, "5", None),
        ("AM", 2015, "THB04"): ("censored_inconsistent", 7, "<5", None),
        ("AM", 2015, "THB05"): ("censored_consistent", 3, "<5", None),
        ("RU", 2014, "THB01"): ("only_in_report", 700, None, None),
    }
    for key, (status, report, unodc, difference) in expected.items():
        row = rec.loc[key]
        assert row.status == status, key
        assert (None if pd.isna(row.report_value) else int(row.report_value)) == report, key
        assert (None if pd.isna(row.unodc_value_text) else row.unodc_value_text) == unodc, key
        assert (None if pd.isna(row.difference) else int(row.difference)) == difference, key
    # Moldova does not take part in THB: its UNODC figures are not compared
    assert "MD" not in set(rec.index.get_level_values(0))
    assert (rec[rec.unodc_is_censored].difference.isna()).all()


def test_differences_are_findings_of_their_own_rule(built):
    findings = _frame(
        built,
        "select state_code, reporting_year, indicator_code, message_en, message_ru "
        "from marts.rpt_validation_findings where rule_code = 'unodc_reconciliation_difference'",
    )
    assert sorted(
        zip(findings.state_code, findings.reporting_year, findings.indicator_code, strict=True)
    ) == [
        ("AM", 2015, "THB04"),
        ("UZ", 2014, "THB02"),
    ]
    message = findings.set_index("indicator_code").loc["THB02"]
    assert (
        "1280" in message.message_en and "1,279" in message.message_en and "30.05.2023" in message.message_en
    )
    assert message.message_ru == (
        "выявлено потерпевших от торговли людьми (THB02): показатель государства 1280 расходится с данными "
        "УНП ООН (GLOTIP) 1 279 (выпуск от 30.05.2023)"
    )


def test_a_cis_sum_over_a_censored_value_is_a_bound(built):
    cis = _frame(built, "select * from marts.rpt_unodc_glotip_cis").set_index(["indicator", "reporting_year"])
    convicted = cis.loc[("Persons convicted", 2014)]  # Armenia "<5" among nine states
    assert (convicted.states_published, convicted.states_censored, convicted.is_bound) == (9, 1, True)
    assert pd.isna(convicted.value)
    assert (convicted.value_lower_bound, convicted.value_upper_bound) == (777, 781)
    victims = cis.loc[("Detected trafficking victims", 2014)]  # ten states, none censored
    assert (victims.states_published, victims.is_bound, victims.value) == (10, False, 1829)
