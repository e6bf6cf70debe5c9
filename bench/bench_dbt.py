"""Benchmark: ``dbt build`` against the same SQL run directly, and the rebuild after one new report.

Usage::

    .venv/bin/python bench/bench_dbt.py [--versions 20] [--annex-rows 1000000] [--urs-events 2000000]

On a fresh embedded PostgreSQL it loads the fixture rows of programme_monitoring.dev.warehouse_fixture and
scales them up, set-based in SQL:

- ``--versions``: every fixture report gets that many corrected versions (new report ids,
  same state x programme x year): raw grows, only the latest version counts;
- ``--annex-rows``: a large annex, that many ``operation=...`` rows of CR03 in the latest
  version of each CR report (they all count: the accepted values grow);
- ``--urs-events``: that many pseudonymised URS events (persons = events / 3, 10 host
  states, 12 citizenships, 8 purposes) in 12 monthly extracts of 2017.

Then, in one run:

1. ``dbt build --full-refresh`` of models, data tests and unit tests (seeds loaded before,
   marts built aside), timed as a whole command and from ``run_results.json`` (dbt
   executing the nodes), against the SQL dbt ran for each of those nodes (``target/run``,
   plus the indexes dbt creates) executed through psycopg on one connection, in dbt's
   order, just before and just after dbt (the ratio uses the mean, so neither side
   alone has the warm cache). Both at ``--threads 1`` (one connection, like the direct
   run) and at the profile's 4 threads;
2. ``build_warehouse()`` as the DAG runs it (what changed, built aside, tested, published
   by renames), full refresh then incremental, after one new report version and after one
   new URS extract (``--skip-compare``: only these).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]

# The vars of every live build_warehouse() (the same vars keep dbt's partial parse valid).
MARTS_BUILD_VARS = '{"marts_schema": "marts_build", "published_marts_schema": "marts"}'
URS_STATES = ("AM", "AZ", "BY", "KG", "KZ", "MD", "RU", "TJ", "TM", "UZ")
CITIZENSHIPS = ("CHN", "VNM", "AFG", "IND", "TUR", "DEU", "USA", "IRN", "PAK", "SYR", "KOR", "MNG")
PURPOSES = ("business", "official", "other", "private", "study", "tourism", "transit", "work")


# -- data ---------------------------------------------------------------------------------


def scale_up(url: str, versions: int) -> None:
    """``versions`` more versions of every fixture report (ids ``<id>-bench-<n>``)."""
    with psycopg.connect(url) as conn:
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                   state_code, programme_code, reporting_year, report_version)
               select l.file_sha256 || '-bench-' || n, l.file_name || '.v' || n, l.file_format,
                      l.file_bytes, 'loaded', l.state_code, l.programme_code, l.reporting_year,
                      l.report_version * 100000 + n
               from audit.file_ledger as l cross join generate_series(2, %s + 1) as n
               where l.file_sha256 in (select report_id from raw.report_headers)""",
            (versions,),
        )
        conn.execute(
            """insert into raw.report_headers (report_id, source_file, file_format, state_code, authority,
                   programme_code, reporting_year, submission_date, report_version, loaded_at)
               select h.report_id || '-bench-' || n, h.source_file, h.file_format, h.state_code, h.authority,
                      h.programme_code, h.reporting_year, h.submission_date, h.report_version * 100000 + n,
                      h.loaded_at
               from raw.report_headers as h cross join generate_series(2, %s + 1) as n
               where h.report_id not like '%%-bench-%%'""",
            (versions,),
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
            conn.execute(
                f"insert into raw.{table} (report_id, {', '.join(columns)}) "
                f"select t.report_id || '-bench-' || n, {', '.join('t.' + c for c in columns)} "
                f"from raw.{table} as t cross join generate_series(2, %s + 1) as n "
                "where t.report_id not like '%%-bench-%%'",
                (versions,),
            )


def add_annex(url: str, rows: int) -> None:
    """A large annex: ``rows`` CR03 operation rows spread over the latest version of each CR report."""
    with psycopg.connect(url) as conn:
        conn.execute(
            """insert into raw.indicator_values (report_id, source_file, source_sheet, source_row,
                   indicator_code, disaggregation, value, is_reported)
               select latest.report_id, latest.source_file, 'Annex', 100000 + g, 'CR03',
                      'operation=BENCH-' || lpad((g %% (%s / 2 + 1))::text, 7, '0'), 1 + g %% 3, true
               from (select distinct on (state_code, programme_code, reporting_year) report_id, source_file
                     from raw.report_headers where programme_code = 'CR'
                     order by state_code, programme_code, reporting_year, report_version desc) as latest
               cross join generate_series(
                   1, %s / (select count(distinct (state_code, reporting_year))
                            from raw.report_headers where programme_code = 'CR')
               ) as g""",
            (rows, rows),
        )


def add_urs_extract(conn: psycopg.Connection, extract_id: str, month: int, events: int, persons: int) -> None:
    conn.execute(
        """insert into audit.urs_extract_ledger (extract_id, source_file, file_bytes, status, event_rows)
           values (%s, %s, %s, 'loaded', %s)""",
        (extract_id, extract_id + ".csv", events * 200, events),
    )
    conn.execute(
        """insert into raw.urs_events (extract_id, source_file, event_type, person_pseudonym, citizenship,
               purpose_of_visit, host_state, border_crossing_point, event_date)
           select %s, %s,
                  case when e.r < 0.45 then 'entry' when e.r < 0.85 then 'exit'
                       when e.r < 0.97 then 'work_permit' else 'offence' end,
                  p.pseudonym, p.citizenship, p.purpose, p.host_state,
                  'BCP-' || lpad(floor(random() * 40)::int::text, 3, '0'),
                  make_date(2017, %s, 1 + floor(random() * 28)::int)
           from (select random() as r, floor(random() * %s)::int as person from generate_series(1, %s)) as e
           join bench_persons as p using (person)""",
        (extract_id, extract_id + ".csv", month, persons, events),
    )


def add_urs(url: str, events: int, extracts: int = 12) -> tuple[psycopg.Connection, int]:
    """``events`` URS events in ``extracts`` monthly extracts of 2017; returns the open session
    (it holds the synthetic persons, a temporary table, for one more extract later)."""
    from programme_monitoring.warehouse.schema import init

    persons = max(1, events // 3)
    conn = psycopg.connect(url, autocommit=True)
    init(url)
    conn.execute("select setseed(0.2005)")
    conn.execute(
        """create temporary table bench_persons as
           select p as person, encode(sha256(('bench-person-' || p)::bytea), 'hex') as pseudonym,
                  (%s::text[])[1 + floor(random() * %s)::int] as citizenship,
                  (%s::text[])[1 + floor(random() * %s)::int] as purpose,
                  (%s::text[])[1 + floor(random() * %s)::int] as host_state
           from generate_series(0, %s - 1) as p""",
        (
            list(CITIZENSHIPS),
            len(CITIZENSHIPS),
            list(PURPOSES),
            len(PURPOSES),
            list(URS_STATES),
            len(URS_STATES),
            persons,
        ),
    )
    conn.execute("alter table bench_persons add primary key (person)")
    for month in range(1, extracts + 1):
        add_urs_extract(conn, f"bench-urs-2017-{month:02d}", month, events // extracts, persons)
    conn.execute("analyze raw.urs_events")
    return conn, persons


def one_more_report(url: str) -> int:
    """Version 9999 of KZ THB 2014 (a correction: one figure changed); returns its row count."""
    with psycopg.connect(url) as conn:
        conn.execute(
            """insert into audit.file_ledger (file_sha256, file_name, file_format, file_bytes, status,
                   state_code, programme_code, reporting_year, report_version)
               values ('bench-new', 'bench-new.xlsx', 'xlsx', 1, 'loaded', 'KZ', 'THB', 2014, 9999999)"""
        )
        conn.execute(
            """insert into raw.report_headers (report_id, source_file, file_format, state_code, authority,
                   programme_code, reporting_year, submission_date, report_version)
               values ('bench-new', 'bench-new.xlsx', 'xlsx', 'KZ', 'Bench authority', 'THB', 2014,
                       '2015-02-20', 9999999)"""
        )
        return conn.execute(
            """insert into raw.indicator_values (report_id, source_file, source_sheet, source_row,
                   indicator_code, disaggregation, value, is_reported, comment)
               select 'bench-new', 'bench-new.xlsx', source_sheet, source_row, indicator_code, disaggregation,
                      case when indicator_code = 'THB01' then value + 10 else value end, is_reported, comment
               from raw.indicator_values where report_id = 'kz-thb-2014-v1'"""
        ).rowcount


# -- timing -------------------------------------------------------------------------------


def run_compiled_sql(url: str, target: Path) -> float:
    """Execute the SQL dbt ran for each model, data test and unit test of the last run, in dbt's
    order, on one connection (plus the indexes dbt creates after a table); return seconds."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    nodes = json.loads((target / "manifest.json").read_text())
    nodes = {**nodes["nodes"], **nodes.get("unit_tests", {})}
    statements = []
    for result in results:
        node = nodes[result["unique_id"]]
        base = target / "run" / node["package_name"] / node["original_file_path"]
        if node["resource_type"] == "model":
            path = base
        elif node["resource_type"] == "unit_test":
            path = base / Path(node["original_file_path"]).parent / f"{node['name']}.sql"
        else:
            path = base / node["path"]
        if not path.is_file():
            raise SystemExit(f"no SQL of {result['unique_id']} in target/run: {path}")
        # dbt creates `<name>__dbt_tmp` and renames it; here the copies keep a suffix of
        # their own (the same work, against the same upstream objects) and are dropped after.
        statements.append((result["unique_id"], path.read_text().replace("__dbt_tmp", "__direct")))
        for index in node["config"].get("indexes") or []:
            columns = ", ".join(index["columns"])
            unique = "unique " if index.get("unique") else ""
            relation = node["relation_name"].rstrip('"') + '__direct"'
            statements.append((result["unique_id"], f"create {unique}index on {relation} ({columns})"))
    per_node: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        start = time.perf_counter()
        for unique_id, statement in statements:
            began = time.perf_counter()
            conn.execute(statement)
            per_node[unique_id] = per_node.get(unique_id, 0.0) + time.perf_counter() - began
        seconds = time.perf_counter() - start
        leftovers = conn.execute(
            """select format('drop %s if exists %I.%I cascade',
                      case relkind when 'v' then 'view' else 'table' end, nspname, relname)
               from pg_class join pg_namespace on pg_namespace.oid = relnamespace
               where relname like '%%\\_\\_direct' and relkind in ('r', 'v')"""
        ).fetchall()
        for (drop,) in leftovers:
            conn.execute(drop)
    gaps = sorted(
        ((r["execution_time"] - per_node[r["unique_id"]], r["unique_id"]) for r in results), reverse=True
    )
    print(
        "  largest gaps dbt node time - direct: "
        + ", ".join(f"{u.split('.')[-1][:40]} {g:+.1f} s" for g, u in gaps[:4])
    )
    return seconds


def machine_load() -> str:
    import subprocess

    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def timed(label: str, function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    seconds = time.perf_counter() - start
    print(f"{label:<66} {seconds:7.1f} s", flush=True)
    return seconds


def show(label: str, value: str) -> None:
    print(f"{label:<66} {value:>9}", flush=True)


def node_elapsed(target: Path) -> float:
    return json.loads((target / "run_results.json").read_text())["elapsed_time"]


def rows_written(target: Path, model: str) -> int | None:
    for result in json.loads((target / "run_results.json").read_text())["results"]:
        if result["unique_id"].endswith("." + model):
            return result["adapter_response"].get("rows_affected")
    return None


def show_slowest_nodes(target: Path, count: int = 8) -> None:
    """The nodes of the last run that took longest (run_results.json), where a build's time goes."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    for result in sorted(results, key=lambda r: -r["execution_time"])[:count]:
        show(f"    {result['unique_id'].split('.')[-1][:60]}", f"{result['execution_time']:.1f} s")


def compare(url: str, target: Path, threads: int | None, before: float) -> float:
    """The full build against its own SQL run directly just before and just after it (the
    ratio uses the mean, so neither side alone has the warmer cache); returns the after."""
    from programme_monitoring.warehouse.dbt_process import run_dbt

    label = f"--threads {threads}" if threads else "profile threads (4)"
    args = ["build", "--exclude", "resource_type:seed", "--full-refresh", "--vars", MARTS_BUILD_VARS]
    if threads:
        args += ["--threads", str(threads)]
    whole = timed(f"dbt build --full-refresh, {label}, whole command", run_dbt, *args, target_path=target)
    inside = node_elapsed(target)
    show("  of which dbt executing the nodes (run_results.json)", f"{inside:.1f} s")
    after = timed("same SQL via psycopg (target/run, 1 connection)", run_compiled_sql, url, target)
    direct = (before + after) / 2
    show("  ratio dbt / direct SQL (mean before/after), whole command", f"{whole / direct:.2f} x")
    show("  ratio dbt / direct SQL (mean before/after), node execution", f"{inside / direct:.2f} x")
    return after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=20, help="extra versions per fixture report")
    parser.add_argument("--annex-rows", type=int, default=0, help="CR03 operation rows in the CR reports")
    parser.add_argument("--urs-events", type=int, default=0, help="URS events in 12 monthly extracts")
    parser.add_argument(
        "--skip-compare",
        action="store_true",
        help="only the build_warehouse() timings (no dbt vs direct SQL)",
    )
    args = parser.parse_args()

    from programme_monitoring.dev.warehouse_fixture import load_fixture
    from programme_monitoring.warehouse.embedded import EmbeddedPostgres

    base = Path(tempfile.mkdtemp(prefix="bench-dbt-"))
    server = EmbeddedPostgres(base / "pgdata")
    url = server.ensure_running()
    os.environ["WAREHOUSE_URL"] = url
    os.environ["VAR_DIR"] = str(base / "var")
    from programme_monitoring.warehouse.dbt_process import run_dbt
    from programme_monitoring.warehouse.schema import init
    from programme_monitoring.warehouse.transform import build_warehouse

    target = base / "target"
    urs = None
    try:
        init(url)
        load_fixture(url)
        scale_up(url, args.versions)
        if args.annex_rows:
            add_annex(url, args.annex_rows)
        if args.urs_events:
            urs, persons = add_urs(url, args.urs_events)
        with psycopg.connect(url) as conn:
            (values,) = conn.execute("select count(*) from raw.indicator_values").fetchone()
            (urs_rows,) = conn.execute(
                "select count(*) from raw.urs_events" if args.urs_events else "select 0"
            ).fetchone()
        print(
            f"raw.indicator_values: {values} rows ({args.versions + 1} versions of each fixture report, "
            f"annex {args.annex_rows} rows); raw.urs_events: {urs_rows} rows",
            flush=True,
        )
        run_dbt("seed", target_path=target)
        warm_up = ["build", "--exclude", "resource_type:seed", "--vars", MARTS_BUILD_VARS]
        run_dbt(*warm_up, target_path=target)  # creates every relation
        if not args.skip_compare:
            timed(
                "warm-up: dbt build --full-refresh", run_dbt, *warm_up, "--full-refresh", target_path=target
            )
            print(
                f"nodes: {len(json.loads((target / 'run_results.json').read_text())['results'])}", flush=True
            )
            direct = timed("same SQL via psycopg (target/run, 1 connection)", run_compiled_sql, url, target)
            direct = compare(url, target, 1, direct)
            compare(url, target, None, direct)
        print(f"load: {machine_load()}", flush=True)

        timed("build_warehouse(full_refresh=True): seeds, models, tests, swap", build_warehouse,
                     None, target, full_refresh=True)  # fmt: skip
        timed("build_warehouse(), nothing new", build_warehouse, None, target)
        rows = one_more_report(url)
        one = timed(
            f"build_warehouse() after one new report version ({rows} rows)", build_warehouse, None, target
        )
        show("  nodes run", str(len(json.loads((target / "run_results.json").read_text())["results"])))
        show_slowest_nodes(target)
        show(
            "  rows written to int_indicator_values_accepted",
            str(rows_written(target, "int_indicator_values_accepted")),
        )
        if urs is not None:
            add_urs_extract(urs, "bench-urs-2017-12-late", 12, args.urs_events // 24, persons)
            extract = timed(
                "build_warehouse() after one new URS extract (one month)", build_warehouse, None, target
            )
            show(
                "  rows written to int_urs_indicators_monthly",
                str(rows_written(target, "int_urs_indicators_monthly")),
            )
        refreshed = timed("build_warehouse(full_refresh=True) of the same data", build_warehouse,
                          None, target, full_refresh=True)  # fmt: skip
        show("ratio rebuild after one report / full rebuild", f"{one / refreshed:.2f} x")
        if urs is not None:
            show("ratio rebuild after one URS extract / full rebuild", f"{extract / refreshed:.2f} x")
        print(f"load: {machine_load()}", flush=True)
    finally:
        if urs is not None:
            urs.close()
        server.stop(mode="immediate")


if __name__ == "__main__":
    main()
