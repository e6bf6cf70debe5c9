"""Benchmark of the URS intake: pseudonymising COPY vs bare COPY vs pandas to_sql.

    .venv/bin/python bench/bench_urs_intake.py [--events 1000000] [--sample 100000] [--append-readme]

On the warehouse (WAREHOUSE_URL or the embedded server) it creates a scratch database
``urs_bench`` and drops it afterwards. Each measurement runs in its own child process so
its peak resident memory (``ru_maxrss``) is its own:

* intake: ``urs.ingest_extract`` on an N-event extract (read, check, HMAC, COPY, ledger);
* bare COPY: the very rows the intake produced (already pseudonymised, COPY text format)
  streamed from a file into an identical table: the floor for loading those rows;
* to_sql: pandas ``DataFrame.to_sql`` (SQLAlchemy + psycopg, default method) of a sample
  of the same pseudonymised rows, timed on ``--sample`` rows and extrapolated linearly to N.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

DATABASE = "urs_bench"


def _peak_mb() -> float:
    """This process's peak resident set (VmHWM: reset at exec, unlike ru_maxrss on Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _db_url(base: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + DATABASE


# -- child phases -------------------------------------------------------------------------


def phase_intake(extract: Path) -> dict:
    from programme_monitoring import urs

    started = time.perf_counter()
    outcome = urs.ingest_extract(extract, key=b"bench-key-" + b"0" * 40)
    seconds = time.perf_counter() - started
    assert outcome.status == "loaded", outcome.reasons
    return {"seconds": seconds, "rows": outcome.event_rows, "peak_mb": _peak_mb()}


def phase_copy(rows_file: Path) -> dict:
    import psycopg

    with psycopg.connect(os.environ["WAREHOUSE_URL"]) as conn:
        conn.execute("create table if not exists raw.urs_events_bare (like raw.urs_events)")
        conn.execute("truncate raw.urs_events_bare")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor().copy("copy raw.urs_events_bare from stdin") as copy, open(rows_file, "rb") as f:
            while block := f.read(1 << 20):
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
        rows = conn.execute("select count(*) from raw.urs_events_bare").fetchone()[0]
    return {"seconds": seconds, "rows": rows, "peak_mb": _peak_mb()}


def phase_to_sql(rows_file: Path, sample: int) -> dict:
    import pandas as pd
    import sqlalchemy
    from programme_monitoring.urs import RAW_COLUMNS

    frame = pd.read_csv(rows_file, sep="\t", names=list(RAW_COLUMNS), nrows=sample, na_values=["\\N"])
    frame["event_date"] = pd.to_datetime(frame["event_date"]).dt.date
    engine = sqlalchemy.create_engine(
        os.environ["WAREHOUSE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    )
    with engine.begin() as conn:
        conn.exec_driver_sql("create table if not exists raw.urs_events_to_sql (like raw.urs_events)")
        conn.exec_driver_sql("truncate raw.urs_events_to_sql")
    started = time.perf_counter()
    frame.to_sql("urs_events_to_sql", engine, schema="raw", if_exists="append", index=False)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": len(frame), "peak_mb": _peak_mb()}


# -- driver -------------------------------------------------------------------------------


def _child(*args: str, env: dict) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--phase", *args], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--append-readme", action="store_true")
    parser.add_argument("--phase", nargs="+")
    args = parser.parse_args()

    if args.phase:
        name, *rest = args.phase
        if name == "intake":
            print(json.dumps(phase_intake(Path(rest[0]))))
        elif name == "copy":
            print(json.dumps(phase_copy(Path(rest[0]))))
        else:
            print(json.dumps(phase_to_sql(Path(rest[0]), int(rest[1]))))
        return 0

    import psycopg
    from programme_monitoring import urs
    from programme_monitoring.warehouse import warehouse_url

    base = warehouse_url()
    with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f"drop database if exists {DATABASE}")
        admin.execute(f"create database {DATABASE}")
    env = dict(os.environ, WAREHOUSE_URL=_db_url(base))
    try:
        with tempfile.TemporaryDirectory(prefix="urs-bench-") as tmp:
            extract = Path(tmp) / "urs_extract.csv"
            started = time.perf_counter()
            urs.write_synthetic_extract(extract, args.events, seed=1)
            print(
                f"extract: {args.events:,} events, {extract.stat().st_size / 1e6:.0f} MB "
                f"(written in {time.perf_counter() - started:.1f} s)"
            )
            intake = _child("intake", str(extract), env=env)
            print(f"intake   {intake}")
            rows_file = Path(tmp) / "rows.copy"
            with psycopg.connect(_db_url(base)) as conn, open(rows_file, "wb") as f:
                with conn.cursor().copy("copy raw.urs_events to stdout") as copy:
                    for block in copy:
                        f.write(block)
            bare = _child("copy", str(rows_file), env=env)
            print(f"bare     {bare}")
            to_sql = _child("to_sql", str(rows_file), str(args.sample), env=env)
            print(f"to_sql   {to_sql}")
    finally:
        with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute(f"drop database if exists {DATABASE} with (force)")

    to_sql_full = to_sql["seconds"] * args.events / to_sql["rows"]
    ratio_copy = intake["seconds"] / bare["seconds"]
    ratio_to_sql = to_sql_full / intake["seconds"]
    lines = [
        f"| intake (read, check, HMAC, COPY, ledger) | {intake['seconds']:.1f} s | "
        f"{args.events / intake['seconds']:,.0f} | {intake['peak_mb']:.0f} MB |",
        f"| bare COPY of the same pseudonymised rows | {bare['seconds']:.1f} s | "
        f"{args.events / bare['seconds']:,.0f} | {bare['peak_mb']:.0f} MB |",
        f"| pandas to_sql ({to_sql['rows']:,} rows, x{args.events / to_sql['rows']:.0f} extrapolated) | "
        f"{to_sql_full:.0f} s ({to_sql['seconds']:.1f} s measured) | "
        f"{to_sql['rows'] / to_sql['seconds']:,.0f} | {to_sql['peak_mb']:.0f} MB |",
    ]
    verdict = (
        f"intake / bare COPY = {ratio_copy:.2f} (target <= 3), to_sql / intake = {ratio_to_sql:.1f} "
        f"(target >= 10), intake peak RSS {intake['peak_mb']:.0f} MB (target < 1024)"
    )
    print("\n".join(lines) + "\n" + verdict)
    if args.append_readme:
        readme = ROOT / "bench" / "README.md"
        text = readme.read_text() if readme.exists() else "# Benchmarks\n"
        section = [
            "",
            "## URS intake",
            "",
            f"`bench/bench_urs_intake.py --events {args.events}`: a synthetic extract of {args.events:,} "
            f"events, {platform.python_version()}, {os.cpu_count()} CPU(s), "
            f"{time.strftime('%Y-%m-%d')}; PostgreSQL on the same machine. Peak memory is the "
            "child process's peak resident set (`VmHWM`).",
            "",
            "| load | time | rows/s | peak memory |",
            "|---|---|---|---|",
            *lines,
            "",
            verdict + ".",
            "",
        ]
        readme.write_text(text.rstrip("\n") + "\n" + "\n".join(section))
    return 0


if __name__ == "__main__":
    sys.exit(main())
