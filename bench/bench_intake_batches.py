"""Benchmark of one intake run over several large reports: peak memory by batch size.

    .venv/bin/python bench/bench_intake_batches.py [--rows 1000000] [--files 3] [--budgets-mb 100000 128 32]

Writes ``--files`` synthetic CSV annexes of ``--rows`` rows (Kazakhstan's IM reports for
successive years) and, for each batch budget, runs ``intake.ingest_files`` on all of them
in one call, in a child process that first imports what an Airflow worker preloads; on a
scratch database ``intake_batches_bench``, emptied before each run. A budget of at least
the files' total size reads them as one batch (how every run read before batches); the
default budget is ``reading.BATCH_BYTES``. Prints each run's time and peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from bench_common import emit, ingest_as_worker, machine_load, phases_on_fresh_warehouse, write_annex  # noqa: E402

TODAY = dt.date(2026, 11, 23)


def phase_run(folder: Path, budget_mb: int) -> None:
    from programme_monitoring.intake import reading

    reading.BATCH_BYTES = budget_mb * 1024 * 1024
    outcomes, seconds = ingest_as_worker(sorted(folder.glob("*.csv")), TODAY)
    if any(o.status != "loaded" for o in outcomes):
        raise RuntimeError(f"not every report was loaded: {[o.reasons[:2] for o in outcomes]}")
    emit(seconds=seconds, rows=sum(o.indicator_rows for o in outcomes))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--budgets-mb", type=int, nargs="+", default=[100_000, 128, 32])
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase_run(Path(args.phase[1]), int(args.phase[2]))
        return 0

    print(f"before: `{machine_load()}`")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reports"
        folder.mkdir()
        for n in range(args.files):
            year = 2015 + n  # the IM programme runs 2015-2019
            write_annex(folder / f"KZ_IM_{year}.csv", args.rows, "KZ", year, seed=year, authority="SYNTHETIC")
        total_mb = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
        print(f"{args.files} reports of {args.rows:,} rows, {total_mb:.0f} MB in all")
        print("| batch budget | time | peak memory |\n|---|---|---|")
        for budget in args.budgets_mb:
            var = Path(tmp) / f"var{budget}"
            [result] = phases_on_fresh_warehouse(
                __file__, "intake_batches_bench", var, ("run", str(folder), str(budget))
            )
            print(f"| {budget} MB | {result['seconds']:.1f} s | {result['peak_mb']:.0f} MB |")
    print(f"after: `{machine_load()}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
