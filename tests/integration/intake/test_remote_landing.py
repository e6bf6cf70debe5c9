"""The remote landing area (``LANDING_URL``) on real fsspec stores through ObjectStoragePath.

Two stores: ``file://`` on a temp folder outside the local landing folder, and fsspec's
``memory://``; the real warehouse (a fresh database per test on the session's embedded
PostgreSQL). Objects are written with ObjectStoragePath (or, for names no well-behaved
client would write, straight into the memory store's own table, as a hostile sender's
store could hold them).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import uuid

import psycopg
import pytest
from programme_monitoring.intake import remote_landing as landing
from programme_monitoring.intake.ingest import IntakeLoadError, ingest_files
from programme_monitoring.report_format import file_safety
from programme_monitoring.settings import paths
from programme_monitoring.warehouse.schema import init as init_schema
from test_ingest import q, write
from test_ingest_faults import new_database

TODAY = dt.date(2020, 1, 1)
BAD_VALUES = [("THB01", "total", -4)]


@pytest.fixture
def fresh(airflow_ready, warehouse_url, tmp_path, monkeypatch):
    """A fresh database and run-time folder, no landing settings from outside; yields the URL."""
    url = new_database(warehouse_url)
    monkeypatch.setenv("WAREHOUSE_URL", url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    for variable in ("LANDING_DIR", "LANDING_URL", "LANDING_CONN_ID"):
        monkeypatch.delenv(variable, raising=False)
    yield url
    with psycopg.connect(warehouse_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{url.rsplit("/", 1)[1]}" with (force)')


@pytest.fixture(params=["file", "memory"])
def remote(request, fresh, tmp_path):
    """(LANDING_URL, the landing area as an ObjectStoragePath) on a fresh store."""
    if request.param == "file":
        folder = tmp_path / "remote-store" / "landing"
        folder.mkdir(parents=True)
        url = folder.as_uri()
    else:
        url = f"memory://landing-{uuid.uuid4().hex[:10]}"
    root = landing.open_landing(url)
    yield url, root
    if request.param == "memory":
        forget(root)


@pytest.fixture
def local(tmp_path):
    """A folder for writing report files before they are put in the store."""
    folder = tmp_path / "made"
    folder.mkdir()
    return folder


def forget(root) -> None:
    """Drop a memory store's objects, whatever their names."""
    for key in [k for k in root.fs.store if k.startswith(root.path + "/")]:
        del root.fs.store[key]
    root.fs.pseudo_dirs[:] = [d for d in root.fs.pseudo_dirs if not d.startswith(root.path)]


