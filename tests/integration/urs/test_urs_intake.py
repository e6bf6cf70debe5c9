"""URS intake into a real PostgreSQL: what is loaded, what is refused, one key at a time, the change of key.

Each test loads into an empty database of its own (``scratch_url``). The readers alone (no
database) are tested in tests/unit/urs; the DAG run and the marts in tests/e2e/urs.
"""

from __future__ import annotations

import csv
import os

import psycopg
import pytest
from programme_monitoring.dev.urs_extracts import write_synthetic_extract
from programme_monitoring.orchestration.tasks import urs_ingest_task
from programme_monitoring.urs.extract import UrsRekeyError, ingest_extract, rekey_extracts
from programme_monitoring.urs.pseudonym import KEY_ENV, key_id, pseudonym
from programme_monitoring.warehouse.schema import init as init_schema
from urs_samples import (
    BAD_EXTRACT,
    BAD_EXTRACT_REASONS,
    EXTRACTS,
    KEY,
    PASSPORT,
    PASSWORD,
    deterministic_rows,
    row,
    sentinel_url,
    write_csv,
)


@pytest.fixture
def scratch_url(warehouse_url, monkeypatch):
    """An empty database of its own for the intake (WAREHOUSE_URL points at it), its schema made."""
    admin = warehouse_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("drop database if exists urs_scratch with (force)")
        conn.execute("create database urs_scratch")
    url = warehouse_url.rsplit("/", 1)[0] + "/urs_scratch"
    monkeypatch.setenv("WAREHOUSE_URL", url)
    init_schema(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("drop database if exists urs_scratch with (force)")


def _empty(url):
    with psycopg.connect(url) as conn:
        conn.execute("truncate raw.urs_events, audit.urs_extract_ledger")


def _events(url):
    with psycopg.connect(url) as conn:
        return conn.execute(
            """select event_type, person_pseudonym, citizenship, purpose_of_visit, host_state,
                      border_crossing_point, event_date::text
               from raw.urs_events order by 1, 2, 3, 4, 5, 6, 7"""
        ).fetchall()


# -- the fast (pandas C) and exact (csv module) readers load the same rows ----------------


def test_both_readers_load_the_same_rows_at_any_block_size(scratch_url, tmp_path):
    """Default blocks (pandas' C reader where a block allows) vs 64-byte blocks (most go through
    the csv module): the same rows, quoted commas, tabs and backslashes in the columns dropped."""
    key = b"k" * 40
    for name, (text, count) in EXTRACTS.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text, encoding="utf-8", newline="")
        loaded = []
        for block_bytes in (None, 64):
            _empty(scratch_url)
            outcome = ingest_extract(path, key=key, block_bytes=block_bytes)
            assert (outcome.status, outcome.event_rows) == ("loaded", count), (name, outcome.reasons)
            loaded.append(_events(scratch_url))
        assert loaded[0] == loaded[1], name
    rows = {r[5] for r in _events(scratch_url)}  # the last file: a code, upper-cased
    assert rows == {"KZ-ASTANA-AIR"}
    assert pseudonym(key, "ab-123.4", "chn") == pseudonym(key, "AB1234", "CHN")


def test_a_large_extract_loads_the_same_through_both_readers(scratch_url, tmp_path):
    key = b"k" * 40
    extract = write_synthetic_extract(tmp_path / "big.csv", 20_000, seed=3)
    loaded = []
    for block_bytes in (None, 50_000):
        _empty(scratch_url)
        assert ingest_extract(extract, key=key, block_bytes=block_bytes).event_rows == 20_000
        loaded.append(_events(scratch_url))
    # The slow reader, forced: a quote in a column the intake drops sends every block through it.
    text = extract.read_text().replace("Synthetic Person", '"Synthetic, Person"')
    quoted = tmp_path / "big_quoted.csv"
    quoted.write_text(text)
    _empty(scratch_url)
    assert ingest_extract(quoted, key=key).event_rows == 20_000
    loaded.append(_events(scratch_url))
    assert loaded[0] == loaded[1] == loaded[2]
    with open(extract, newline="") as f:
        expected = {pseudonym(key, r["passport_number"], r["citizenship"]) for r in csv.DictReader(f)}
    assert {r[1] for r in loaded[0]} == expected


