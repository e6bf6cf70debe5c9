"""What a mart's keys cost when PostgreSQL maintains them row by row (issue 15).

    PYTHONPATH=include .venv/bin/python bench/bench_mart_keys.py [--rows 1000000]

In a scratch database of the warehouse (WAREHOUSE_URL or the embedded server): a table
shaped like ``marts.fct_indicator_values`` (five-column primary key, three foreign keys to
small dimensions, a CHECK), filled with ``--rows`` rows by one ``INSERT ... SELECT``, twice:
with the keys declared in ``CREATE TABLE`` (as dbt builds a contracted model: the index
and the foreign-key triggers work per row), and with the keys added after the insert
(``ALTER TABLE ... ADD PRIMARY KEY`` builds the index in one sort, ``ADD FOREIGN KEY``
validates with one join). Two runs each; seconds printed.
"""

from __future__ import annotations

import argparse
import time

import psycopg
from programme_monitoring.warehouse.connection import warehouse_url

COLUMNS = (
    "state_code text not null, programme_code text not null, reporting_year integer not null, "
    "indicator_code text not null, disaggregation text not null, value bigint check (value >= 0)"
)
PRIMARY_KEY = "primary key (state_code, programme_code, reporting_year, indicator_code, disaggregation)"
FOREIGN_KEYS = (
    "foreign key (state_code) references d_state",
    "foreign key (programme_code) references d_prog",
    "foreign key (indicator_code) references d_ind",
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    base = warehouse_url()
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute("drop database if exists mart_keys_bench with (force)")
        conn.execute("create database mart_keys_bench")
    try:
        with psycopg.connect(base.rsplit("/", 1)[0] + "/mart_keys_bench", autocommit=True) as conn:
            conn.execute("create table d_state (state_code text primary key)")
            conn.execute("insert into d_state select 's' || g from generate_series(1, 12) as g")
            conn.execute("create table d_prog (programme_code text primary key)")
            conn.execute("insert into d_prog values ('THB'), ('IM'), ('CR')")
            conn.execute("create table d_ind (indicator_code text primary key)")
            conn.execute("insert into d_ind select 'I' || g from generate_series(1, 40) as g")
            conn.execute(
                """create unlogged table source as select 's' || (1 + g %% 12) as state_code,
                       (array['THB', 'IM', 'CR'])[1 + g %% 3] as programme_code,
                       2014 + g %% 6 as reporting_year, 'I' || (1 + g %% 40) as indicator_code,
                       'operation=OP-' || g as disaggregation, (g %% 13)::bigint as value
                   from generate_series(1, %s) as g""",
                (rows,),
            )
            conn.execute("vacuum analyze")
            for run in (1, 2):
                conn.execute("drop table if exists inline_keys, keys_after")
                start = time.perf_counter()
                keys = ", ".join((PRIMARY_KEY, *FOREIGN_KEYS))
                conn.execute(f"create table inline_keys ({COLUMNS}, {keys})")
                conn.execute("insert into inline_keys select * from source")
                inline = time.perf_counter() - start
                start = time.perf_counter()
                conn.execute(f"create table keys_after ({COLUMNS})")
                conn.execute("insert into keys_after select * from source")
                inserted = time.perf_counter() - start
                conn.execute(f"alter table keys_after add {PRIMARY_KEY}")
                keyed = time.perf_counter() - start
                conn.execute("alter table keys_after " + ", ".join(f"add {key}" for key in FOREIGN_KEYS))
                after = time.perf_counter() - start
                print(
                    f"run {run}: keys in CREATE TABLE, then insert {inline:.1f} s | insert {inserted:.1f} s, "
                    f"+ primary key {keyed:.1f} s, + foreign keys {after:.1f} s"
                )
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute("drop database if exists mart_keys_bench with (force)")


if __name__ == "__main__":
    main()
