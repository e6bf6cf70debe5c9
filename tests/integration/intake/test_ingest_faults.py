"""Faults during a load, on a real PostgreSQL, each with a real report file.

(a) the loader is killed (SIGKILL) between its COPY and its commit; (b) PostgreSQL stops
immediately (a crash) at the same point; (c) two intakes of the same state x programme x
year race; (d) the disk holding the values table fills up. After each: no rows of the
failed attempt, the file not marked loaded, and a rerun gives what a clean run gives.

The loads are paused with the intake's documented test hook
(``PROGRAMME_MONITORING_PAUSE_AFTER_COPY``) and run in subprocesses, so the test can act
while a transaction is open. (b) and (d) use their own embedded server.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from programme_monitoring.intake.ingest import PAUSE_ENV, IntakeLoadError
from programme_monitoring.settings import paths
from test_ingest import BASE_VALUES, complete, measures, write

SENDER = "secretariat"  # may deliver any state's report (seed senders)
LOADER = (
    "import datetime as dt, sys; from pathlib import Path; "
    "from programme_monitoring.intake.ingest import ingest_files; "
    "(o,) = ingest_files([Path(sys.argv[1])], today=dt.date(2020, 1, 1), sender='secretariat'); "
    "print(o.status, o.sha256)"
)


def _admin(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def new_database(server_url: str) -> str:
    name = f"faults_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_admin(server_url), autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def q(url: str, sql: str, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def spawn(path: Path, url: str, pause: float | str | None = None) -> subprocess.Popen:
    env = {**os.environ, "WAREHOUSE_URL": url}
    env.pop(PAUSE_ENV, None)
    if pause:
        env[PAUSE_ENV] = str(pause)
    return subprocess.Popen(
        [sys.executable, "-c", LOADER, str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_paused(proc: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if "paused after COPY" in line:
            return
    raise AssertionError("the loader never reached its pause:\n" + "".join(seen[-30:]))


def snapshot(url: str) -> dict:
    """What a load leaves behind, without times and paths."""
    return {
        "ledger": q(
            url,
            """select file_sha256, status, sender, report_version, indicator_rows, measure_rows
               from audit.file_ledger order by file_sha256""",
        ),
        "headers": q(
            url, "select report_id, state_code, programme_code, reporting_year from raw.report_headers"
        ),
        "values": q(
            url,
            """select report_id, source_row, indicator_code, disaggregation, value, is_reported
               from raw.indicator_values order by report_id, source_row""",
        ),
        "measures": q(url, "select report_id, measure_code, status from raw.measure_status order by 1, 2"),
        "summary": q(url, "select file_sha256, status, imported, updated, ignored from audit.import_summary"),
    }


def clean_run_snapshot(server_url: str, report: Path, monkeypatch) -> dict:
    """The same file loaded by an undisturbed intake into a fresh database."""
    from programme_monitoring.intake.ingest import ingest_files

    url = new_database(server_url)
    copy = report.parent / "clean-run" / report.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(report, copy)
    with monkeypatch.context() as m:
        m.setenv("WAREHOUSE_URL", url)
        (outcome,) = ingest_files([copy], today=dt.date(2020, 1, 1), sender=SENDER)
    assert outcome.status == "loaded", outcome.reasons
    return snapshot(url)


def assert_nothing_kept(url: str, digest: str) -> None:
    assert q(url, "select count(*) from raw.indicator_values") == [(0,)]
    assert q(url, "select count(*) from raw.report_headers") == [(0,)]
    assert q(url, "select count(*) from audit.import_summary") == [(0,)]
    # The ledger may show the file as received (seen, not decided); never loaded.
    assert q(url, "select status from audit.file_ledger where file_sha256 = %s", digest) in (
        [],
        [("received",)],
    )


def rerun(report: Path, url: str, monkeypatch):
    from programme_monitoring.intake.ingest import ingest_files

    monkeypatch.setenv("WAREHOUSE_URL", url)
    (outcome,) = ingest_files([report], today=dt.date(2020, 1, 1), sender=SENDER)
    return outcome


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv(PAUSE_ENV, raising=False)
    (tmp_path / "var" / "landing").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def own_server(tmp_path):
    """A separate embedded PostgreSQL this test may crash or starve."""
    from programme_monitoring.warehouse.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(tmp_path / "pgdata")
    server.ensure_running()
    yield server
    server.stop(mode="immediate")


# A report of 100,000 parts (10 MB): its values are COPYed while it is read (intake.head_start).
ANNEX = [("THB01", "total", 100_000), *(("THB01", f"article=C{n:06d}", 1) for n in range(100_000))]


@pytest.mark.parametrize("values", [BASE_VALUES, ANNEX], ids=["small", "with a head start"])
def test_a_loader_killed_mid_load_leaves_nothing_and_the_rerun_equals_a_clean_run(
    warehouse_url, run_dir, monkeypatch, values
):
    from programme_monitoring.intake.head_start import MIN_BYTES
    from programme_monitoring.report_format.file_safety import file_sha256 as _sha256

    url = new_database(warehouse_url)
    report = write(paths().landing / "KZ_THB_2014_v1.csv", values=values)
    assert (report.stat().st_size >= MIN_BYTES) == (values is ANNEX)
    digest = _sha256(report)
    proc = spawn(report, url, pause=120)
    try:
        wait_paused(proc)
        # Mid-load: the COPY ran, but nobody else sees its rows.
        assert q(url, "select count(*) from raw.indicator_values") == [(0,)]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert_nothing_kept(url, digest)
    assert report.exists(), "the file stays in the landing area for the next run"

    outcome = rerun(report, url, monkeypatch)
    assert outcome.status == "loaded", outcome.reasons
    assert snapshot(url) == clean_run_snapshot(
        warehouse_url, write(run_dir / "KZ_THB_2014_v1.csv", values=values), monkeypatch
    )


def test_postgres_stopped_mid_load_leaves_nothing_and_the_rerun_equals_a_clean_run(
    own_server, run_dir, monkeypatch
):
    from programme_monitoring.report_format.file_safety import file_sha256 as _sha256

    server_url = own_server.url()
    url = new_database(server_url)
    report = write(paths().landing / "KZ_THB_2014_v1.xlsx")
    digest = _sha256(report)
    proc = spawn(report, url, pause=5)
    try:
        wait_paused(proc)
        own_server.stop(mode="immediate")
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert "IntakeLoadError" in err and "Nothing from this file was kept" in err, err[-2000:]
    assert report.exists()

    own_server.ensure_running()
    assert_nothing_kept(url, digest)
    outcome = rerun(report, url, monkeypatch)
    assert outcome.status == "loaded", outcome.reasons
    assert snapshot(url) == clean_run_snapshot(
        server_url, write(run_dir / "KZ_THB_2014_v1.xlsx"), monkeypatch
    )


# (first delivery, second delivery) -> final status of each
RACES = {
    "KZ": ((1, 2), ("superseded", "loaded")),  # the correction arrives while v1 loads
    # (a late v1 arriving while v2 loads takes the same path as BY; test_intake covers it serially)
    "BY": ((1, 1), ("loaded", "rejected")),  # two different files both claiming v1
}


def test_concurrent_deliveries_of_one_report_serialise(warehouse_url, run_dir, monkeypatch):
    url = new_database(warehouse_url)
    first, second = {}, {}
    for state, ((v_first, v_second), _) in RACES.items():
        first[state] = write(paths().landing / "a" / f"{state}_THB_2014_v{v_first}.csv", v_first, state=state)
        second[state] = write(
            paths().landing / "b" / f"{state}_THB_2014_v{v_second}.json",
            v_second,
            [*BASE_VALUES[:5], ("THB05", "total", 31), *BASE_VALUES[6:]],
            state=state,
        )
    # The first deliveries pause inside their transaction, holding their key's lock...
    release = run_dir / "release-first-deliveries"
    procs_first = {s: spawn(p, url, pause=f"until:{release}") for s, p in first.items()}
    for proc in procs_first.values():
        wait_paused(proc)
    # ... while the second deliveries of the same keys arrive and must wait for them.
    procs_second = {s: spawn(p, url) for s, p in second.items()}
    waited, start = 0, time.monotonic()
    while time.monotonic() < start + 180 and waited < len(RACES):
        waited = q(url, "select count(distinct pid) from pg_locks where not granted")[0][0]
        time.sleep(0.2)
    release.touch()
    results = {}
    for state in RACES:
        out_a, err_a = procs_first[state].communicate(timeout=180)
        out_b, err_b = procs_second[state].communicate(timeout=180)
        assert procs_first[state].returncode == 0, err_a[-2000:]
        assert procs_second[state].returncode == 0, err_b[-2000:]
        results[state] = (out_a.split()[-2:], out_b.split()[-2:])
    assert waited == len(RACES), "the second deliveries should have waited on the first ones' lock"

    ledger = dict(q(url, "select file_sha256, status from audit.file_ledger"))
    for state, (_, (final_first, final_second)) in RACES.items():
        (_, sha_a), (status_b, sha_b) = results[state]
        assert (ledger[sha_a], ledger[sha_b]) == (final_first, final_second), state
        assert status_b == ("loaded" if final_second == "loaded" else "rejected")
        loaded = q(
            url,
            "select count(*) from audit.file_ledger where state_code = %s and status = 'loaded'",
            state,
        )
        assert loaded == [(1,)]
    # The same as the serial order first -> second: values of the winner only among the loaded.
    assert q(url, "select count(distinct report_id) from raw.report_headers") == [
        (sum(1 + (f == "superseded") for _, (f, _) in RACES.values()),)
    ]


def test_the_same_large_file_in_two_runs_at_once_is_loaded_once(warehouse_url, run_dir, monkeypatch):
    """The first run pauses before its commit; the second waits for it (on the file's ledger
    row, or on its header if the first is still reading), then finds the file loaded: its
    head start, if it began, fails on the header and is rolled back."""
    url = new_database(warehouse_url)
    first = write(paths().landing / "a" / "KZ_THB_2014_v1.csv", values=ANNEX)
    second = paths().landing / "b" / "the same file.csv"
    second.parent.mkdir(parents=True)
    shutil.copyfile(first, second)
    release = run_dir / "release-first"
    proc_first = spawn(first, url, pause=f"until:{release}")
    try:
        wait_paused(proc_first)
        proc_second = spawn(second, url)
        waited, start = 0, time.monotonic()
        while time.monotonic() < start + 180 and not waited:
            waited = q(url, "select count(*) from pg_locks where not granted")[0][0]
            time.sleep(0.2)
        release.touch()
        out_first, err_first = proc_first.communicate(timeout=180)
        out_second, err_second = proc_second.communicate(timeout=180)
    finally:
        proc_first.kill()
    assert waited, "the second run should have waited for the first one's transaction"
    assert proc_first.returncode == 0 and proc_second.returncode == 0, (err_first[-2000:], err_second[-2000:])
    assert out_first.split()[-2] == "loaded" and out_second.split()[-2] == "duplicate"
    assert q(url, "select count(*) from raw.report_headers") == [(1,)]
    assert q(url, "select count(*) from raw.indicator_values") == [(len(complete(ANNEX)),)]


def _mount_small_tmpfs(target: Path, uid: int, gid: int) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; this machine runs the tests as another user")
    options = f"size=2m,uid={uid},gid={gid},mode=0700"  # owned by the server's user from the start
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)], capture_output=True
    )
    if result.returncode != 0:
        pytest.skip(f"mount -t tmpfs not permitted here: {result.stderr.decode().strip()}")


def test_a_full_disk_fails_the_load_clearly_keeps_nothing_and_the_load_succeeds_once_space_is_freed(
    own_server, run_dir, monkeypatch
):
    import pwd

    from programme_monitoring.report_format.file_safety import file_sha256 as _sha256
    from programme_monitoring.warehouse.embedded import SERVICE_USER
    from programme_monitoring.warehouse.schema import init

    # Outside the test's own folder: the server's service user must reach it, and pytest's
    # temporary folders are private to the user running the tests (mode 0700).
    small = Path(tempfile.mkdtemp(prefix="pm-small-disk-"))
    small.chmod(0o711)
    owner = pwd.getpwnam(SERVICE_USER)
    _mount_small_tmpfs(small, owner.pw_uid, owner.pw_gid)
    try:
        url = new_database(own_server.url())
        monkeypatch.setenv("WAREHOUSE_URL", url)
        init()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"create tablespace small_disk location '{small}'")
            conn.execute("alter table raw.indicator_values set tablespace small_disk")
        # Leave ~200 kB free: less than the report's values need.
        filler = small / "filler"
        free = shutil.disk_usage(small).free
        filler.write_bytes(b"\0" * (free - 200 * 1024))

        operations = [("CR02", f"operation=SPO-2014-{n:05d}", 1) for n in range(1, 8001)]
        rows = [
            {"indicator_code": c, "disaggregation": d, "value": v, "comment": ""}
            for c, d, v in complete(
                [("CR01", "total", 5), ("CR02", "total", len(operations)), *operations], "CR", 2014
            )
        ]
        from programme_monitoring.report_format.records import ReportHeader
        from programme_monitoring.report_format.writer import write_report

        header = ReportHeader("KZ", "Test authority (SYNTHETIC)", "CR", 2014, dt.date(2015, 2, 1), 1)
        paths().landing.mkdir(parents=True, exist_ok=True)
        report = write_report(
            header, rows, measures("CR", 2014), paths().landing / "KZ_CR_2014_v1.csv", "csv"
        )
        digest = _sha256(report)

        from programme_monitoring.intake.ingest import ingest_files

        with pytest.raises(IntakeLoadError) as failure:
            ingest_files([report], today=dt.date(2020, 1, 1), sender=SENDER)
        message = str(failure.value)
        assert "DiskFull" in message and "Nothing from this file was kept" in message, message
        assert "KZ_CR_2014_v1.csv" in message
        assert_nothing_kept(url, digest)
        assert report.exists()

        filler.unlink()  # space freed
        (outcome,) = ingest_files([report], today=dt.date(2020, 1, 1), sender=SENDER)
        assert outcome.status == "loaded", outcome.reasons
        assert q(url, "select count(*) from raw.indicator_values") == [(len(rows),)]
        assert q(url, "select status from audit.file_ledger") == [("loaded",)]
    finally:
        own_server.stop(mode="immediate")
        subprocess.run(["umount", "-l", str(small)], capture_output=True)
        small.rmdir()