@pytest.mark.parametrize("block_bytes", [None, 64])
def test_bad_lines_are_refused_by_line_and_column_never_by_value(scratch_url, tmp_path, block_bytes):
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD_EXTRACT)
    outcome = ingest_extract(path, key=b"k" * 40, block_bytes=block_bytes)
    assert outcome.status == "rejected"
    assert outcome.reasons == BAD_EXTRACT_REASONS  # English / Russian
    assert PASSPORT not in "".join(outcome.reasons)
    with psycopg.connect(scratch_url) as conn:
        assert conn.execute("select count(*) from raw.urs_events").fetchone()[0] == 0
        assert conn.execute("select status, reason from audit.urs_extract_ledger").fetchall() == [
            ("rejected", "\n".join(BAD_EXTRACT_REASONS))
        ]


def _halves(reason: str) -> tuple[str, str]:
    """The English and the Russian half of a reason, "English / русский"."""
    en, ru = reason.split(" / ")
    return en, ru


def test_an_extract_without_events_is_refused_in_english_and_russian(scratch_url, tmp_path):
    outcome = ingest_extract(write_csv(tmp_path / "empty.csv", []), key=b"k" * 40)
    assert (outcome.status, outcome.reasons) == (
        "rejected",
        ["no event rows / в файле нет ни одной строки события"],
    )


def test_a_value_postgresql_refuses_is_named_by_its_sqlstate_in_english_and_russian(
    scratch_url, tmp_path, monkeypatch
):
    from programme_monitoring.urs import extract

    def refused(*args):
        raise psycopg.errors.NumericValueOutOfRange(f"value {PASSPORT} is out of range")

    monkeypatch.setattr(extract, "_copy_events", refused)
    outcome = ingest_extract(write_csv(tmp_path / "a.csv", deterministic_rows()[:2]), key=b"k" * 40)
    assert (outcome.status, outcome.reasons) == (
        "rejected",
        ["a value PostgreSQL refused (SQLSTATE 22003) / PostgreSQL отклонил значение (SQLSTATE 22003)"],
    )


def test_a_file_not_named_csv_is_refused_with_a_reason_not_left_unseen(scratch_url, tmp_path, monkeypatch):
    from programme_monitoring.urs.extract import ingest_urs_landing

    landing = tmp_path / "urs_landing"
    landing.mkdir()
    monkeypatch.setenv("URS_LANDING_DIR", str(landing))
    write_csv(landing / "2016-03.csv", deterministic_rows()[:5])
    write_csv(landing / "2016-04.csv.uploading", deterministic_rows()[5:10])
    (landing / ".2016-05.csv.swp").write_text("an editor's file")
    outcomes = {o.source_file: o for o in ingest_urs_landing(key=b"k" * 40)}
    assert {name: o.status for name, o in outcomes.items()} == {
        "2016-03.csv": "loaded",
        "2016-04.csv.uploading": "rejected",
    }
    en, ru = _halves(outcomes["2016-04.csv.uploading"].reasons[0])
    assert en.startswith("not named *.csv: ") and en.endswith(
        "'2016-04.csv.uploading' is a complete extract, rename it"
    )
    assert ru == (
        "имя файла не *.csv: выгрузка УРС — файл CSV, имя которого оканчивается на .csv "
        "(docs/urs_extract_format.md); если '2016-04.csv.uploading' — полная выгрузка, переименуйте файл"
    )
    # The same rows under a wrong name do not unload what was loaded under the right one.
    (landing / "2016-03.csv").rename(landing / "2016-03.txt")
    assert [o.status for o in ingest_urs_landing(key=b"k" * 40) if o.source_file == "2016-03.txt"] == [
        "duplicate"
    ]
    assert _ledger(scratch_url)[0][:2] == ("2016-03.csv", "loaded")


# -- a changed key ------------------------------------------------------------------------

KEY_1 = b"first-key-" + b"1" * 40
KEY_2 = b"second-key-" + b"2" * 40


def _ledger(url):
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select source_file, status, pseudonym_key_id from audit.urs_extract_ledger order by 1"
        ).fetchall()


