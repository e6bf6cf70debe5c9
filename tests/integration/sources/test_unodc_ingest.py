"""Loading GLOTIP releases into the real PostgreSQL: exactly once, a later release supersedes,
a changed layout or an older release is refused and the release in force stays."""

from __future__ import annotations

import psycopg
import pytest
from glotip_samples import REAL_FILE, REAL_SHA256, column, member_rows, write_release
from programme_monitoring.cli import main
from programme_monitoring.sources.glotip import EXPECTED_COLUMNS
from programme_monitoring.sources.unodc import ingest_release, release_in_force


@pytest.fixture
def db(warehouse_url):
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        conn.execute("delete from raw.unodc_glotip_values")
        conn.execute("delete from audit.unodc_release_ledger")
        yield conn


def _ledger(conn) -> dict[str, tuple]:
    rows = conn.execute(
        "select source_file, status, release_date::text, superseded_by, reason_en, reason_ru "
        "from audit.unodc_release_ledger"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_releases_load_once_supersede_and_refusals_leave_the_release_in_force(db, tmp_path):
    rows = member_rows()
    first = write_release(tmp_path / "glotip_2023.xlsx", rows)
    assert ingest_release(first).status == "loaded"
    assert ingest_release(first).status == "duplicate"
    (count,) = db.execute("select count(*) from raw.unodc_glotip_values").fetchone()
    assert count == 3_055

    renamed = write_release(
        tmp_path / "renamed.xlsx",
        rows,
        release="01/06/2024",
        header=["Value" if c == "txtVALUE" else c for c in EXPECTED_COLUMNS],
    )
    refused = ingest_release(renamed)
    assert refused.status == "rejected" and "unknown: Value" in refused.reasons_en[0]
    assert "неизвестные столбцы: Value" in refused.reasons_ru[0]

    older = write_release(tmp_path / "glotip_2022.xlsx", rows, release="01/06/2022")
    assert ingest_release(older).status == "rejected"

    ledger = _ledger(db)
    assert ledger["glotip_2023.xlsx"][:2] == ("loaded", "2023-05-30")
    assert ledger["renamed.xlsx"][0] == "rejected" and ledger["renamed.xlsx"][4]  # Russian reason too
    assert "not later than the release in force" in ledger["glotip_2022.xlsx"][3]
    assert release_in_force()[1] == "2023-05-30"

    later_rows = [list(r) for r in rows]
    later_rows[0][column("txtVALUE")] = "7"
    later = write_release(tmp_path / "glotip_2024.xlsx", later_rows, release="01/06/2024")
    outcome = ingest_release(later)
    assert outcome.status == "loaded" and outcome.supersedes
    ledger = _ledger(db)
    assert ledger["glotip_2023.xlsx"][0] == "superseded"
    assert ledger["glotip_2023.xlsx"][2] == outcome.source_sha256
    assert release_in_force()[1] == "2024-06-01"
    by_release = dict(
        db.execute("select source_sha256, count(*) from raw.unodc_glotip_values group by 1").fetchall()
    )
    assert sorted(by_release.values()) == [3_055, 3_055]  # the superseded release's rows stay: history
    assert ingest_release(first).status == "duplicate"  # a superseded release is never loaded again


def test_the_real_release_loads_whole_by_the_command_line(db, capsys):
    assert main(["unodc-ingest", str(REAL_FILE)]) == 0
    assert "1 release(s) loaded" in capsys.readouterr().out
    ledger = db.execute("select source_sha256, status, data_rows from audit.unodc_release_ledger").fetchall()
    assert ledger == [(REAL_SHA256, "loaded", 46_556)]
    (rows, censored, countries) = db.execute(
        "select count(*), count(*) filter (where value_text = '<5'), "
        "count(distinct coalesce(iso3_code, country)) from raw.unodc_glotip_values"
    ).fetchone()
    assert (rows, censored, countries) == (46_556, 23_076, 208)
    assert main(["unodc-ingest", str(REAL_FILE)]) == 0
    assert "1 already loaded" in capsys.readouterr().out
