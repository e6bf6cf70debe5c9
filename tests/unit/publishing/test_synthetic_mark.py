"""How the warehouse knows that figures are synthetic: the sample generator's authority names."""

from __future__ import annotations

from programme_monitoring.dev.samples import authority
from programme_monitoring.publishing.council.queries import SYNTHETIC_MARK, SYNTHETIC_SQL


def test_every_sample_authority_carries_the_mark_the_report_looks_for():
    for state, programme in (("RU", "THB"), ("KZ", "CR"), ("AM", "IM")):
        assert authority(state, programme).endswith(SYNTHETIC_MARK)
    assert "authority like %(mark)s" in SYNTHETIC_SQL