def test_an_extract_made_with_another_key_is_refused(scratch_url, tmp_path):
    first = write_csv(tmp_path / "a.csv", deterministic_rows()[:5])
    second = write_csv(tmp_path / "b.csv", deterministic_rows()[5:10])
    assert ingest_extract(first, key=KEY_1).status == "loaded"
    refused = ingest_extract(second, key=KEY_2)
    assert refused.status == "rejected"
    en, ru = _halves(refused.reasons[0])
    assert "another pseudonym key" in en and key_id(KEY_1) in en
    assert ru == (
        f"выгрузка сделана с другим ключом псевдонимизации (key id {key_id(KEY_2)}), чем загруженные "
        f"выгрузки (1; key id {key_id(KEY_1)}): их псевдонимы никогда не совпадут. Используйте ключ "
        "загруженных выгрузок или смените ключ для всех сразу: `urs-ingest --rekey` "
        "(docs/urs_extract_format.md)"
    )
    assert _ledger(scratch_url) == [
        ("a.csv", "loaded", key_id(KEY_1)),
        ("b.csv", "rejected", key_id(KEY_2)),
    ]
    assert {r[1] for r in _events(scratch_url)} == {
        pseudonym(KEY_1, r[1], r[4]) for r in deterministic_rows()[:5]
    }
    assert ingest_extract(second, key=KEY_1).status == "loaded"  # with the same key: fine


def test_rekey_needs_every_loaded_extract_and_replaces_every_pseudonym(scratch_url, tmp_path):
    rows = deterministic_rows()
    first = write_csv(tmp_path / "a.csv", rows[:10])
    second = write_csv(tmp_path / "b.csv", rows[10:])
    for path in (first, second):
        assert ingest_extract(path, key=KEY_1).status == "loaded"
    before = _events(scratch_url)

    with pytest.raises(UrsRekeyError) as missing:  # a loaded extract's source is missing
        rekey_extracts([second], key=KEY_2)
    en, ru = _halves(str(missing.value))
    assert en.startswith(
        "1 loaded extract(s) not among the files given (identified by their SHA-256): a.csv."
    )
    assert ru == (
        "среди указанных файлов нет загруженных выгрузок (1; распознаются по SHA-256): a.csv. Для "
        "повторной псевдонимизации нужен исходный файл каждой загруженной выгрузки, иначе в подсчётах "
        "уникальных лиц смешаются ключи; ничего не изменено"
    )
    assert _events(scratch_url) == before  # nothing changed

    outcomes = rekey_extracts([first, second, first], key=KEY_2)
    assert sorted((o.source_file, o.status, o.event_rows) for o in outcomes) == [
        ("a.csv", "loaded", 10),
        ("b.csv", "loaded", len(rows) - 10),
    ]
    after = {r[1] for r in _events(scratch_url)}
    assert after == {pseudonym(KEY_2, r[1], r[4]) for r in rows}
    assert after.isdisjoint({r[1] for r in before})  # no pseudonym of the old key is left
    assert {(f, s, k) for f, s, k in _ledger(scratch_url)} == {
        ("a.csv", "loaded", key_id(KEY_2)),
        ("b.csv", "loaded", key_id(KEY_2)),
    }
    assert ingest_extract(first, key=KEY_1).status == "duplicate"  # same bytes: nothing to do
    third = write_csv(tmp_path / "c.csv", rows[:3])
    assert ingest_extract(third, key=KEY_1).status == "rejected"  # the old key is refused now


def test_a_rekey_with_a_refused_file_names_its_reasons_in_english_and_russian(scratch_url, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(BAD_EXTRACT)
    with pytest.raises(UrsRekeyError) as refused:
        rekey_extracts([path], key=KEY_1)
    assert str(refused.value).split("\n") == [
        "bad.csv refused, nothing was changed / файл bad.csv отклонён, ничего не изменено:",
        *BAD_EXTRACT_REASONS,
    ]


@pytest.fixture
def airflow_logging(airflow_ready):
    """Airflow's first import replaces the root logger's handlers: done before the test, not
    in it, so that caplog's handler (added for the test's call) stays; after ``airflow_ready``
    configured it, or the tests after this one would find Airflow set up without its metadata."""
    import airflow.sdk.log  # noqa: F401


def test_the_task_says_what_it_did_in_english_and_russian(
    scratch_url, airflow_logging, tmp_path, monkeypatch, capsys, caplog
):
    monkeypatch.setenv(KEY_ENV, KEY)
    good = write_csv(tmp_path / "good.csv", deterministic_rows()[:5])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD_EXTRACT)
    with caplog.at_level("INFO", logger="programme_monitoring"):
        summary = urs_ingest_task(files=[str(good), str(bad)])
    assert summary["rejected"] == {"bad.csv": BAD_EXTRACT_REASONS}
    line = (
        "URS intake: 1 extract(s) loaded (5 events), 1 refused, 0 already seen / "
        "приём УРС: загружено выгрузок: 1 (событий: 5), отклонено: 1, уже были загружены: 0"
    )
    assert line in capsys.readouterr().out
    logged = [r.getMessage() for r in caplog.records]
    assert line in logged
    assert "URS extract good.csv: 5 events loaded / выгрузка УРС good.csv: загружено событий: 5" in logged
    assert "URS extract bad.csv refused: 5 reason(s) / выгрузка УРС bad.csv отклонена, причин: 5" in logged


