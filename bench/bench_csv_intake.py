"""Benchmark of the report intake: a 1,000,000-row CSV report vs bare COPY vs pandas to_sql.

    .venv/bin/python bench/bench_csv_intake.py [--rows N] [--repeat 3] [--to-sql-rows N] [--write-readme]

On the warehouse (WAREHOUSE_URL or the embedded server) it creates a scratch database
``csv_intake_bench`` and drops it afterwards. Each measurement runs in its own child
process, so its peak resident memory (``VmHWM``) is its own. All three load the same rows
into the same table, ``raw.indicator_values`` (same columns, same foreign key):

* intake: ``intake.ingest_files`` on the CSV report: sha-256, encoding check, chunked
  parse and checks, the blocking and warning Great Expectations suites, the previous
  year's totals, COPY, ledger, import summary and archive, all in one call; once in a
  fresh process (as ``programme_monitoring ingest`` runs it: Great Expectations imported
  on first use) and once in a process that first imported what an Airflow worker imports
  before it forks each task (``orchestration.preload``), as the ingest DAG runs it;
* bare COPY: the rows the intake stored, exported in COPY text format and streamed back
  in 1 MB blocks (no Python per row), into four tables of the same columns:
  ``raw.indicator_values`` itself (its key to the report header checked once per statement
  by a trigger over the transition table, migration 0003); a copy with the former per-row
  foreign key; a copy with no key at all (the floor); and, as the other design the issue
  names, a temporary staging table moved into the keyless copy by one ``INSERT ... SELECT``
  after one set-based check of its report ids;
* to_sql: ``pandas.DataFrame.to_sql`` (SQLAlchemy + psycopg 3, default method) of the same
  rows, read from that export; ``--to-sql-rows`` times a leading sample and extrapolates.

Before each load the previous one's rows are deleted and the tables vacuumed. The intake
and the bare COPYs run ``--repeat`` times and the fastest run counts (the machine is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from bench_common import Stopwatch, best, emit, machine_load, run_phase, scratch_database, write_annex  # noqa: E402
from programme_monitoring.intake.ledger import INDICATOR_FIELDS  # noqa: E402

DATABASE = "csv_intake_bench"
TODAY = dt.date(2026, 11, 23)
SECTION = "## Report intake (CSV)"
VALUE_COLUMNS = ("report_id", "source_file", *INDICATOR_FIELDS)  # as the intake COPYs them


# -- child phases -------------------------------------------------------------------------


def phase_intake(report: Path, preloaded: str = "") -> dict:
    if preloaded:  # what an Airflow worker imports before it forks the task
        import programme_monitoring.orchestration.preload  # noqa: F401
    from programme_monitoring.dev.samples import sender_folder
    from programme_monitoring.intake import ingest as intake

    landing = sender_folder(Path(os.environ["VAR_DIR"]) / "landing", "KZ")  # the report's sender
    delivered = Path(shutil.copy(report, landing / report.name))
    with Stopwatch() as watch:
        [outcome] = intake.ingest_files([delivered], TODAY)
    if outcome.status != "loaded":
        raise RuntimeError(f"the benchmark report was not loaded: {outcome.reasons[:3]}")
    emit(seconds=watch.seconds, rows=outcome.indicator_rows)


def phase_copy(rows_file: Path, table: str = "raw.indicator_values") -> dict:
    import psycopg

    with psycopg.connect(os.environ["WAREHOUSE_URL"]) as conn:
        columns = ", ".join(VALUE_COLUMNS)
        with Stopwatch() as watch:
            with conn.cursor().copy(f"copy {table} ({columns}) from stdin") as copy:
                with rows_file.open("rb") as stream:
                    while block := stream.read(1 << 20):
                        copy.write(block)
            conn.commit()
        rows = conn.execute(f"select count(*) from {table}").fetchone()[0]
    emit(seconds=watch.seconds, rows=rows)


def phase_staging(rows_file: Path, table: str) -> dict:
    """COPY into a temporary staging table, one set-based check of its report ids against the
    headers, then one INSERT ... SELECT into ``table`` (which has no key of its own)."""
    import psycopg

    with psycopg.connect(os.environ["WAREHOUSE_URL"]) as conn:
        columns = ", ".join(VALUE_COLUMNS)
        with Stopwatch() as watch:
            conn.execute(f"create temporary table staged (like {table}) on commit drop")
            with conn.cursor().copy(f"copy staged ({columns}) from stdin") as copy:
                with rows_file.open("rb") as stream:
                    while block := stream.read(1 << 20):
                        copy.write(block)
            (orphans,) = conn.execute(
                "select count(*) from (select distinct report_id from staged) as s "
                "where not exists (select 1 from raw.report_headers as h where h.report_id = s.report_id)"
            ).fetchone()
            if orphans:
                raise RuntimeError("orphan rows in the staging table")
            conn.execute(f"insert into {table} ({columns}) select {columns} from staged")
            conn.commit()
        rows = conn.execute(f"select count(*) from {table}").fetchone()[0]
    emit(seconds=watch.seconds, rows=rows)


def phase_to_sql(rows_file: Path, limit: int) -> dict:
    import pandas as pd
    import sqlalchemy

    frame = pd.read_csv(
        rows_file,
        sep="\t",
        names=list(VALUE_COLUMNS),
        nrows=limit,
        na_values=["\\N"],
        keep_default_na=False,
        dtype={"value": "Int64", "source_sheet": str, "comment": str},
    )
    frame["is_reported"] = frame["is_reported"] == "t"
    url = os.environ["WAREHOUSE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sqlalchemy.create_engine(url)
    with Stopwatch() as watch:
        frame.to_sql("indicator_values", engine, schema="raw", if_exists="append", index=False)
    engine.dispose()
    emit(seconds=watch.seconds, rows=len(frame))


# -- driver -------------------------------------------------------------------------------


def clear_values(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        # The cascade reaches the append-only histories (migration 0010), whose triggers refuse
        # TRUNCATE: a scratch database's superuser may switch triggers off for this session.
        conn.execute("set session_replication_role = replica")
        conn.execute("truncate raw.indicator_values, raw.report_headers, audit.file_ledger cascade")
        conn.execute("set session_replication_role = origin")
        conn.execute("vacuum analyze")


def run(rows: int, to_sql_rows: int | None, repeat: int) -> dict:
    import psycopg
    from programme_monitoring.warehouse.connection import warehouse_url
    from programme_monitoring.warehouse.schema import init

    results: dict = {"rows": rows, "repeat": repeat, "load_before": machine_load()}
    with scratch_database(warehouse_url(), DATABASE) as scratch, tempfile.TemporaryDirectory() as tmp:
        init(scratch)
        env = dict(os.environ, WAREHOUSE_URL=scratch, VAR_DIR=str(Path(tmp) / "var"))
        report, rows_file = Path(tmp) / "annex.csv", Path(tmp) / "rows.copy"
        write_annex(report, rows, "KZ", 2016, seed=1, authority="МВД Республики Казахстан (SYNTHETIC)")
        results["file_mb"] = report.stat().st_size / 1e6
        for name, preloaded in (("intake", ()), ("intake_in_worker", ("preloaded",))):
            intakes = []
            for _ in range(repeat):
                clear_values(scratch)
                shutil.rmtree(Path(tmp) / "var", ignore_errors=True)
                intakes.append(run_phase(__file__, "intake", str(report), *preloaded, env=env))
            results[name] = best(intakes)
        with psycopg.connect(scratch) as conn, rows_file.open("wb") as stream:
            with conn.cursor().copy(
                f"copy raw.indicator_values ({', '.join(VALUE_COLUMNS)}) to stdout"
            ) as copy:
                for block in copy:
                    stream.write(block)
            # LIKE copies neither triggers nor foreign keys: the floor, and the former per-row key.
            conn.execute("create table raw.indicator_values_no_fk (like raw.indicator_values including all)")
            conn.execute("create table raw.indicator_values_row_fk (like raw.indicator_values including all)")
            conn.execute(
                "alter table raw.indicator_values_row_fk add foreign key (report_id) "
                "references raw.report_headers (report_id)"
            )
        loads = (
            ("copy", "copy", "raw.indicator_values"),
            ("copy_row_fk", "copy", "raw.indicator_values_row_fk"),
            ("copy_no_fk", "copy", "raw.indicator_values_no_fk"),
            ("staging", "staging", "raw.indicator_values_no_fk"),
        )
        for _ in range(repeat):  # in turn, so a busy moment of the machine hits all of them alike
            for name, phase, table in loads:
                with psycopg.connect(scratch, autocommit=True) as conn:
                    for _name, _phase, each in loads:
                        conn.execute(f"truncate {each}")
                    conn.execute(f"vacuum analyze {table}")
                results.setdefault(name + "_runs", []).append(
                    run_phase(__file__, phase, str(rows_file), table, env=env)
                )
        for name, _phase, _table in loads:
            results[name] = best(results.pop(name + "_runs"))
        with psycopg.connect(scratch, autocommit=True) as conn:
            conn.execute(
                "truncate raw.indicator_values, raw.indicator_values_no_fk, raw.indicator_values_row_fk"
            )
        results["to_sql"] = run_phase(__file__, "to_sql", str(rows_file), str(to_sql_rows or rows), env=env)
    results["load_after"] = machine_load()
    return results


def section(r: dict, command: str) -> str:
    rows, intake, in_worker, to_sql = r["rows"], r["intake"], r["intake_in_worker"], r["to_sql"]
    copy, row_fk, no_fk, staging = r["copy"], r["copy_row_fk"], r["copy_no_fk"], r["staging"]
    to_sql_seconds = to_sql["seconds"] * rows / to_sql["rows"]
    sampled = f", extrapolated from {to_sql['rows']:,} rows" if to_sql["rows"] < rows else ""
    over_floor = intake["seconds"] / no_fk["seconds"]
    in_worker_over_floor = in_worker["seconds"] / no_fk["seconds"]

    def met(ok: bool) -> str:
        return "met" if ok else "**not met**"

    def line(label: str, result: dict, seconds: float | None = None) -> str:
        seconds = result["seconds"] if seconds is None else seconds
        runs = f" ({', '.join(map(str, result['runs']))})" if "runs" in result else ""
        return (
            f"| {label} | {seconds:.1f} s{runs} | {result['rows'] / result['seconds']:,.0f} | "
            f"{result['peak_mb']:.0f} MB |"
        )

    return "\n".join(
        [
            f"### {time.strftime('%Y-%m-%d %H:%M')}, `{command}`",
            "",
            f"`{command}`: one synthetic CSV report of {rows:,} indicator rows ({r['file_mb']:.0f} MB), "
            f"Python {platform.python_version()}, {os.cpu_count()} CPUs, PostgreSQL on the same machine, "
            f"{time.strftime('%Y-%m-%d')}. Machine load before: `{r['load_before']}`; after: "
            f"`{r['load_after']}`. Each load in its own process; peak memory is that process's peak "
            f"resident set (`VmHWM`); the intake and each bare COPY best of {r['repeat']} runs (the "
            "bare COPYs in turn, so a busy moment hits all alike). All load the same rows.",
            "",
            "| load | time (runs) | rows/s | peak memory |",
            "|---|---|---|---|",
            line(
                "whole intake (hash, encoding, chunked parse and checks, GX blocking + warning suites, "
                "COPY, ledger, import summary, archive), fresh process",
                intake,
            ),
            line(
                "the same intake in an Airflow worker's task (Great Expectations and dbt imported by "
                "`orchestration.preload` before the task; peak memory includes them)",
                in_worker,
            ),
            line("bare COPY into `raw.indicator_values`, key checked once per statement (trigger)", copy),
            line("bare COPY into a copy with the former per-row foreign key", row_fk),
            line("bare COPY into a copy without any key (the floor)", no_fk),
            line("staging: COPY into a temporary table, one set-based check, `INSERT ... SELECT`", staging),
            line(
                f"pandas `DataFrame.to_sql` (SQLAlchemy + psycopg 3, default method; context only{sampled})",
                to_sql,
                to_sql_seconds,
            ),
            "",
            f"- whole intake / bare COPY without the key = {over_floor:.2f} "
            f"(target <= 3: {met(over_floor <= 3)}); in a worker's task {in_worker_over_floor:.2f} "
            f"(target <= 3: {met(in_worker_over_floor <= 3)}); against the COPY with the statement-level "
            f"key {intake['seconds'] / copy['seconds']:.2f} fresh, "
            f"{in_worker['seconds'] / copy['seconds']:.2f} in a worker",
            f"- bare COPY with the statement-level key / without = {copy['seconds'] / no_fk['seconds']:.2f}; "
            f"with the former per-row key / without = {row_fk['seconds'] / no_fk['seconds']:.2f}; "
            f"staging / without = {staging['seconds'] / no_fk['seconds']:.2f}",
            f"- intake peak memory {intake['peak_mb']:.0f} MB fresh, {in_worker['peak_mb']:.0f} MB in a "
            f"worker's task (target < 1 GB: {met(max(intake['peak_mb'], in_worker['peak_mb']) < 1000)})",
            "",
        ]
    )


def write_readme(text: str) -> None:
    """Put the run's subsection first in the section of bench/README.md, above the earlier runs."""
    readme = ROOT / "bench" / "README.md"
    current = readme.read_text()
    heading = re.compile(rf"^{re.escape(SECTION)}\n\n?", re.M)
    if heading.search(current):
        current = heading.sub(lambda found: found.group(0) + text + "\n", current, count=1)
    else:
        current = current.rstrip("\n") + "\n\n" + SECTION + "\n\n" + text
    readme.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--to-sql-rows", type=int, help="time to_sql on this many rows and extrapolate")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the intake and the bare COPYs (best counts)"
    )
    parser.add_argument(
        "--write-readme", action="store_true", help="add the run to its section of bench/README.md, first"
    )
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, path, *rest = args.phase
        phases = {
            "intake": phase_intake,
            "copy": phase_copy,
            "staging": phase_staging,
            "to_sql": phase_to_sql,
        }
        phases[name](Path(path), *(int(a) if a.isdigit() else a for a in rest))
        return 0
    results = run(args.rows, args.to_sql_rows, args.repeat)
    command = " ".join(["bench/bench_csv_intake.py", *sys.argv[1:]]).replace(" --write-readme", "")
    text = section(results, command)
    print(text)
    if args.write_readme:
        write_readme(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
