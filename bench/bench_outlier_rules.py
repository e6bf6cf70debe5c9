"""How many flags the warehouse's outlier rules raise on the sample data, and how many are real.

    PYTHONPATH=include .venv/bin/python bench/bench_outlier_rules.py [--var /tmp/pm-outliers] [--planted 30]

In a scratch ``VAR_DIR`` (its own embedded PostgreSQL): the synthetic sample reports
(``dev.samples``, seed 2014) are loaded and the warehouse built; every flag of
``year_over_year_jump`` and ``modified_z_score_outlier`` in ``marts.rpt_validation_findings``
is then classified. The generator plants no outlier: a state's value is its share (weight x
U(0.8, 1.2), redrawn every year) of a CIS total drifting by U(0.85, 1.15) a year, so a flag on
a synthetic value is noise by construction; THB01/02/04/05 values UNODC GLOTIP published are
real figures (``dev.unodc_figures``) and are counted apart. Then ``--planted`` anomalies are
planted as corrections (version 2 of a sample report, one total changed: x10, /10 or x3, on
indicators with no breakdown, no pinned UNODC value and no cross-check), loaded through the
real intake, the warehouse rebuilt, and each rule's recall on them and its flags elsewhere
counted. The rules run as dbt builds them (thresholds from the seed ``validation_rules``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import random
import shutil
import sys
from pathlib import Path

RULES = ("year_over_year_jump", "modified_z_score_outlier")
PLANTABLE = ("THB01", "THB06", "TRN01", "TRN02", "IM01", "IM02", "IM03", "IM04", "IM05", "CR01")
KINDS = (("x10", 10.0), ("/10", 0.1), ("x3", 3.0))


def flags(connect) -> list[tuple[str, str, str, int, float, float]]:
    with connect() as conn:
        return conn.execute(
            "select distinct rule_code, state_code, indicator_code, reporting_year, left_value, right_value "
            "from marts.rpt_validation_findings where rule_code = any(%s) order by 1, 2, 3, 4",
            [list(RULES)],
        ).fetchall()


def plant(held: Path, good: list[Path], count: int, rng: random.Random) -> dict[tuple[str, str, int], str]:
    """Version 2 of ``count`` sample reports, one total changed each, written under ``held``/<sender>/
    (moved into the landing area once the first versions are loaded); (state, indicator, year) -> kind."""
    from programme_monitoring.dev.unodc_figures import GLOTIP_TOTALS
    from programme_monitoring.report_format.reader import parse_report
    from programme_monitoring.report_format.writer import write_report

    planted: dict[tuple[str, str, int], str] = {}
    candidates = sorted(good)
    rng.shuffle(candidates)
    for path in candidates:
        if len(planted) >= count:
            break
        report = parse_report(path)
        h = report.header
        values = report.indicator_values.copy()
        totals = values[
            (values.disaggregation == "total") & values.value.notna() & values.indicator_code.isin(PLANTABLE)
        ]
        totals = totals[
            [(h.state_code, c, h.reporting_year) not in GLOTIP_TOTALS for c in totals.indicator_code]
        ]
        totals = totals[totals.value >= 10]
        if totals.empty or any(k[0] == h.state_code and k[2] == h.reporting_year for k in planted):
            continue
        row = totals.index[rng.randrange(len(totals))]
        kind, factor = KINDS[len(planted) % len(KINDS)]
        code = values.at[row, "indicator_code"]
        values.at[row, "value"] = max(0, round(values.at[row, "value"] * factor))
        header = dataclasses.replace(h, version=2, submission_date=h.submission_date + dt.timedelta(days=30))
        target = held / path.parent.name / path.name.replace("_v1.", "_v2.")
        target.parent.mkdir(parents=True, exist_ok=True)
        write_report(header, values, report.measures, target, report.file_format)
        planted[(h.state_code, code, h.reporting_year)] = kind
    return planted


def summarise(found, planted: dict, pinned: set, values: int) -> None:
    """Per rule and for both: flags on planted anomalies (recall by kind), on UNODC-published
    values (real figures, neither planted nor noise) and on synthetic noise (false positives
    by construction), with the false-positive rate per synthetic value left unplanted."""
    noise_values = values - len(pinned) - len(planted)
    for name, rules in [(rule, {rule}) for rule in RULES] + [("either rule", set(RULES))]:
        points = {(s, i, y) for rule, s, i, y, *_ in found if rule in rules}
        hits = points & set(planted)
        real = {p for p in points if p in pinned and p not in planted}
        noise = points - hits - real
        kinds = ", ".join(
            f"{k} {sum(1 for p in hits if planted[p] == k)}/{sum(1 for v in planted.values() if v == k)}"
            for k, _ in KINDS
        )
        print(
            f"  {name}: {len(points)} values flagged; planted anomalies found {len(hits)}/{len(planted)}"
            + (f" ({kinds})" if planted else "")
            + f"; on UNODC-published values {len(real)}; on synthetic noise {len(noise)}"
            f" (false-positive rate {len(noise) / noise_values:.1%} of {noise_values} synthetic values)"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var", default="/tmp/pm-outlier-rules")
    parser.add_argument("--planted", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2014)
    args = parser.parse_args()
    var = Path(args.var)
    if var.exists():
        shutil.rmtree(var)
    var.mkdir(parents=True)
    os.environ["VAR_DIR"] = str(var)
    os.environ.pop("WAREHOUSE_URL", None)

    from programme_monitoring.dev.samples import generate_samples
    from programme_monitoring.dev.unodc_figures import GLOTIP_TOTALS
    from programme_monitoring.intake.remote_landing import ingest_landing_area
    from programme_monitoring.settings import paths
    from programme_monitoring.warehouse.connection import connect, warehouse_url
    from programme_monitoring.warehouse.schema import init
    from programme_monitoring.warehouse.transform import build_warehouse

    init(warehouse_url())
    manifest = generate_samples(paths().landing, seed=args.seed)
    held = var / "planted"
    planted = plant(held, manifest.good, args.planted, random.Random(args.seed))
    ingest_landing_area()
    build_warehouse()
    pinned = set(GLOTIP_TOTALS)
    found = flags(connect)
    with connect() as conn:
        series = conn.execute(
            "select count(*), count(distinct (state_code, indicator_code, programme_codes)) "
            "from intermediate.int_indicator_values_state_year where value is not null"
        ).fetchone()
    print(f"sample data (seed {args.seed}): {series[0]} state-year values in {series[1]} series")
    print("as generated (no planted anomaly):")
    summarise(found, {}, pinned, series[0])

    for path in sorted(held.rglob("*_v2.*")):
        shutil.move(path, paths().landing / path.parent.name / path.name)
    ingest_landing_area()
    build_warehouse()
    print(f"with {len(planted)} planted anomalies (corrections, version 2):")
    summarise(flags(connect), planted, pinned, series[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