# -- the task body masks the secrets ------------------------------------------------------


def test_the_task_registers_the_key_and_the_password_with_airflows_masker(
    airflow_ready, monkeypatch, tmp_path
):
    """urs_ingest_task (the DAG's task body) masks both secrets: anything Airflow logs shows ***."""
    try:
        from airflow.sdk._shared.secrets_masker import redact
    except ImportError:  # pragma: no cover - older layout
        from airflow.sdk.execution_time.secrets_masker import redact

    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv("URS_LANDING_DIR", str(tmp_path))  # empty: nothing to load
    url = os.environ["WAREHOUSE_URL"]
    monkeypatch.setenv("WAREHOUSE_URL", sentinel_url(url))
    urs_ingest_task()
    redacted = str(redact(f"connecting with {PASSWORD}, key {KEY}"))
    assert "PWSENTINEL" not in redacted and "KEYSENTINEL" not in redacted
    assert "***" in redacted


# -- one person, one pseudonym --------------------------------------------------------------


def test_look_alike_spellings_of_a_passport_are_one_person_in_the_warehouse(scratch_url, tmp_path):
    """Cyrillic look-alikes, full-width digits, odd separators: one pseudonym, not three persons."""
    spellings = [
        ("AB1234567", "CHN"),
        ("АВ 1234567", "СНN"),
        ("ＡＢ１２３４５６７", "chn"),
        ("ab–123.4567", "Chn"),
    ]
    path = write_csv(
        tmp_path / "spellings.csv",
        [row("entry", p, c, "work", f"2016-01-0{i + 1}") for i, (p, c) in enumerate(spellings)],
    )
    assert ingest_extract(path, key=KEY_1).status == "loaded"
    assert {(r[1], r[2]) for r in _events(scratch_url)} == {(pseudonym(KEY_1, "AB1234567", "CHN"), "CHN")}


def test_extracts_of_the_earlier_normalisation_are_not_mixed_until_pseudonymised_again(scratch_url, tmp_path):
    """Pseudonyms made before the normalisation differ under the same key: the intake refuses to
    mix them (as it refuses another key), and a re-key with the same key brings them over."""
    rows = deterministic_rows()
    first = write_csv(tmp_path / "a.csv", rows[:10])
    second = write_csv(tmp_path / "b.csv", rows[10:])
    assert ingest_extract(first, key=KEY_1).status == "loaded"
    with psycopg.connect(scratch_url) as conn:  # as an extract loaded before the change is recorded
        conn.execute("update audit.urs_extract_ledger set pseudonym_scheme = null")
    refused = ingest_extract(second, key=KEY_1)
    assert refused.status == "rejected"
    en, ru = _halves(refused.reasons[0])
    assert "earlier normalisation" in en and "--rekey" in en
    assert ru == (
        "загруженные выгрузки (1) псевдонимизированы с прежней нормализацией номеров паспортов "
        "(схема 1, теперь 2): их псевдонимы не совпадут. Псевдонимизируйте их заново, тем же ключом, "
        "вместе с этой выгрузкой: `urs-ingest --rekey` (docs/urs_extract_format.md)"
    )
    assert rekey_extracts([first, second], key=KEY_1)
    with psycopg.connect(scratch_url) as conn:
        assert conn.execute(
            "select status, pseudonym_scheme, count(*) from audit.urs_extract_ledger group by 1, 2"
        ).fetchall() == [("loaded", 2, 2)]
    assert {r[1] for r in _events(scratch_url)} == {pseudonym(KEY_1, r[1], r[4]) for r in rows}
