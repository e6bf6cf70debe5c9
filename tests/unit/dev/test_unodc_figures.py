"""The synthetic THB reports agree with UNODC GLOTIP where UNODC publishes an uncensored total."""

from __future__ import annotations

import random

import pandas as pd
from glotip_samples import real_release
from programme_monitoring.dev.samples import _plan
from programme_monitoring.dev.unodc_figures import GLOTIP_TOTALS, PLANTED_DISCREPANCY
from programme_monitoring.reference import load_reference
from programme_monitoring.settings import SEEDS_DIR


def test_the_figures_are_the_releases_uncensored_totals_of_participating_states():
    reference = load_reference()
    iso2 = dict(zip(reference.states.iso3_code, reference.states.state_code, strict=True))
    correspondence = pd.read_csv(SEEDS_DIR / "unodc_indicator_correspondence.csv")
    values = real_release().values
    expected = {}
    for c in correspondence.itertuples():
        is_total = (values.dimension == "Total") & (values.category == "Total")
        is_total &= (values.sex == "Total") & (values.age == "Total")
        totals = values[
            is_total & (values.indicator == c.unodc_indicator) & ~values.value_text.str.startswith("<")
        ]
        for row in totals.itertuples():
            state = iso2.get(row.iso3_code)
            if state and reference.participates(state, "THB", int(row.year)):
                expected[(state, c.indicator_code, int(row.year))] = int(row.value_text.replace(",", ""))
    assert GLOTIP_TOTALS == expected
    assert len(expected) == 117


def test_sample_reports_carry_unodcs_totals_but_the_planted_discrepancy():
    plan = _plan(random.Random(2014), load_reference())
    totals = {
        (state, row["indicator_code"], year): row["value"]
        for (state, programme, year), rows in plan.items()
        if programme == "THB"
        for row in rows
        if row["disaggregation"] == "total"
    }
    agree = {key: totals.get(key) for key in GLOTIP_TOTALS if key not in PLANTED_DISCREPANCY}
    assert agree == {key: value for key, value in GLOTIP_TOTALS.items() if key not in PLANTED_DISCREPANCY}
    for key, value in PLANTED_DISCREPANCY.items():
        assert totals[key] == value != GLOTIP_TOTALS[key]
