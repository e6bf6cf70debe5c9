"""Benchmark of the report intake: a 1,000,000-row CSV report vs bare COPY vs pandas to_sql.

    .venv/bin/python bench/bench_csv_intake.py [--rows N] [--repeat 3] [--to-sql-rows N] [--write-readme]

On the warehouse (WAREHOUSE_URL or the embedded server) it creates a scratch database
``csv_intake_bench`` and drops it afterwards. Each measurement runs in its own child
process, so its peak resident memory (``VmHWM``) is its own. All three load the same rows
into the same table, ``raw.indicator_values`` (same columns, same foreign key):

* intake: ``intake.ingest_files`` on the CSV report: sha-256, encoding check, chunked
  parse and checks, the blocking and warning Great Expectations suites, the previous
  year's totals, COPY, ledger, import summary and archive, all in one call;
* bare COPY: the rows the intake stored, exported in COPY text format and streamed back
  in 1 MB blocks (no Python per row): the floor for loading those rows;
* to_sql: ``pandas.DataFrame.to_sql`` (SQLAlchemy + psycopg 3, default method) of the same
  rows, read from that export; ``--to-sql-rows`` times a leading sample and extrapolates.

Before each load the previous one's rows are deleted and the tables vacuumed. The intake
and the bare COPYs run ``--repeat`` times and the fastest run counts (the machine is shared).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from bench_common import Stopwatch, best, emit, machine_load, run_phase, scratch_database  # noqa: E402
from programme_monitoring.intake.ledger import INDICATOR_FIELDS  # noqa: E402

DATABASE = "csv_intake_bench"
TODAY = dt.date(2026, 11, 23)
SECTION = "## Report intake (CSV)"
VALUE_COLUMNS = ("report_id", "source_file", *INDICATOR_FIELDS)  # as the intake COPYs them


def write_annex(path: Path, rows: int, seed: int = 1) -> None:
    """A synthetic IM 2016 report of Kazakhstan: training participants per training event
    (TRN01, "event=..."), the shape of a large annex; the total row is the sum of the parts."""
    from programme_monitoring.report_format.labels import CSV_COLUMNS

    rng = random.Random(seed)
    head = ["KZ", "МВД Республики Казахстан (SYNTHETIC)", "IM", "2016", "2017-02-20", "1"]
    values = [rng.randint(0, 40) for _ in range(rows - 1)]
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerow([*head, "indicator", "TRN01", "total", sum(values), "", "synthetic benchmark annex"])
        for number, value in enumerate(values):
            writer.writerow([*head, "indicator", "TRN01", f"event=EVT-2016-{number:07d}", value, "", ""])


# -- child phases -------------------------------------------------------------------------


def phase_intake(report: Path) -> dict:
    from programme_monitoring.intake import ingest as intake

    landing = Path(os.environ["VAR_DIR"]) / "landing"
    landing.mkdir(parents=True, exist_ok=True)
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
        conn.execute("truncate raw.indicator_values, raw.report_headers, audit.file_ledger cascade")
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
        write_annex(report, rows)
        results["file_mb"] = report.stat().st_size / 1e6
        intakes = []
        for _ in range(repeat):
            clear_values(scratch)
            shutil.rmtree(Path(tmp) / "var", ignore_errors=True)
            intakes.append(run_phase(__file__, "intake", str(report), env=env))
        results["intake"] = best(intakes)
        with psycopg.connect(scratch) as conn, rows_file.open("wb") as stream:
            with conn.cursor().copy(
                f"copy raw.indicator_values ({', '.join(VALUE_COLUMNS)}) to stdout"
            ) as copy:
                for block in copy:
                    stream.write(block)
            conn.execute("create table raw.indicator_values_no_fk (like raw.indicator_values including all)")
        for name, table in (("copy", "raw.indicator_values"), ("copy_no_fk", "raw.indicator_values_no_fk")):
            copies = []
            for _ in range(repeat):
                with psycopg.connect(scratch, autocommit=True) as conn:
                    conn.execute(f"truncate {table}")
                    conn.execute(f"vacuum analyze {table}")
                copies.append(run_phase(__file__, "copy", str(rows_file), table, env=env))
            results[name] = best(copies)
        with psycopg.connect(scratch, autocommit=True) as conn:
            conn.execute("truncate raw.indicator_values")
        results["to_sql"] = run_phase(__file__, "to_sql", str(rows_file), str(to_sql_rows or rows), env=env)
    results["load_after"] = machine_load()
    return results


def section(r: dict, command: str) -> str:
    rows, intake, copy, no_fk, to_sql = r["rows"], r["intake"], r["copy"], r["copy_no_fk"], r["to_sql"]
    to_sql_seconds = to_sql["seconds"] * rows / to_sql["rows"]
    sampled = to_sql["rows"] < rows
    to_sql_time = f"{to_sql_seconds:.1f} s" + (
        f" (extrapolated from {to_sql['rows']:,} rows: {to_sql['seconds']:.1f} s)" if sampled else ""
    )
    over_copy, under_to_sql = intake["seconds"] / copy["seconds"], to_sql_seconds / intake["seconds"]

    def met(ok: bool) -> str:
        return "met" if ok else "**not met**"

    return "\n".join(
        [
            SECTION,
            "",
            f"`{command}`: one synthetic CSV report of {rows:,} indicator rows ({r['file_mb']:.0f} MB), "
            f"Python {platform.python_version()}, {os.cpu_count()} CPUs, PostgreSQL on the same machine, "
            f"{time.strftime('%Y-%m-%d')}. Machine load before: `{r['load_before']}`; after: "
            f"`{r['load_after']}`. Each load in its own process; peak memory is that process's peak "
            f"resident set (`VmHWM`); intake and bare COPYs best of {r['repeat']} runs "
            f"(intake runs: {intake['runs']} s). All load the same rows into `raw.indicator_values`.",
            "",
            "| load | time | rows/s | peak memory |",
            "|---|---|---|---|",
            f"| whole intake (hash, encoding, chunked parse and checks, GX blocking + warning suites, "
            f"COPY, ledger, import summary, archive) | {intake['seconds']:.1f} s | "
            f"{rows / intake['seconds']:,.0f} | {intake['peak_mb']:.0f} MB |",
            f"| bare COPY of the same rows (COPY text, 1 MB blocks) | {copy['seconds']:.1f} s | "
            f"{rows / copy['seconds']:,.0f} | {copy['peak_mb']:.0f} MB |",
            f"| bare COPY into the same table without its foreign key to `raw.report_headers` | "
            f"{no_fk['seconds']:.1f} s | {rows / no_fk['seconds']:,.0f} | {no_fk['peak_mb']:.0f} MB |",
            f"| pandas `DataFrame.to_sql` (SQLAlchemy + psycopg 3, default method) | {to_sql_time} | "
            f"{to_sql['rows'] / to_sql['seconds']:,.0f} | {to_sql['peak_mb']:.0f} MB |",
            "",
            f"- whole intake / bare COPY = {over_copy:.2f} (target <= 3: {met(over_copy <= 3)})",
            f"- to_sql / whole intake = {under_to_sql:.1f} (target >= 10: {met(under_to_sql >= 10)})",
            f"- intake peak memory {intake['peak_mb']:.0f} MB "
            f"(target < 1 GB: {met(intake['peak_mb'] < 1024)})",
            "",
            "Every row of `raw.indicator_values` is checked against its report header by a foreign key, "
            "one index probe per row, for every way of loading. That check is most of a bare COPY's "
            f"time (without it: {no_fk['seconds']:.1f} s) and so a large share of to_sql's: a load "
            f"ending in a COPY into this table cannot be 10x faster than to_sql when the bare COPY itself "
            f"is only {to_sql_seconds / copy['seconds']:.1f}x faster. The key stays: it is what "
            "guarantees that no value exists without the report (and ledger entry) it came from.",
            "",
        ]
    )


def write_readme(text: str) -> None:
    readme = ROOT / "bench" / "README.md"
    current = readme.read_text()
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(current):
        current = pattern.sub(lambda _: text + "\n", current)
    else:
        current = current.rstrip("\n") + "\n\n" + text
    readme.write_text(current)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--to-sql-rows", type=int, help="time to_sql on this many rows and extrapolate")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the intake and the bare COPYs (best counts)"
    )
    parser.add_argument("--write-readme", action="store_true", help="replace the section in bench/README.md")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        name, path, *rest = args.phase
        phases = {"intake": phase_intake, "copy": phase_copy, "to_sql": phase_to_sql}
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
