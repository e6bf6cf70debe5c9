"""Benchmark of refusing a large hostile report: time and memory to say what is wrong.

    .venv/bin/python bench/bench_refusal.py [--rows 1000000] [--repeat 1]

Writes a synthetic CSV annex of ``--rows`` rows (``bench_common.write_annex``) and three
versions of it that break a blocking rule on every event row: each value negative
(``value_not_negative``), each event twice (``indicator_unique``), and each event under an
indicator the programme does not carry (``known_indicator``). Each is refused by
``intake.ingest_files`` in a child process that first imports what an Airflow worker
preloads, on a scratch database ``refusal_bench``; the well-formed annex's load is the
floor a refusal is measured against. Prints each run's time and peak memory (``VmHWM``);
the fastest of ``--repeat`` runs counts.
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


def _negative(number: int, row: dict[str, str]) -> None:
    if row["disaggregation"].startswith("event="):
        row["value"] = "-1"


def _twice(number: int, row: dict[str, str]) -> None:
    if row["disaggregation"].startswith("event="):  # events 2k and 2k+1 become the same event
        serial = int(row["disaggregation"].rsplit("-", 1)[1])
        row["disaggregation"] = f"event=EVT-{YEAR}-{serial // 2:08d}"


def _not_carried(number: int, row: dict[str, str]) -> None:
    if row["disaggregation"].startswith("event="):
        row["code"] = "THB02"  # an indicator of the programme against trafficking, not of IM


HOSTILE = {
    "every value negative": _negative,
    "every event twice": _twice,
    "an indicator IM does not carry": _not_carried,
}


def phase_ingest(report: Path, expected: str) -> None:
    [outcome], seconds = ingest_as_worker([report], TODAY)
    if outcome.status != expected:
        raise RuntimeError(f"the report was {outcome.status}, not {expected}: {outcome.reasons[:3]}")
    emit(seconds=seconds, reasons=len(outcome.reasons))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase_ingest(Path(args.phase[1]), args.phase[2])
        return 0

    print(f"before: `{machine_load()}`")
    print("| report | decided | reasons | time | peak memory |\n|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        annex = Path(tmp) / f"KZ_IM_{YEAR}.csv"
        write_annex(annex, args.rows, "KZ", YEAR, seed=YEAR, authority="SYNTHETIC")
        cases = [("well-formed (the floor)", annex, "loaded")]
        for name, edit in HOSTILE.items():
            hostile = Path(tmp) / f"KZ_IM_{YEAR}_{edit.__name__.strip('_')}.csv"
            rewrite_annex(annex, hostile, edit)
            cases.append((name, hostile, "rejected"))
        for name, report, expected in cases:
            runs = []
            for attempt in range(args.repeat):
                var = Path(tmp) / f"var{attempt}"
                runs += phases_on_fresh_warehouse(
                    __file__, "refusal_bench", var, ("ingest", str(report), expected)
                )
            r = best(runs)
            print(f"| {name} | {expected} | {r['reasons']} | {r['seconds']:.2f} s | {r['peak_mb']:.0f} MB |")
    print(f"after: `{machine_load()}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
