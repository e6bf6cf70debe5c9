"""Benchmark of the intake's peak memory as a CSV report grows: held whole, or checked as read.

    .venv/bin/python bench/bench_intake_memory.py [--rows 250000 500000 1000000 1999950] [--repeat 1]
        [--encoding cp1251]

For each size it writes a synthetic CSV annex (``bench_common.write_annex``) and loads it
with ``intake.ingest_files`` in a child process that first imports what an Airflow worker
preloads, on a scratch database ``memory_bench``, three ways: as the intake decides
(``reading.HOLD_BYTES``: a report up to 32 MB is held, a larger one checked as it is read),
held whole, and checked as read (``quality.slices``; a file under ``head_start.MIN_BYTES``, 8 MB,
has no head start and is held whatever the setting). ``--encoding cp1251`` writes the annex in
Windows-1251 with the authority's name in Cyrillic on every row (Excel's "CSV" in a Russian
locale); UTF-8 annexes name it in Latin letters. Prints each run's time and peak
resident memory (``VmHWM``, the worker's imports included); the fastest of ``--repeat``
runs counts.
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
    write_annex,
)

TODAY = dt.date(2026, 11, 23)
YEAR = 2016
# How each run sets ``reading.HOLD_BYTES``: None leaves the intake's own.
MODES = {"as the intake decides": None, "held whole": 1 << 62, "checked as read": 0}


def phase_ingest(report: Path, hold_bytes: str) -> None:
    from programme_monitoring.intake import reading

    if hold_bytes != "None":
        reading.HOLD_BYTES = int(hold_bytes)
    [outcome], seconds = ingest_as_worker([report], TODAY)
    if outcome.status != "loaded":
        raise RuntimeError(f"the report was {outcome.status}: {outcome.reasons[:3]}")
    emit(seconds=seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[250_000, 500_000, 1_000_000, 1_999_950])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--encoding", choices=["utf-8", "cp1251"], default="utf-8")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase_ingest(Path(args.phase[1]), args.phase[2])
        return 0
    from programme_monitoring.intake.head_start import MIN_BYTES
    from programme_monitoring.intake.reading import HOLD_BYTES

    print(f"before: `{machine_load()}`")
    print(f"| rows | file | {' | '.join(MODES)} |\n|---|---|{'---|' * len(MODES)}")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            annex = Path(tmp) / f"KZ_IM_{YEAR}.csv"
            authority = "SYNTHETIC" if args.encoding == "utf-8" else "МВД Республики Казахстан (SYNTHETIC)"
            write_annex(annex, rows, "KZ", YEAR, seed=YEAR, authority=authority, encoding=args.encoding)
            size = annex.stat().st_size
            cells = []
            for hold_bytes in MODES.values():
                runs = []
                for attempt in range(args.repeat):
                    var = Path(tmp) / f"var{attempt}"
                    phase = ("ingest", str(annex), str(hold_bytes))
                    runs += phases_on_fresh_warehouse(__file__, "memory_bench", var, phase)
                r = best(runs)
                held = size <= HOLD_BYTES if hold_bytes is None else hold_bytes > 0
                taken = "held" if held or size < MIN_BYTES else "as read"
                cells.append(f"{r['seconds']:.2f} s, {r['peak_mb']:.0f} MB ({taken})")
            print(f"| {rows:,} | {size / 2**20:.0f} MB | {' | '.join(cells)} |", flush=True)
            annex.unlink()
    print(f"after: `{machine_load()}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
