"""Synthetic URS extracts for the tests, the benchmark and the demo (nothing here is a real person).

``write_synthetic_extract`` writes an extract in the format of docs/urs_extract_format.md
with made-up passport numbers, names and dates of birth: ``persons`` people (a third of
the events by default) of the citizenships below, each with one purpose of visit and one
host state, and events drawn among them. Reproducible for a seed.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from programme_monitoring.reference import urs_crossing_points
from programme_monitoring.urs.reader import PURPOSES, REQUIRED_COLUMNS, host_states

SYNTHETIC_CITIZENSHIPS = ("CHN", "VNM", "AFG", "IND", "TUR", "DEU", "USA", "IRN", "PAK", "SYR", "KOR", "MNG")


def write_synthetic_extract(path: Path, events: int, seed: int = 2005, persons: int | None = None) -> Path:
    """A synthetic URS extract with made-up identifiers (no real person), for tests and the benchmark."""
    rng = random.Random(seed)
    states = sorted(host_states() - {"GE", "UA"})
    purposes = sorted(PURPOSES)
    people = [
        (
            f"P{rng.randrange(10**8):08d}",
            f"Synthetic Person {i}",
            f"{1950 + rng.randrange(55)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}",
            rng.choice(SYNTHETIC_CITIZENSHIPS),
            rng.choice(purposes),
            rng.choice(states),
        )
        for i in range(persons or max(1, events // 3))
    ]
    crossing_points = {
        s: sorted(c for c, state in urs_crossing_points().items() if state == s) for s in states
    }
    kinds = rng.choices(("entry", "exit", "work_permit", "offence"), (45, 40, 12, 3), k=events)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(REQUIRED_COLUMNS)
        for kind in kinds:
            passport, name, birth, citizenship, purpose, state = people[rng.randrange(len(people))]
            writer.writerow(
                (
                    kind,
                    passport,
                    name,
                    birth,
                    citizenship,
                    purpose,
                    state,
                    rng.choice(crossing_points[state]),
                    f"2017-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}",
                )
            )
    return path
