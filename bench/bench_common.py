"""Measurement helpers shared by the benchmarks in bench/.

A benchmark script calls itself in a child process per measured phase, so that each
phase's peak memory is its own and nothing it imported or allocated leaks into the next:

    # in the child: python bench/bench_x.py --phase NAME ARGS...
    with Stopwatch() as watch:
        do_the_work()
    emit(seconds=watch.seconds, rows=n)          # prints one JSON line, adds peak_mb

    # in the driver
    result = run_phase(__file__, "NAME", "ARG", env=env)   # {"seconds": ..., "rows": ..., "peak_mb": ...}

Peak memory is the child's peak resident set (``VmHWM`` in /proc/self/status: reset at
exec, unlike ``ru_maxrss``, which a child may inherit from a large parent on Linux).
``machine_load()`` returns ``uptime``'s line, to print before and after a run: on a shared
machine the absolute times move with the load, so a result should say what the load was.
``scratch_database()`` creates a throw-away database on the same PostgreSQL server;
``phases_on_fresh_warehouse()`` runs phases on one, with the warehouse's schema.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stopwatch:
    """Wall-clock and CPU seconds of a ``with`` block (``seconds``, ``cpu_seconds``)."""

    def __enter__(self) -> Stopwatch:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._wall
        self.cpu_seconds = time.process_time() - self._cpu


def emit(**result) -> None:
    """Child side: print the phase's result as the last line of stdout (JSON), with its peak memory."""
    result.setdefault("peak_mb", round(peak_rss_mb(), 1))
    print(json.dumps(result), flush=True)


def run_phase(script: str | Path, *args: str, env: dict | None = None, timeout: float | None = None) -> dict:
    """Driver side: run ``python script --phase ARGS...`` in a fresh process; return its JSON result."""
    result = subprocess.run(
        [sys.executable, str(script), "--phase", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"phase {args[0] if args else ''} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def best(results: Sequence[dict]) -> dict:
    """The fastest of repeated runs of a phase, with the highest peak memory among them."""
    fastest = dict(min(results, key=lambda r: r["seconds"]))
    fastest["peak_mb"] = max(r["peak_mb"] for r in results)
    fastest["runs"] = [round(r["seconds"], 2) for r in results]
    return fastest


def machine_load() -> str:
    """``uptime``'s line (load averages), or os.getloadavg() where uptime is missing."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


@contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """A new database ``name`` on the server of ``server_url`` (dropped before and after); yields its URL."""
    import psycopg

    admin_url = server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.execute(f'create database "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


def phases_on_fresh_warehouse(
    script: str | Path, database: str, var: Path, *phases: Sequence[str]
) -> list[dict]:
    """``run_phase`` of each of ``phases`` (its arguments) in turn, on a new scratch database
    ``database`` with the warehouse's schema and with ``VAR_DIR`` at ``var`` (both removed after):
    an intake that starts from nothing; returns the phases' results."""
    from programme_monitoring.warehouse.connection import warehouse_url
    from programme_monitoring.warehouse.schema import init

    try:
        with scratch_database(warehouse_url(), database) as scratch:
            init(scratch)
            env = dict(os.environ, WAREHOUSE_URL=scratch, VAR_DIR=str(var))
            return [run_phase(script, *phase, env=env) for phase in phases]
    finally:
        shutil.rmtree(var, ignore_errors=True)


def write_annex(
    path: Path, rows: int, state: str, year: int, seed: int, authority: str, encoding: str = "utf-8"
) -> None:
    """A synthetic IM report of ``state`` for ``year`` in CSV, the shape of a large annex:
    training participants per training event (TRN01, "event=..."), whose total row is the
    sum of the parts, plus what makes the report complete (a total of every other indicator
    the programme carries that year, a status of every measure due), as the intake demands;
    ``encoding`` "cp1251" writes it as Excel's "CSV" does in a Russian locale."""
    import csv
    import random

    from programme_monitoring.reference import load_reference
    from programme_monitoring.report_format.labels import CSV_COLUMNS

    reference = load_reference()
    rng = random.Random(seed)
    head = [state, authority, "IM", str(year), f"{year + 1}-02-20", "1"]
    # The total stays under the indicator's ceiling of 10,000,000 up to the intake's 2,000,000 rows.
    values = [rng.randint(0, min(12, 18_000_000 // rows)) for _ in range(rows - 1)]
    others = sorted(reference.reportable_indicators("IM", year) - {"TRN01"})
    with path.open("w", newline="", encoding=encoding) as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerow([*head, "indicator", "TRN01", "total", sum(values), "", "synthetic benchmark annex"])
        for code in others:
            writer.writerow([*head, "indicator", code, "total", rng.randint(0, 400), "", ""])
        for code in sorted(reference.measures_due("IM", year)):
            writer.writerow([*head, "measure", code, "", "", "implemented", ""])
        for number, value in enumerate(values):
            writer.writerow([*head, "indicator", "TRN01", f"event=EVT-{year}-{number:08d}", value, "", ""])


def rewrite_annex(source: Path, target: Path, edit: Callable[[int, dict[str, str]], None]) -> int:
    """``source`` (a CSV report) copied to ``target`` with ``edit(number, row)`` applied to each
    data row (a dict of its columns, changed in place; ``number`` counts from 0); returns how
    many rows ``edit`` changed."""
    import csv

    changed = 0
    with (
        source.open(newline="", encoding="utf-8") as old,
        target.open("w", newline="", encoding="utf-8") as new,
    ):
        rows = csv.DictReader(old)
        writer = csv.DictWriter(new, rows.fieldnames, lineterminator="\n")
        writer.writeheader()
        for number, row in enumerate(rows):
            before = dict(row)
            edit(number, row)
            changed += row != before
            writer.writerow(row)
    return changed


def ingest_as_worker(reports: Sequence[Path], today: dt.date) -> tuple[list, float]:
    """Child side: ``intake.ingest_files`` on copies of ``reports`` delivered to Kazakhstan's
    landing folder (under ``VAR_DIR``), after importing what an Airflow worker preloads before
    it forks a task; returns the outcomes and the seconds the intake took."""
    import programme_monitoring.orchestration.preload  # noqa: F401 - as an Airflow worker's task
    from programme_monitoring.dev.samples import sender_folder
    from programme_monitoring.intake import ingest

    landing = sender_folder(Path(os.environ["VAR_DIR"]) / "landing", "KZ")
    delivered = [Path(shutil.copy(report, landing / report.name)) for report in reports]
    with Stopwatch() as watch:
        outcomes = ingest.ingest_files(delivered, today)
    return outcomes, watch.seconds