def put(root, name: str, source) -> object:
    """Copy a local file into the store as ``name`` ("sender/file" or "file")."""
    target = root.joinpath(*name.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return target


def names(root) -> set[str]:
    """Every object left in the store, as "sender/file" or "file"."""
    fs, base = root.fs, root.path.rstrip("/")
    return {name[len(base) + 1 :] for name in fs.find(base)}


def run(url: str, **kwargs):
    return landing.ingest_remote(url, today=TODAY, **kwargs)


def spool_runs() -> list:
    top = paths().landing_spool
    return sorted(top.iterdir()) if top.exists() else []


def test_a_good_report_is_loaded_with_its_sender_and_deleted_from_the_store(remote, local, fresh):
    url, root = remote
    put(root, "kz/KZ_THB_2014_v1.csv", write(local / "KZ_THB_2014_v1.csv"))
    (outcome,) = run(url)
    assert (outcome.status, outcome.sender, outcome.file_name) == ("loaded", "kz", "KZ_THB_2014_v1.csv")
    assert q(fresh, "select status, sender, file_name from audit.file_ledger") == [
        ("loaded", "kz", "KZ_THB_2014_v1.csv")
    ]
    assert (paths().archive / f"{outcome.sha256}.csv").exists()
    assert names(root) == set()
    assert spool_runs() == []


def test_a_bad_report_is_refused_with_its_reason_and_deleted_from_the_store(remote, local, fresh):
    url, root = remote
    put(root, "kz/KZ_THB_2014_v1.json", write(local / "KZ_THB_2014_v1.json", values=BAD_VALUES))
    (outcome,) = run(url)
    assert outcome.status == "rejected" and outcome.sender == "kz"
    reason = (paths().quarantine / f"{outcome.sha256}.json.reason.txt").read_text(encoding="utf-8")
    assert "KZ_THB_2014_v1.json" in reason and "-4" in reason
    assert q(fresh, "select status from audit.file_ledger") == [("rejected",)]
    assert names(root) == set()


def test_objects_without_a_registered_sender_are_refused_unread_and_stay_in_the_store(remote, local, fresh):
    url, root = remote
    put(root, "KZ_THB_2014_v1.csv", write(local / "KZ_THB_2014_v1.csv"))
    put(root, "kz-mvd/KZ_THB_2015_v1.csv", write(local / "KZ_THB_2015_v1.csv", year=2015))
    put(root, "kz/KZ_THB_2016_v1.csv", write(local / "KZ_THB_2016_v1.csv", year=2016))
    outcomes = {o.file_name: o for o in run(url)}
    assert outcomes["KZ_THB_2016_v1.csv"].status == "loaded"
    for name, expected in (
        ("KZ_THB_2014_v1.csv", "came without a sender"),
        ("KZ_THB_2015_v1.csv", "'kz-mvd'"),
    ):
        assert outcomes[name].status == "rejected" and expected in outcomes[name].reasons[0]
    assert names(root) == {"KZ_THB_2014_v1.csv", "kz-mvd/KZ_THB_2015_v1.csv"}
    assert q(fresh, "select file_name from audit.file_ledger") == [("KZ_THB_2016_v1.csv",)]


def test_the_same_bytes_again_under_another_name_are_a_no_op_and_deleted(remote, local, fresh):
    url, root = remote
    report = write(local / "KZ_THB_2014_v1.xlsx")
    put(root, "kz/KZ_THB_2014_v1.xlsx", report)
    (first,) = run(url)
    put(root, "secretariat/again.xlsx", report)
    (second,) = run(url)
    assert (first.status, second.status) == ("loaded", "duplicate")
    assert second.sha256 == first.sha256
    assert q(fresh, "select count(*), min(sender) from audit.file_ledger") == [(1, "kz")]
    assert q(fresh, "select count(*) from raw.report_headers") == [(1,)]
    assert names(root) == set()


def test_a_dry_run_reads_the_store_but_loads_and_deletes_nothing(remote, local, fresh):
    url, root = remote
    put(root, "kz/KZ_THB_2014_v1.csv", write(local / "KZ_THB_2014_v1.csv"))
    (outcome,) = run(url, dry_run=True)
    assert (outcome.status, outcome.dry_run, outcome.sender) == ("loaded", True, "kz")
    assert q(fresh, "select count(*) from audit.file_ledger") == [(0,)]
    assert names(root) == {"kz/KZ_THB_2014_v1.csv"}
    assert spool_runs() == []


def test_unsafe_names_are_refused_unread_and_left_in_the_store(fresh, local):
    url = f"memory://landing-{uuid.uuid4().hex[:10]}"
    root = landing.open_landing(url)
    good = put(root, "kz/KZ_THB_2014_v1.csv", write(local / "KZ_THB_2014_v1.csv"))
    payload = write(local / "KZ_THB_2015_v1.csv", year=2015).read_bytes()
    base = root.path
    hostile = {
        f"{base}/../escape.csv": "'..' is a relative path component",
        f"{base}//etc/passwd.csv": "an absolute path",
        f"{base}/nul\x00.csv": "a NUL byte",
        f"{base}/kz/line\nbreak.csv": "a control character",
        f"{base}/kz/report\u202evsc.exe": "bidirectional-text override",
        f"{base}/..\\..\\windows.csv": "a backslash",
        f"{base}/{'x' * 300}.csv": "longer than 255 bytes",
        f"{base}/kz/deeper/KZ.csv": "a folder inside a sender folder",
    }
    for key in hostile:
        root.fs.pipe_file(key, payload)
    try:
        outcomes = run(url)
        refused = [o for o in outcomes if o.status == "rejected"]
        assert [o.status for o in outcomes if o.status != "rejected"] == ["loaded"]
        assert len(refused) == len(hostile)
        reasons = " | ".join(r for o in refused for r in o.reasons)
        for expected in hostile.values():
            assert expected in reasons
        for russian in ("байт NUL", "управляющий символ", "смены направления текста", "обратная косая черта",
                        "длиннее 255 байт", "папка внутри папки отправителя"):  # fmt: skip
            assert russian in reasons
        assert all(o.sha256 == "" and "left in the landing area" in o.reasons[0] for o in refused)
        # Printable names in the outcomes (and the log lines): control characters escaped.
        assert "kz/line\\nbreak.csv" in {o.file_name for o in refused}
        assert not any("\n" in o.file_name or "\x00" in o.file_name for o in refused)
        # Nothing of them was read: only the good file is in the ledger; every one stays.
        assert q(fresh, "select file_name from audit.file_ledger") == [("KZ_THB_2014_v1.csv",)]
        assert not good.exists()
        assert all(key in root.fs.store for key in hostile)
    finally:
        forget(root)


def test_links_and_other_special_files_are_refused_unread_and_left(fresh, local, tmp_path):
    store = tmp_path / "remote-store"
    store.mkdir()
    secret = tmp_path / "outside" / "KZ_THB_2015_v1.csv"
    write(secret, year=2015)
    (store / "link.csv").symlink_to(secret)
    (store / "kz").mkdir()
    (store / "kz" / "link_in_sender.csv").symlink_to(secret)
    (store / "linked-sender").symlink_to(secret.parent, target_is_directory=True)
    os.mkfifo(store / "pipe.csv")
    write(store / "kz" / "KZ_THB_2014_v1.csv")
    outcomes = run(store.as_uri())
    by_name = {o.file_name: o for o in outcomes}
    assert by_name["KZ_THB_2014_v1.csv"].status == "loaded"
    for name in ("link.csv", "kz/link_in_sender.csv", "linked-sender"):
        assert by_name[name].status == "rejected" and "it is a link" in by_name[name].reasons[0]
    assert "not a regular file" in by_name["pipe.csv"].reasons[0]
    assert q(fresh, "select file_name from audit.file_ledger") == [("KZ_THB_2014_v1.csv",)]
    assert (store / "link.csv").is_symlink() and (store / "linked-sender").is_symlink()
    assert (store / "kz" / "link_in_sender.csv").is_symlink() and secret.exists()
    assert not (store / "kz" / "KZ_THB_2014_v1.csv").exists()


def test_an_oversized_object_is_refused_from_its_listed_size_before_any_download(fresh, tmp_path):
    store = tmp_path / "remote-store"
    store.mkdir()
    huge = store / "KZ_THB_2014_v1.csv"
    with open(huge, "wb") as handle:  # sparse: no disk used
        handle.truncate(file_safety.MAX_FILE_BYTES["csv"] + 1)
    init_schema()
    (outcome,) = run(store.as_uri())
    assert outcome.status == "rejected" and outcome.sha256 == ""
    limit = file_safety.MAX_FILE_BYTES["csv"]
    assert f"over the {limit // file_safety.MB} MB limit for .csv reports" in outcome.reasons[0]
    assert "not read" in outcome.reasons[0]
    assert f"больше предельного размера {limit // file_safety.MB} МБ для отчёта .csv" in outcome.reasons[0]
    assert "не прочитан, оставлен в области приёма" in outcome.reasons[0]
    assert huge.stat().st_size == file_safety.MAX_FILE_BYTES["csv"] + 1
    assert q(fresh, "select count(*) from audit.file_ledger") == [(0,)]
    assert not paths().quarantine.exists()


def test_an_object_that_grows_past_the_limit_while_downloaded_is_refused(remote, local, monkeypatch):
    url, root = remote
    report = write(local / "KZ_THB_2014_v1.csv")
    target = put(root, "KZ_THB_2014_v1.csv", report)
    monkeypatch.setitem(file_safety.MAX_FILE_BYTES, "csv", report.stat().st_size + 10)
    (obj,), refused = landing.list_waiting(root)
    assert refused == []
    target.write_bytes(report.read_bytes() * 2)  # replaced after the listing, now over the limit
    with landing.spool_folder() as spool:
        with pytest.raises(landing.RefusedUnread, match="grew past") as refusal:
            landing.download(obj, spool)
        assert "превысил предельный размер" in refusal.value.reason[1]
        assert list(spool.iterdir()) == [spool / landing.LOCK_NAME]
    assert target.exists()


def test_a_failed_load_stays_in_the_store_and_loads_on_the_next_run(remote, local, fresh):
    url, root = remote
    put(root, "kz/KZ_THB_2014_v1.csv", write(local / "KZ_THB_2014_v1.csv"))
    put(root, "kz/KZ_THB_2015_v1.csv", write(local / "KZ_THB_2015_v1.csv", year=2015))
    init_schema()
    with psycopg.connect(fresh) as conn:  # a real failure inside the load's transaction
        conn.execute(
            """create function raw.test_fail_2015() returns trigger language plpgsql as $$
               begin
                   if new.reporting_year = 2015 then raise exception 'disk full (test)'; end if;
                   return new;
               end $$;
               create trigger test_fail_2015 before insert on raw.report_headers
                   for each row execute function raw.test_fail_2015();"""
        )
    with pytest.raises(IntakeLoadError, match="disk full"):
        run(url)
    assert names(root) == {"kz/KZ_THB_2015_v1.csv"}
    assert dict(q(fresh, "select file_name, status from audit.file_ledger")) == {
        "KZ_THB_2014_v1.csv": "loaded",
        "KZ_THB_2015_v1.csv": "received",
    }
    assert spool_runs() == []
    with psycopg.connect(fresh) as conn:
        conn.execute("drop trigger test_fail_2015 on raw.report_headers")
    (outcome,) = run(url)
    assert (outcome.file_name, outcome.status) == ("KZ_THB_2015_v1.csv", "loaded")
    assert names(root) == set()


def test_an_unreachable_warehouse_leaves_every_object_in_the_store(remote, local, monkeypatch):
    url, root = remote
    put(root, "kz/KZ_THB_2014_v1.csv", write(local / "KZ_THB_2014_v1.csv"))
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://postgres@127.0.0.1:9/unreachable")
    with pytest.raises(psycopg.OperationalError):
        run(url)
    assert names(root) == {"kz/KZ_THB_2014_v1.csv"}
    assert spool_runs() == []


def test_an_object_replaced_after_its_listing_is_not_deleted(remote, local):
    url, root = remote
    first = write(local / "KZ_THB_2014_v1.csv")
    target = put(root, "kz/KZ_THB_2014_v1.csv", first)
    listed, _ = landing.list_waiting(root)
    replacement = write(local / "v2" / "KZ_THB_2014_v1.csv", 2, [("THB01", "total", 120)]).read_bytes()
    assert len(replacement) != len(first.read_bytes())
    target.write_bytes(replacement)
    assert landing.remove_unchanged(listed) == []
    assert target.read_bytes() == replacement
    relisted, _ = landing.list_waiting(root)
    assert [o.shown for o in landing.remove_unchanged(relisted)] == ["kz/KZ_THB_2014_v1.csv"]
    assert names(root) == set()


def test_a_rerun_after_a_crash_clears_what_was_decided_and_sweeps_the_dead_spool(remote, local, fresh):
    url, root = remote
    report = write(local / "KZ_THB_2014_v1.csv")
    put(root, "kz/KZ_THB_2014_v1.csv", report)
    # The crash: the file was decided (loaded from a spool copy), the run died before the
    # delete in the store, and left its spool folder behind.
    dead = paths().landing_spool / "run-dead"
    (dead / "kz").mkdir(parents=True)
    (dead / landing.LOCK_NAME).touch()
    copy = dead / "kz" / "KZ_THB_2014_v1.csv"
    copy.write_bytes(report.read_bytes())
    (loaded,) = ingest_files([copy], TODAY, landing=dead)
    assert loaded.status == "loaded" and loaded.sender == "kz"
    # A live run's spool (its lock held) is never swept.
    live = paths().landing_spool / "run-live"
    live.mkdir()
    with open(live / landing.LOCK_NAME, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        (again,) = run(url)
        assert spool_runs() == [live]
    assert (again.status, again.sha256) == ("duplicate", loaded.sha256)
    assert names(root) == set()
    assert q(fresh, "select count(*) from audit.file_ledger") == [(1,)]


def test_the_url_never_carries_credentials_and_logs_show_none():
    with pytest.raises(ValueError, match="holds a password") as refused:
        landing.open_landing("sftp://reports:s3cr3t@sftp.example.org/landing")
    assert "s3cr3t" not in str(refused.value) and "reports" not in str(refused.value)
    assert landing.shown_url("s3://aws_landing@bucket/landing/?region=x") == "s3://bucket/landing/"
    assert landing.shown_url("sftp://conn@host:2222/landing") == "sftp://host:2222/landing"


def test_the_ingest_dag_takes_a_remote_landing_area(fresh, tmp_path, monkeypatch):
    from programme_monitoring.orchestration.local_runs import load_dags
    from programme_monitoring.orchestration.names import INGEST_DAG

    store = tmp_path / "remote-store"
    write(store / "kz" / "KZ_THB_2014_v1.csv")
    write(store / "kz" / "KZ_THB_2015_v1.json", year=2015, values=BAD_VALUES)
    monkeypatch.setenv("LANDING_URL", store.as_uri())
    local_landing = paths().landing
    dag_run = load_dags().dags[INGEST_DAG].test()
    assert str(dag_run.state) == "success"
    assert dict(q(fresh, "select file_name, status || ':' || sender from audit.file_ledger")) == {
        "KZ_THB_2014_v1.csv": "loaded:kz",
        "KZ_THB_2015_v1.json": "rejected:kz",
    }
    assert sorted(p.name for p in store.rglob("*")) == ["kz"]
    assert not local_landing.exists() or list(local_landing.iterdir()) == []
