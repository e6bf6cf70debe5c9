"""Disclosure control of the shared URS table, attacked as a member state's analyst would.

A state's analyst (``pm_state_kz``) reads every figure the marts show it: the shared table
(``rpt_urs_indicators_shared``, all host states) and its own host state's exact counts
(``fct_urs_indicators_monthly`` under row-level security). For every other host state's
month the attacker writes every relation between the published figures as linear
constraints (cells add up to the total's events; distinct persons of the total lie between
the largest cell's and the sum of the cells'; persons never exceed events; a suppressed
cell that is listed holds at least one event; URS01-URS03 count events and persons that
URS04 counts too, cell by cell and in total; whatever a published suppression reason
tells) and asks ``scipy.optimize.linprog`` for the least and the largest value of each
suppressed small count. The documented protection (README, "URS disclosure control"): that
range holds at least 5 values and reaches 5, so the analyst can neither pin a small count
down nor even tell it is small. Nothing published adds months or host states up (no yearly
or CIS-wide totals: checked), so each month x host state is attacked on its own.

The events are synthetic (random small and large cells over four host states and three
months) plus the case of the issue: host Belarus, February 2016, where URS01's total minus
its visible cells and URS04's visible Viet Nam cell gave Turkey's suppressed count away.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date

import numpy as np
import psycopg
import pytest
from programme_monitoring.warehouse.access import apply_access_policies
from scipy.optimize import linprog

THRESHOLD = 5
SELECT = (
    "build",
    "--select",
    "+path:models/marts/urs",
    "+stg_reference__member_states",
    "--indirect-selection",
    "cautious",
)
KINDS = {"URS01": "entry", "URS02": "work_permit", "URS03": "offence"}


def _events(seed: int, months: list[int]) -> list[tuple]:
    """(event type, person, citizenship, purpose, host state, date): many small cells, some large."""
    rng = random.Random(seed)
    rows = []
    for month in months:
        for state in ("KG", "KZ", "RU", "TJ"):  # BY: the issue's case alone
            for citizenship in ("AFG", "CHN", "IND", "TUR", "VNM", "KOR"):
                for purpose in ("work", "study", "tourism"):
                    if rng.random() < 0.35:
                        continue
                    persons = rng.choice((1, 1, 2, 3, 4, 5, 6, 8, 12, 20))
                    for p in range(persons):
                        person = f"{seed}-{state}-{citizenship}-{purpose}-{month}-{p}"
                        for _ in range(rng.choice((1, 1, 1, 2, 3))):
                            kind = rng.choices(("entry", "exit", "work_permit", "offence"), (50, 35, 12, 3))[
                                0
                            ]
                            day = date(2016, month, 1 + rng.randrange(28))
                            rows.append((kind, person, citizenship, purpose, state, day))
    return rows


def _issue_case() -> list[tuple]:
    """Host Belarus, February 2016 (the issue): URS01 CHN 12, IND 7, TUR 2, VNM 5 (total 26);
    URS04 adds exits: CHN 15, IND 9, TUR 6 (2 persons), VNM 5 and KGZ 5 (exits only)."""
    rows = []

    def add(kind, citizenship, persons, per_person=1):
        for p in range(persons):
            for d in range(per_person):
                rows.append(
                    (kind, f"by-{citizenship}-{p}", citizenship, "work", "BY", date(2016, 2, 1 + p + d))
                )

    add("entry", "CHN", 12)
    add("exit", "CHN", 3)
    add("entry", "IND", 7)
    add("exit", "IND", 2)
    add("entry", "TUR", 2)
    add("exit", "TUR", 2, per_person=2)
    add("entry", "VNM", 5)
    add("exit", "KGZ", 5)
    return rows


def _load(conn: psycopg.Connection, extract_id: str, rows: list[tuple]) -> None:
    conn.execute(
        """insert into audit.urs_extract_ledger (extract_id, source_file, file_bytes, status, event_rows)
           values (%s, %s, 1000, 'loaded', %s)""",
        (extract_id, extract_id + ".csv", len(rows)),
    )
    with conn.cursor().copy(
        """copy raw.urs_events (extract_id, source_file, event_type, person_pseudonym, citizenship,
               purpose_of_visit, host_state, border_crossing_point, event_date) from stdin"""
    ) as copy:
        for kind, person, citizenship, purpose, state, day in rows:
            copy.write_row(
                (extract_id, extract_id + ".csv", kind, person, citizenship, purpose, state, None, day)
            )


@pytest.fixture(scope="module")
def published(own_warehouse, run_dbt_in_process):
    """The URS marts built by dbt over months 1-3 (and the issue's case), then again after month 4."""
    url, _ = own_warehouse
    with psycopg.connect(url) as conn:
        _load(conn, "urs-2016-q1", _events(17, [1, 2, 3]) + _issue_case())
    assert run_dbt_in_process(*SELECT).success
    with psycopg.connect(url) as conn:
        apply_access_policies(conn)
        before = _read_as(conn, "pm_state_kz")
        _load(conn, "urs-2016-04", _events(18, [4]))
    assert run_dbt_in_process(*SELECT).success
    with psycopg.connect(url) as conn:
        apply_access_policies(conn)
        after = _read_as(conn, "pm_state_kz")
        truth = conn.execute(
            """select indicator_code, event_month, state_code, citizenship_code, purpose_of_visit,
                      event_count, person_count from marts.fct_urs_indicators_monthly
               union all
               select indicator_code, event_month, state_code, null, null, event_count, person_count
               from intermediate.int_urs_indicators_monthly where row_type = 'total'"""
        ).fetchall()
    return before, after, {r[:5]: r[5:] for r in truth}


def _read_as(conn: psycopg.Connection, role: str) -> dict:
    """Every URS figure the role can read: the shared table (as dicts) and the exact cells it sees."""
    conn.execute(f"set role {role}")
    try:
        cursor = conn.execute("select * from marts.rpt_urs_indicators_shared")
        names = [d.name for d in cursor.description]
        shared = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
        own = conn.execute("select distinct state_code from marts.fct_urs_indicators_monthly").fetchall()
    finally:
        conn.execute("reset role")
    return {"shared": shared, "own_states": {r[0] for r in own}}


# -- the attacker ---------------------------------------------------------------------------


def feasible_ranges(rows: list[dict], targets: list[tuple]) -> dict[tuple, tuple[float, float]]:
    """(indicator, citizenship, purpose, measure) -> [min, max] an LP allows, for one month x host state.

    ``rows`` are the published rows of that month x host state; citizenship and purpose are
    None for a total; measure is 'event_count' or 'person_count'.
    """
    index: dict[tuple, int] = {}
    lower, upper = [], []

    def var(indicator, citizenship, purpose, measure):
        key = (indicator, citizenship, purpose, measure)
        if key not in index:
            index[key] = len(lower)
            lower.append(1.0)
            upper.append(None)
        return index[key]

    cells: dict[str, list[tuple]] = defaultdict(list)
    has_total = set()
    for r in rows:
        coordinate = (r["citizenship_code"], r["purpose_of_visit"])
        if r["row_type"] == "cell":
            cells[r["indicator_code"]].append(coordinate)
        else:
            has_total.add(r["indicator_code"])
        for measure in ("event_count", "person_count"):
            i = var(r["indicator_code"], *coordinate, measure)
            if r[measure] is not None:
                lower[i] = upper[i] = float(r[measure])
            elif r.get("suppression") == "primary" and measure == "person_count":  # a reason tells:
                upper[i] = THRESHOLD - 1.0  # primary = fewer than 5 persons (events >= persons)
            elif r.get("suppression") == "secondary":  # not small: at least 5 persons and events
                lower[i] = float(THRESHOLD)
    inequalities: list[dict[int, float]] = []  # sum(coefficient x) <= 0
    equalities: list[dict[int, float]] = []  # sum(coefficient x) == 0

    def e(indicator, coordinate):
        return var(indicator, *coordinate, "event_count")

    def p(indicator, coordinate):
        return var(indicator, *coordinate, "person_count")

    total = (None, None)
    for indicator, coordinates in cells.items():
        for c in [*coordinates, total] if indicator in has_total else coordinates:
            inequalities.append({p(indicator, c): 1, e(indicator, c): -1})  # persons <= events
        if indicator in has_total:
            equalities.append({e(indicator, total): -1, **{e(indicator, c): 1 for c in coordinates}})
            for c in coordinates:
                inequalities.append({p(indicator, c): 1, p(indicator, total): -1})
            inequalities.append({p(indicator, total): 1, **{p(indicator, c): -1 for c in coordinates}})
    # URS01-URS03 are events (and persons) URS04 counts too: cell by cell and in total.
    for c in {c for indicator in KINDS for c in cells.get(indicator, [])}:
        parts = [indicator for indicator in KINDS if c in cells.get(indicator, [])]
        inequalities.append({e("URS04", c): -1, **{e(indicator, c): 1 for indicator in parts}})
        for indicator in parts:
            inequalities.append({p(indicator, c): 1, p("URS04", c): -1})
    if "URS04" in has_total:
        parts = [indicator for indicator in KINDS if indicator in has_total]
        inequalities.append({e("URS04", total): -1, **{e(indicator, total): 1 for indicator in parts}})
        for indicator in parts:
            inequalities.append({p(indicator, total): 1, p("URS04", total): -1})

    def matrix(constraints):
        a = np.zeros((len(constraints), len(lower)))
        for row, coefficients in enumerate(constraints):
            for column, value in coefficients.items():
                a[row, column] += value
        return a

    a_ub, a_eq = matrix(inequalities), matrix(equalities)
    bounds = list(zip(lower, upper, strict=True))
    ranges = {}
    for target in targets:
        objective = np.zeros(len(lower))
        objective[index[target]] = 1
        low = linprog(objective, A_ub=a_ub, b_ub=np.zeros(len(a_ub)), A_eq=a_eq, b_eq=np.zeros(len(a_eq)),
                      bounds=bounds, method="highs")  # fmt: skip
        high = linprog(-objective, A_ub=a_ub, b_ub=np.zeros(len(a_ub)), A_eq=a_eq, b_eq=np.zeros(len(a_eq)),
                       bounds=bounds, method="highs")  # fmt: skip
        assert low.status == 0, (target, low.message)  # the true figures are a solution
        ranges[target] = (
            math.ceil(low.fun - 1e-6),
            math.inf if high.status == 3 else math.floor(-high.fun + 1e-6),
        )
    return ranges


def attack(publication: dict, truth: dict) -> dict[tuple, tuple]:
    """Every suppressed small count of a host state the role does not see exactly -> its LP range,
    for those whose range holds fewer than 5 values or stays below 5."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in publication["shared"]:
        groups[r["event_month"], r["host_state_code"]].append(r)
    exposed, attacked = {}, 0
    for (month, state), rows in groups.items():
        if state in publication["own_states"]:
            continue  # its own host state: the analyst sees the exact counts anyway
        targets = []
        for r in rows:
            true = truth[r["indicator_code"], month, state, r["citizenship_code"], r["purpose_of_visit"]]
            for measure, value in zip(("event_count", "person_count"), true, strict=True):
                if r["is_suppressed"] and value < THRESHOLD:
                    targets.append(
                        (r["indicator_code"], r["citizenship_code"], r["purpose_of_visit"], measure)
                    )
        for target, (low, high) in feasible_ranges(rows, targets).items():
            attacked += 1
            if high - low < THRESHOLD - 1 or high < THRESHOLD:
                exposed[(month, state, *target)] = (low, high)
    assert attacked > 50  # the data has small counts to protect
    return exposed


# -- the tests ------------------------------------------------------------------------------


def _the_attack_holds(publication: dict) -> None:
    """What the attack rests on: no small count shown, every row one month and one host state's
    (no yearly or CIS-wide totals would link them), exact counts of its own host state only."""
    rows = publication["shared"]
    assert rows and all(
        r["is_suppressed"] or (r["event_count"] >= THRESHOLD and r["person_count"] >= THRESHOLD) for r in rows
    )
    assert {r["row_type"] for r in rows} == {"cell", "total"}
    assert all(r["event_month"] and r["host_state_code"] for r in rows)
    assert publication["own_states"] == {"KZ"}  # row-level security


def test_the_issues_attack_on_belarus_february_2016_fails(published):
    """URS01 total 26 minus the visible CHN 12 and IND 7 leaves TUR + VNM = 7; URS04 showed
    VNM = 5 for the same persons and VNM was marked secondary (so at least 5): TUR = 2."""
    _, after, truth = published
    rows = [
        r for r in after["shared"] if (r["event_month"], r["host_state_code"]) == (date(2016, 2, 1), "BY")
    ]
    turkey = ("URS01", "TUR", "work", "event_count")
    assert truth["URS01", date(2016, 2, 1), "BY", "TUR", "work"] == (2, 2)
    low, high = feasible_ranges(rows, [turkey])[turkey]
    assert high - low >= THRESHOLD - 1 and high >= THRESHOLD, (low, high)
    viet_nam = {r["indicator_code"]: r for r in rows if r["citizenship_code"] == "VNM"}
    assert viet_nam["URS04"]["event_count"] is None  # the same persons' other cell is suppressed too


def test_no_suppressed_small_count_can_be_narrowed_from_everything_published(published):
    before, _, truth = published
    _the_attack_holds(before)
    exposed = attack(before, truth)
    assert not exposed, exposed


def test_a_new_month_leaves_the_earlier_months_as_published_and_protected(published):
    """The published history is no attack on old months: their rows stay exactly as they were,
    and the whole publication after the new month withstands the attack as well."""
    before, after, truth = published
    old = sorted(map(repr, (sorted(r.items()) for r in before["shared"])))
    kept = sorted(
        map(repr, (sorted(r.items()) for r in after["shared"] if r["event_month"] < date(2016, 4, 1)))
    )
    assert old == kept
    assert any(r["event_month"] == date(2016, 4, 1) for r in after["shared"])
    _the_attack_holds(after)
    exposed = attack(after, truth)
    assert not exposed, exposed
