"""A head start for the load of a large CSV report: its values are COPYed while the file is read.

Reading a large annex keeps one core busy for about a second while PostgreSQL idles; its
COPY then keeps PostgreSQL busy about as long again. With a head start, each chunk of
values the reader has checked goes to PostgreSQL at once, from a thread, in a transaction
of its own (the report's header, then one COPY of every chunk). When the file has been
read, the load continues in that transaction (``ingest._load``) instead of copying the
values again.

Nothing is decided early. The load still takes its lock, checks the version, copies the
measures and commits only on the suites' verdict; a file refused for any reason is rolled
back with everything its head start wrote. A head start that fails (the reader refused the
file or read it again from the start, PostgreSQL refused a value or went away, another run
is loading the same bytes) is rolled back and forgotten: the load then runs from the start
as it would without one, and meets the same failure where it always did. Before the load
takes it, its header and row count are compared with the report read whole.

Only a CSV file of at least ``MIN_BYTES`` gets one (a small file gains nothing), at most
``MAX_OPEN`` in a run at a time (each holds a connection until its load), and never two for
the same bytes (the second would wait for the first's header until that one commits).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psycopg

from programme_monitoring.intake import ledger
from programme_monitoring.process_memory import give_back
from programme_monitoring.report_format.records import ParsedReport, ReportHeader
from programme_monitoring.warehouse.connection import warehouse_url

log = logging.getLogger(__name__)

MIN_BYTES = 8 << 20  # about 60,000 rows of a CSV report
MAX_OPEN = 4


class _Abandoned(Exception):
    """The reader read the file again from the start: what was sent is not the report."""


class HeadStart:
    """The values of one file COPYed as the reader hands them over (a ``collector.ValuesSink``)."""

    def __init__(self, path: Path, digest: str) -> None:
        self.path, self.digest = path, digest
        self.header: ReportHeader | None = None
        self.rows = 0
        self.failure: BaseException | None = None
        self._chunks: queue.SimpleQueue[pd.DataFrame | None] = queue.SimpleQueue()  # the reader never waits
        self._conn: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None

    def add(self, header: ReportHeader, values: pd.DataFrame) -> None:
        if self._thread is None:
            self.header = header
            self._thread = threading.Thread(target=self._copy, name="intake-head-start", daemon=True)
            self._thread.start()
        self._chunks.put(values)

    def forget(self) -> None:
        if self._thread is not None:
            self.failure = self.failure or _Abandoned()

    def _copy(self) -> None:
        try:
            self._conn = psycopg.connect(warehouse_url())
            self._conn.execute(f"set local lock_timeout = '{ledger.LOCK_TIMEOUT}'")
            ledger.insert_header(self._conn, self.digest, self.path.name, "csv", self.header)
            self.rows = ledger.copy_values(self._conn, self.digest, self.path.name, self._received())
        except Exception as error:  # noqa: BLE001 - the load runs without a head start and meets it again
            self.failure = self.failure or error
            # (the error's text is not logged: it may quote a value of the file)
            log.info(
                "%(file)s: its values were not copied while it was read (%(error)s); the load copies them / "
                "%(file)s: значения не скопированы при чтении (%(error)s); их скопирует загрузка",
                {"file": self.path.name, "error": type(error).__name__},
            )
        finally:
            give_back()  # the chunks' arrow text, held by this thread's allocator otherwise

    def _received(self) -> Iterator[pd.DataFrame]:
        while (chunk := self._chunks.get()) is not None:
            if self.failure is not None:
                raise self.failure  # ends the COPY with an error: rolled back with the rest
            yield chunk

    def finish(self, report: ParsedReport) -> psycopg.Connection | None:
        """The connection whose open transaction holds the header and every value of ``report``,
        for its load to continue; None if the head start failed or holds anything else (then
        everything it wrote is rolled back)."""
        self._stop()
        if self.failure is None and self.header == report.header and self.rows == report.value_count:
            conn, self._conn = self._conn, None
            return conn
        self.close()
        return None

    def _stop(self) -> None:
        if self._thread is not None:
            self._chunks.put(None)
            self._thread.join()
            self._thread = None

    def close(self) -> None:
        """Roll back whatever the head start wrote."""
        self._stop()
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.rollback()
            self._conn.close()
            self._conn = None


class HeadStarts:
    """The head starts of one intake run; leaving it rolls back those no load took."""

    def __init__(self) -> None:
        self._open: dict[str, HeadStart] = {}
        self._started: set[str] = set()

    def __enter__(self) -> HeadStarts:
        return self

    def __exit__(self, *exc_info) -> None:
        for head_start in self._open.values():
            head_start.close()
        self._open.clear()

    def start(self, path: Path, digest: str) -> HeadStart | None:
        """A head start for this file, or None if it gets none."""
        if (
            path.suffix.lower() != ".csv"
            or path.stat().st_size < MIN_BYTES
            or digest in self._started
            or len(self._open) >= MAX_OPEN
        ):
            return None
        self._started.add(digest)
        self._open[digest] = HeadStart(path, digest)
        return self._open[digest]

    def take(self, digest: str, report: ParsedReport | None) -> psycopg.Connection | None:
        """The open transaction of this file's head start holding ``report``'s values (see
        ``HeadStart.finish``); None if it has none, or if ``report`` is None (refused)."""
        head_start = self._open.pop(digest, None)
        if head_start is None:
            return None
        if report is None:
            head_start.close()
            return None
        return head_start.finish(report)
