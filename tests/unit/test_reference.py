"""Reference seeds: the facts of ../shared/domain.md, and the links between the tables."""

from __future__ import annotations

from programme_monitoring.reference import load_reference


def test_twelve_reporting_states_with_validity():
    states = load_reference().states.set_index("state_code")
    assert len(states) == 12
    assert states.loc["GE", "member_to"] == "2009-08-18"
    assert states.loc["TM", "status"] == "associate member"
    assert states.loc["UA", "member_to"] == "2018-05-19"
    assert states.loc["RU", "name_ru"] == "Российская Федерация"


def test_programmes_and_periods():
    ref = load_reference()
    assert ref.programme_codes == {"THB", "IM", "CR"}
    assert ref.programme_period("IM") == (2015, 2019)
    assert ref.programme_period("THB") == (2014, 2018)


def test_participation_follows_the_signature_blocks():
    ref = load_reference()
    assert not ref.participates("MD", "THB", 2014)  # Moldova did not sign THB 2014-2018
    assert not ref.participates("TM", "THB", 2014) and not ref.participates("TM", "CR", 2016)
    assert ref.participates("MD", "CR", 2014)
    assert not ref.participates("UZ", "IM", 2016)  # accession still discussed in 2019
    assert not ref.participates("GE", "CR", 2014)  # left in 2009
    assert ref.participates("KZ", "IM", 2019) and not ref.participates("KZ", "IM", 2014)


def test_every_link_between_reference_tables_resolves():
    ref = load_reference()
    assert set(ref.participation.state_code) <= ref.state_codes
    assert set(ref.participation.programme_code) <= ref.programme_codes
    assert set(ref.indicator_programmes.indicator_code) <= set(ref.indicators.indicator_code)
    assert set(ref.indicator_programmes.programme_code) <= ref.programme_codes
    assert set(ref.measures.programme_code) <= ref.programme_codes
    assert ref.indicators.indicator_code.is_unique
    assert not ref.measures.duplicated(["programme_code", "measure_code"]).any()


def test_indicators_of_the_2014_statement_are_reportable_in_2014():
    ref = load_reference()
    reportable_2014 = ref.reportable_indicators("THB", 2014) | ref.reportable_indicators("CR", 2014)
    assert {"THB01", "THB04", "IM01", "IM02", "IM05", "CR01", "CR02", "CR03"} <= reportable_2014
    # From 2015 illegal-migration figures belong to the IM programme, never to two at once.
    assert "IM01" not in ref.reportable_indicators("CR", 2015)
    assert "IM01" in ref.reportable_indicators("IM", 2015)


def test_ratio_indicators_name_their_parts_and_the_registry_is_marked_illustrative():
    ref = load_reference()
    ratios = ref.indicators[ref.indicators.aggregation == "ratio"]
    codes = set(ref.indicators.indicator_code)
    assert not ratios.empty
    assert set(ratios.numerator_code) <= codes and set(ratios.denominator_code) <= codes
    assert set(ref.measures.is_illustrative) == {"true"}
