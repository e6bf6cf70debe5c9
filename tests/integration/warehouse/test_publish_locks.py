"""Publishing rebuilt marts by renames never leaves BI readers hanging behind it.

A BI session that keeps a transaction open after reading a mart holds a lock the
publishing renames need. The publisher waits at most its ``lock_timeout`` for it, rolls
back and tries again later: readers arriving meanwhile are never queued behind it for
longer than that, and the publication goes through once the old reader ends (or gives up
with a clear message, the previous marts still published).

Each test gets a database of its own on the session's embedded server, with a small
``marts`` table, a view of another schema reading it, another mart that is not rebuilt,
and the rebuilt version of the first waiting in ``marts_build``: what ``build_warehouse``
leaves before it publishes.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import psycopg
import pytest
from programme_monitoring.warehouse import publish
from psycopg import sql

# A reader arriving while the publisher waits would wait this long at most (its own
# lock_timeout) before failing the test: far above the publisher's 0.2 s.
READER_PATIENCE = "10s"


@pytest.fixture
def marts(warehouse_url):
    name = f"publish_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(warehouse_url, autocommit=True) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    url = warehouse_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as conn:
        # A first publication: a mart that will be rebuilt, one that will not (both with
        # row-level security, as every mart with state_code), and a view of another schema.
        conn.execute("create schema marts_build")
        conn.execute("create table marts_build.fct_figures (state_code text primary key, figure text)")
        conn.execute("insert into marts_build.fct_figures values ('KZ', 'old')")
        conn.execute("create table marts_build.fct_kept (state_code text, figure text)")
        conn.execute("insert into marts_build.fct_kept values ('KZ', 'kept')")
    publish.publish_tables(url=url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema bi")
        conn.execute("create view bi.figures as select figure from marts.fct_figures")
        # The rebuilt mart, waiting to be published.
        conn.execute("create schema marts_build")
        conn.execute("create table marts_build.fct_figures (state_code text primary key, figure text)")
        conn.execute("insert into marts_build.fct_figures values ('KZ', 'new')")
    yield url
    with psycopg.connect(warehouse_url, autocommit=True) as admin:
        admin.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))


def _figure(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("select figure from bi.figures").fetchone()[0]


def _reader(url: str) -> psycopg.Connection:
    """A BI session inside a transaction, having read the mart (its lock is held until it ends)."""
    conn = psycopg.connect(url)
    assert conn.execute("select figure from marts.fct_figures").fetchone() == ("old",)
    return conn


def test_publishing_waits_out_an_open_reader_without_blocking_others(marts, caplog):
    caplog.set_level(logging.WARNING, logger=publish.__name__)
    lingering = _reader(marts)
    outcome: dict = {}

    def publish_in_background() -> None:
        try:
            outcome["moved"] = publish.publish_tables(
                url=marts, lock_timeout=0.2, attempts=60, first_pause=0.05
            )
        except Exception as error:  # reported below
            outcome["error"] = error

    publisher = threading.Thread(target=publish_in_background)
    publisher.start()
    try:
        for _ in range(400):  # until the publisher has been refused its lock at least twice
            if sum("trying again" in r.getMessage() for r in caplog.records) >= 2:
                break
            time.sleep(0.05)
        assert sum("trying again" in r.getMessage() for r in caplog.records) >= 2, outcome
        # New readers are not queued behind the publisher: each query completes (with the
        # old figures) well within its own lock_timeout, several times over its retries.
        with psycopg.connect(marts, autocommit=True) as other:
            other.execute(f"set lock_timeout = '{READER_PATIENCE}'")
            for _ in range(5):
                assert other.execute("select figure from bi.figures").fetchone() == ("old",)
                assert other.execute("select figure from marts.fct_kept").fetchone() == ("kept",)
                time.sleep(0.1)
        assert publisher.is_alive()  # still waiting for the lingering reader
    finally:
        lingering.close()  # the BI session ends
        publisher.join(timeout=120)
    assert outcome == {"moved": ["fct_figures"]}
    assert _figure(marts) == "new"  # the view of another schema reads the published table
    with psycopg.connect(marts) as conn:
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace")}
        assert conn.execute("select figure from marts.fct_kept").fetchone() == ("kept",)
    assert "marts_build" not in schemas


def test_publishing_gives_up_with_a_clear_message_and_the_old_marts_stay(marts):
    lingering = _reader(marts)
    try:
        with pytest.raises(publish.PublishError, match="not published.*Витрины не опубликованы"):
            publish.publish_tables(url=marts, lock_timeout=0.1, attempts=3, first_pause=0.01)
    finally:
        lingering.close()
    assert _figure(marts) == "old"
    with psycopg.connect(marts) as conn:
        assert conn.execute("select figure from marts_build.fct_figures").fetchone() == ("new",)
    # The next attempt, with no reader left, publishes.
    assert publish.publish_tables(url=marts) == ["fct_figures"]
    assert _figure(marts) == "new"


def test_a_reader_of_a_mart_not_rebuilt_does_not_hold_up_publishing(marts):
    """Only the replaced marts are locked: their row-level security is re-applied, the
    others keep theirs (re-applying it would lock them too)."""
    lingering = psycopg.connect(marts)
    try:
        assert lingering.execute("select figure from marts.fct_kept").fetchone() == ("kept",)
        assert publish.publish_tables(url=marts, lock_timeout=0.2, attempts=1) == ["fct_figures"]
    finally:
        lingering.close()
    assert _figure(marts) == "new"
    with psycopg.connect(marts) as conn:
        secured = conn.execute(
            """select relname from pg_class where relnamespace = 'marts'::regnamespace and relkind = 'r'
               and relrowsecurity and relforcerowsecurity order by 1"""
        ).fetchall()
    assert secured == [("fct_figures",), ("fct_kept",)]


def test_a_kept_mart_that_references_a_rebuilt_one_stops_the_publication(marts):
    """Dropping the old mart with CASCADE would silently drop the kept mart's foreign key:
    the publication refuses, naming it, and the previous marts stay as they were."""
    with psycopg.connect(marts, autocommit=True) as conn:
        conn.execute(
            "alter table marts.fct_kept add constraint fct_kept_state_code_fkey"
            " foreign key (state_code) references marts.fct_figures (state_code)"
        )
    with pytest.raises(RuntimeError, match="fct_kept_state_code_fkey"):
        publish.publish_tables(url=marts, attempts=1)
    assert _figure(marts) == "old"
    with psycopg.connect(marts) as conn:
        (keys,) = conn.execute(
            "select count(*) from pg_constraint where conname = 'fct_kept_state_code_fkey'"
        ).fetchone()
    assert keys == 1
