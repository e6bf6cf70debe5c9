"""Benchmark of a correction: a large report's second version against its first.

    .venv/bin/python bench/bench_correction.py [--rows 1000000] [--shares 0.0005 0.01 1] [--repeat 2]

Writes a synthetic CSV annex of ``--rows`` rows (``bench_common.write_annex``) and, for each
share of its cells, a version 2 in which that share of the values is one higher. On a
scratch database ``correction_bench`` (made again for each run), it loads version 1, then
version 2, each with ``intake.ingest_files`` in its own child process that first imports
what an Airflow worker preloads. Version 2 is compared with version 1 cell by cell
(``ledger.compare_versions``) and its changes stored in ``audit.import_changes``; the
first version's load is the floor a correction is measured against. Prints each run's time
and peak memory (``VmHWM``); the fastest of ``--repeat`` runs counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "include"))

from bench_common import (  # noqa: E402
    best,
    emit,
    ingest_as_worker,
    machine_load,
    phases_on_fresh_warehouse,
    rewrite_annex,
    write_annex,
)

TODAY = dt.date(2026, 11, 23)
YEAR = 2016


def phase_load(report: Path) -> None:
    [outcome], seconds = ingest_as_worker([report], TODAY)
    if outcome.status != "loaded":
        raise RuntimeError(f"the benchmark report was not loaded: {outcome.reasons[:3]}")
    s = outcome.summary
    emit(seconds=seconds, rows=outcome.indicator_rows, changes=s.change_count, updated=s.updated)


def write_correction(first: Path, second: Path, share: float) -> int:
    """Version 2 of ``first``, submitted a week later, with every 1/share-th value one higher;
    returns how many values it changes."""
    step = max(round(1 / share), 1)
    values_changed = 0

    def correct(number: int, row: dict[str, str]) -> None:
        nonlocal values_changed
        row["submission_date"], row["version"] = f"{YEAR + 1}-02-27", "2"
        if row["value"] and number % step == 0:
            row["value"] = str(int(row["value"]) + 1)
            values_changed += 1

    rewrite_annex(first, second, correct)
    return values_changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0005, 0.01, 1.0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase_load(Path(args.phase[1]))
        return 0

    print(f"before: `{machine_load()}`")
    print("| values changed | version 1 (the floor) | version 2, the correction | peak, v1 / v2 |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / f"KZ_IM_{YEAR}_v1.csv"
        write_annex(first, args.rows, "KZ", YEAR, seed=YEAR, authority="SYNTHETIC")
        for share in args.shares:
            second = Path(tmp) / f"KZ_IM_{YEAR}_v2.csv"
            changed = write_correction(first, second, share)
            runs = []
            for attempt in range(args.repeat):
                loads = phases_on_fresh_warehouse(
                    __file__,
                    "correction_bench",
                    Path(tmp) / f"var{attempt}",
                    ("load", str(first)),
                    ("load", str(second)),
                )
                if loads[1]["changes"] != changed:
                    raise RuntimeError(f"{changed} values changed, the intake counted {loads[1]['changes']}")
                runs.append(loads)
            v1, v2 = best([r[0] for r in runs]), best([r[1] for r in runs])
            print(
                f"| {changed:,} | {v1['seconds']:.2f} s | {v2['seconds']:.2f} s "
                f"({v2['seconds'] / v1['seconds']:.1f}x) | {v1['peak_mb']:.0f} / {v2['peak_mb']:.0f} MB |"
            )
    print(f"after: `{machine_load()}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
