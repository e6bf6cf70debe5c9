"""Benchmark: ``dbt build`` against the same SQL run directly, and a rebuild after one new report.

Usage: ``.venv/bin/python bench/bench_dbt.py [--versions 40]``

On a fresh embedded PostgreSQL it loads the fixture rows of tests/test_dbt_project.py and
scales them up: every report gets ``--versions`` corrected versions (new report ids, same
state x programme x year), so raw holds many times the rows while the marts stay valid.
Then, in one run:

1. ``dbt run`` (models only, marts built aside) and the same compiled SQL of
   ``target/run/`` executed directly with psycopg, in dbt's order, one connection;
2. the full ``dbt build`` (seeds, models, data and unit tests) as the DAG runs it;
3. the full build again after one new report version arrives.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def scale_up(url: str, versions: int) -> int:
    with psycopg.connect(url) as conn:
        reports = conn.execute("select report_id from raw.report_headers").fetchall()
        for (report_id,) in reports:
            for n in range(2, versions + 2):
                new_id = f"{report_id}-bench-{n}"
                conn.execute(
                    """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                           state_code, programme_code, reporting_year, report_version)
                       select %s, file_name || '.v' || %s, file_format, file_bytes, 'loaded', state_code,
                              programme_code, reporting_year, report_version * 100 + %s
                       from audit.file_ledger where file_sha256 = %s""",
                    (new_id, n, n, report_id),
                )
                conn.execute(
                    """insert into raw.report_headers (report_id, source_file, file_format, state_code,
                           authority, programme_code, reporting_year, submission_date, report_version)
                       select %s, source_file, file_format, state_code, authority, programme_code,
                              reporting_year, submission_date, report_version * 100 + %s
                       from raw.report_headers where report_id = %s""",
                    (new_id, n, report_id),
                )
                for table in ("indicator_values", "measure_status"):
                    columns = [
                        r[0]
                        for r in conn.execute(
                            "select column_name from information_schema.columns where table_schema = 'raw' "
                            "and table_name = %s and column_name <> 'report_id' order by ordinal_position",
                            (table,),
                        )
                    ]
                    names = ", ".join(columns)
                    conn.execute(
                        f"insert into raw.{table} (report_id, {names}) "
                        f"select %s, {names} from raw.{table} where report_id = %s",
                        (new_id, report_id),
                    )
        return conn.execute("select count(*) from raw.indicator_values").fetchone()[0]


def run_compiled_sql(url: str, target: Path) -> float:
    """Execute the SQL dbt ran for each model (target/run), in dbt's order; return seconds."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    statements = []
    for result in results:
        node = manifest[result["unique_id"]]
        path = target / "run" / node["package_name"] / node["original_file_path"]
        # dbt creates `<name>__dbt_tmp` and renames it; here the copies keep a suffix of
        # their own (the same work, against the same upstream objects) and are dropped after.
        statements.append(path.read_text().replace("__dbt_tmp", "__direct"))
    with psycopg.connect(url, autocommit=True) as conn:
        start = time.perf_counter()
        for statement in statements:
            conn.execute(statement)
        seconds = time.perf_counter() - start
        leftovers = conn.execute(
            """select format('drop %s if exists %I.%I cascade',
                      case relkind when 'v' then 'view' else 'table' end, nspname, relname)
               from pg_class join pg_namespace on pg_namespace.oid = relnamespace
               where relname like '%%\\_\\_direct' and relkind in ('r', 'v')"""
        ).fetchall()
        for (drop,) in leftovers:
            conn.execute(drop)
        return seconds


def timed(label: str, function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    seconds = time.perf_counter() - start
    print(f"{label:<58} {seconds:7.1f} s", flush=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=40, help="extra versions per fixture report")
    args = parser.parse_args()

    import os

    from programme_monitoring.embedded import EmbeddedPostgres
    from test_dbt_project import load_fixture

    base = Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    server = EmbeddedPostgres(base / "pgdata")
    url = server.ensure_running()
    os.environ["WAREHOUSE_URL"] = url
    os.environ["VAR_DIR"] = str(base / "var")
    from programme_monitoring.transform import build_warehouse, run_dbt
    from programme_monitoring.warehouse import ensure_raw_tables

    target = base / "target"
    try:
        ensure_raw_tables()
        load_fixture(url)
        rows = scale_up(url, args.versions)
        print(f"raw.indicator_values: {rows} rows ({args.versions + 1} versions of each fixture report)")
        run_dbt("seed", target_path=target)
        run_dbt("run", "--vars", '{"marts_schema": "marts_build"}', target_path=target)  # warm-up
        dbt_models = timed(
            "dbt run (models only, 1 thread, incl. dbt start-up)",
            run_dbt,
            "run",
            "--threads",
            "1",
            "--vars",
            '{"marts_schema": "marts_build"}',
        )
        direct = timed(
            "same compiled SQL via psycopg (target/run, 1 connection)", run_compiled_sql, url, target
        )
        inside = json.loads((target / "run_results.json").read_text())["elapsed_time"]
        print(f"{'  of which dbt executing the models (run_results.json)':<58} {inside:7.1f} s")
        print(f"{'ratio dbt / direct SQL, whole command':<58} {dbt_models / direct:7.2f} x")
        print(f"{'ratio dbt / direct SQL, model execution only':<58} {inside / direct:7.2f} x")
        full = timed("full dbt build + publish (seeds, models, tests, swap)", build_warehouse, None, target)
        scale_up_one = timed("rebuild after one new report version", _one_more_report, url, target)
        print(f"{'ratio rebuild after one report / full build':<58} {scale_up_one / full:7.2f} x")
    finally:
        server.stop(mode="immediate")


def _one_more_report(url: str, target: Path) -> None:
    from programme_monitoring.transform import build_warehouse

    with psycopg.connect(url) as conn:
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_bytes, status, state_code,
                   programme_code, reporting_year, report_version)
               values ('bench-new', 'bench-new.xlsx', 1, 'loaded', 'KZ', 'THB', 2014, 9999)"""
        )
        conn.execute(
            """insert into raw.report_headers (report_id, source_file, file_format, state_code, authority,
                   programme_code, reporting_year, submission_date, report_version)
               values ('bench-new', 'bench-new.xlsx', 'xlsx', 'KZ', 'Bench authority', 'THB', 2014,
                       '2015-02-20', 9999)"""
        )
        conn.execute(
            """insert into raw.indicator_values (report_id, source_file, source_sheet, source_row,
                   indicator_code, disaggregation, value, is_reported)
               values ('bench-new', 'bench-new.xlsx', 'Indicators', 2, 'THB01', 'total', 310, true)"""
        )
    build_warehouse(None, target)


if __name__ == "__main__":
    main()
