"""The main job on a fresh embedded PostgreSQL: sample reports -> ingest -> dbt -> headline figures.

Runs the three real DAGs with ``dag.test()`` and checks the figures the Executive
Committee published for 2014, and that every planted bad report was refused.
"""

from __future__ import annotations

import csv

import psycopg
from programme_monitoring.settings import paths

# The 2014 statement (OSCE, Vienna, 6 July 2015): "over 2,700" crimes, "over 1,600"
# people brought to justice, 98 criminal groups, 53 channels, 13 comprehensive
# preventive measures and 2 special operations. The samples are calibrated to these.


def _query(url: str, sql: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_every_dag_run_succeeds(chain_run):
    _, states = chain_run
    assert set(states.values()) == {"success"}


def test_2014_headline_figures_match_the_statement(chain_run, warehouse_url, statement_2014):
    columns = ", ".join(statement_2014)
    (row,) = _query(
        warehouse_url, f"select {columns} from marts.rpt_headline_figures where reporting_year = 2014"
    )
    assert dict(zip(statement_2014, row, strict=True)) == statement_2014


def test_headline_files_are_written(chain_run):
    csv_path = paths().reports / "headline_figures.csv"
    rows = {int(r["reporting_year"]): r for r in csv.DictReader(csv_path.open(encoding="utf-8"))}
    assert sorted(rows) == list(range(2014, 2020))
    assert int(rows[2014]["criminal_groups_terminated"]) == 98
    html = (paths().reports / "headline_figures.html").read_text(encoding="utf-8")
    assert "Пресечено каналов незаконной миграции" in html and "<td>2014</td>" in html


def test_planted_bad_reports_are_quarantined_with_a_reason(chain_run, warehouse_url):
    manifest, _ = chain_run
    assert manifest.bad, "the samples must include reports the checks refuse"
    ledger = dict(_query(warehouse_url, "select file_name, status from audit.file_ledger"))
    for path in manifest.bad:
        assert ledger[path.name] == "rejected", path.name
    quarantined = list(paths().quarantine.glob("*.reason.txt"))
    assert len(quarantined) == len(manifest.bad)
    reasons = "\n".join(p.read_text(encoding="utf-8") for p in quarantined)
    for path in manifest.bad:
        assert path.name in reasons


def test_every_good_report_is_loaded_once_with_its_source_file(chain_run, warehouse_url):
    manifest, _ = chain_run
    loaded = {name for (name,) in _query(warehouse_url, "select source_file from raw.report_headers")}
    assert loaded == {p.name for p in manifest.good}
    (orphans,) = _query(
        warehouse_url,
        """
        select count(*) from marts.fct_indicator_values f
        left join raw.report_headers h on h.report_id = f.report_id where h.report_id is null""",
    )
    assert orphans == (0,)


def test_delivering_the_same_files_again_changes_nothing(chain_run, warehouse_url):
    from programme_monitoring.dev.samples import generate_samples
    from programme_monitoring.intake.ingest import ingest_landing

    before = _query(warehouse_url, "select count(*) from raw.indicator_values")
    generate_samples(paths().landing, seed=2014)
    outcomes = ingest_landing()
    assert {o.status for o in outcomes} == {"duplicate"}
    assert _query(warehouse_url, "select count(*) from raw.indicator_values") == before
    assert [p for p in paths().landing.rglob("*") if not p.is_dir()] == []


def test_the_review_list_agrees_with_the_intake_and_reads_in_each_language(chain_run, warehouse_url):
    """The review list holds the intake's warnings as the intake counted them, the warehouse's
    own findings each once per value, none on a value the intake already flagged, every text
    wholly in its language."""
    from programme_monitoring.orchestration.tasks import findings_line

    (intake_warnings,) = _query(warehouse_url, "select count(*) from audit.validation_findings")[0]
    counts = dict(
        _query(warehouse_url, "select origin, count(*) from marts.rpt_validation_findings group by 1")
    )
    assert counts.get("intake", 0) == intake_warnings > 0
    total = sum(counts.values())
    assert f"{total} finding(s), {intake_warnings} found at intake" in findings_line()
    twice = _query(
        warehouse_url,
        "select state_code, indicator_code, reporting_year from marts.rpt_validation_findings "
        "where origin = 'warehouse' group by 1, 2, 3 having count(distinct rule_code) > 1",
    )
    assert twice == []
    again = _query(
        warehouse_url,
        "select w.finding_id from marts.rpt_validation_findings w join marts.rpt_validation_findings i "
        "on i.origin = 'intake' and w.origin = 'warehouse' and i.state_code = w.state_code "
        "and i.reporting_year = w.reporting_year "
        "and w.indicator_code = any(string_to_array(i.values_involved::jsonb ->> 'indicators', '|'))",
    )
    assert again == []
    texts = _query(warehouse_url, "select message_en, message_ru from marts.rpt_validation_findings")
    for en, ru in texts:
        assert "{" not in en + ru
        assert not any("а" <= c.lower() <= "я" for c in en), en
        assert not any(word in ru for word in (" vs ", "median", "previous", "exceeds")), ru
