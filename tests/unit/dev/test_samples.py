"""Synthetic sample reports: reproducible, calibrated to the published 2014 figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from programme_monitoring.dev.samples import (
    SampleManifest,
    generate_samples,
    headline_targets_2014,
    split_total,
    write_manifest,
)
from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.reader import parse_report
from programme_monitoring.report_format.records import ParsedReport, ReportFormatError

CALIBRATED = {"THB01", "IM01", "THB04", "IM05", "CR01", "IM02", "CR02", "CR03"}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> SampleManifest:
    return generate_samples(tmp_path_factory.mktemp("landing"))


@pytest.fixture(scope="module")
def reports(samples: SampleManifest) -> list[ParsedReport]:
    return [parse_report(path) for path in samples.good]


@pytest.fixture(scope="module")
def values(reports: list[ParsedReport]) -> pd.DataFrame:
    """All good indicator values with the header's state, programme and year."""
    return pd.concat(
        report.indicator_values.assign(
            state=report.header.state_code,
            programme=report.header.programme_code,
            year=report.header.reporting_year,
        )
        for report in reports
    ).reset_index(drop=True)


def slot(path: Path) -> tuple[str, str, int]:
    state, programme, year, _ = path.name.split("_")
    return state, programme, int(year)


def test_same_seed_gives_identical_bytes(samples: SampleManifest, tmp_path: Path) -> None:
    again = generate_samples(tmp_path)
    assert [p.name for p in again.good] == [p.name for p in samples.good]
    assert {p.name: why for p, why in again.bad.items()} == {p.name: why for p, why in samples.bad.items()}
    for path in [*samples.good, *samples.bad]:
        assert (tmp_path / path.parent.name / path.name).read_bytes() == path.read_bytes(), path.name


def test_calibrated_2014_sums_are_exact(values: pd.DataFrame) -> None:
    year = values[values.year == 2014]
    totals = year[year.disaggregation == "total"].groupby("indicator_code").value.sum()
    for key, target in headline_targets_2014.items():
        if key in ("CR02", "CR03"):
            operations = year[(year.indicator_code == key) & year.disaggregation.str.startswith("operation=")]
            assert operations.disaggregation.nunique() == target, key
            assert operations.groupby("disaggregation").state.nunique().min() >= 2, (
                "joint = two states or more"
            )
            assert totals[key] > target, "state totals double-count joint operations"
        else:
            assert sum(totals[code] for code in key.split("+")) == target, key
    assert 200 <= totals["TRN02"] <= 400


def test_one_good_report_per_participating_state_programme_year(
    samples: SampleManifest, reports: list[ParsedReport]
) -> None:
    reference = load_reference()
    expected = set()
    for programme in reference.programme_codes:
        start, end = reference.programme_period(programme)
        for year in range(max(start, 2014), min(end, 2019) + 1):
            expected |= {(state, programme, year) for state in reference.participants(programme, year)}
    got = [(r.header.state_code, r.header.programme_code, r.header.reporting_year) for r in reports]
    assert sorted(got) == sorted(expected)
    assert [slot(path) for path in samples.good] == got
    assert all(re.fullmatch(r"[A-Z]{2}_(THB|IM|CR)_20\d\d_v1\.(xlsx|csv|json)", p.name) for p in samples.good)
    assert {p.suffix for p in samples.good} == {".xlsx", ".csv", ".json"}


def test_every_file_says_it_is_synthetic(reports: list[ParsedReport]) -> None:
    for report in reports:
        assert report.header.authority.endswith("(SYNTHETIC)")
        assert report.indicator_values.comment.str.contains("SYNTHETIC").any()


def test_indicators_follow_the_reference(reports: list[ParsedReport], values: pd.DataFrame) -> None:
    reference = load_reference()
    for report in reports:
        head = report.header
        assert set(report.indicator_values.indicator_code) == reference.reportable_indicators(
            head.programme_code, head.reporting_year
        )
        assert set(report.measures.measure_code) == reference.measures_due(
            head.programme_code, head.reporting_year
        )
    assert (values[values.indicator_code == "IM01"].programme == "CR").sum() == 10  # 2014 only
    assert set(values[(values.year >= 2015) & (values.indicator_code == "IM01")].programme) == {"IM"}


def test_not_reported_only_in_uncalibrated_indicators(
    values: pd.DataFrame, reports: list[ParsedReport]
) -> None:
    missing = values[~values.is_reported]
    assert len(missing) > 0 and missing.value.isna().all()
    assert not set(missing.indicator_code) & CALIBRATED
    assert (values.value.dropna() >= 0).all()
    statuses = pd.concat(r.measures for r in reports).status.value_counts()
    assert statuses.idxmax() == "implemented"


def test_victims_by_sex_add_up_to_the_total(values: pd.DataFrame) -> None:
    victims = values[values.indicator_code == "THB02"]
    for _, rows in victims.groupby(["state", "year"]):
        parts = rows.set_index("disaggregation").value
        assert parts["sex=female"] + parts["sex=male"] == parts["total"]
        assert {"form_of_exploitation=sexual", "form_of_exploitation=labour"} <= set(parts.index)


def test_planted_bad_reports(samples: SampleManifest) -> None:
    reference = load_reference()
    good_slots = {slot(path) for path in samples.good}
    assert len(samples.bad) >= 4
    assert not set(samples.bad) & set(samples.good)
    reasons = {why.split(":")[0] for why in samples.bad.values()}
    assert reasons == {
        "structure", "unknown_indicator", "not_participating", "negative_value", "sender_not_allowed"
    }  # fmt: skip
    for path, why in samples.bad.items():
        assert path.exists() and slot(path) not in good_slots, path.name
        if why.startswith("structure"):
            with pytest.raises(ReportFormatError):
                parse_report(path)
            continue
        report = parse_report(path)  # content defects are for the content checks to name
        assert report.header.authority.endswith("(SYNTHETIC)")
        codes = set(report.indicator_values.indicator_code)
        if why.startswith("unknown_indicator"):
            assert "THB99" in codes and "THB99" not in set(reference.indicators.indicator_code)
        elif why.startswith("not_participating"):
            head = report.header
            assert not reference.participates(head.state_code, head.programme_code, head.reporting_year)
            assert codes <= reference.reportable_indicators(head.programme_code, head.reporting_year)
            assert (report.indicator_values.value >= 0).all()
        elif why.startswith("negative_value"):
            assert (report.indicator_values.value < 0).any()


def test_write_manifest(samples: SampleManifest, tmp_path: Path) -> None:
    doc = json.loads(write_manifest(samples, tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert len(doc["good"]) == len(samples.good) and set(doc["bad"]) == {str(p) for p in samples.bad}


def test_split_total_is_exact() -> None:
    shares = split_total(98, {"RU": 40, "KZ": 14, "AM": 3, "MD": 3})
    assert sum(shares.values()) == 98 and shares["RU"] > shares["KZ"] > shares["AM"]
    assert split_total(0, {"RU": 1, "KZ": 1}) == {"RU": 0, "KZ": 0}


def test_every_sample_lies_in_a_sender_folder_of_the_registry(samples: SampleManifest) -> None:
    """Good reports in their own state's folder (landing/kz/...), which may report them; the
    planted sender defect in a folder that may not."""
    from programme_monitoring.reference import senders

    registry = senders()
    for path in samples.good:
        state = path.name.split("_")[0]
        assert path.parent.name == state.lower() and registry[path.parent.name].may_report(state, "THB")
    (misplaced,) = [p for p, why in samples.bad.items() if why.startswith("sender_not_allowed")]
    assert not registry[misplaced.parent.name].may_report(misplaced.name.split("_")[0], "THB")


def test_the_reports_of_some_years_are_those_of_the_whole_set(samples, tmp_path):
    some = generate_samples(tmp_path, years=(2014, 2015))
    years = {int(path.stem.split("_")[2]) for path in some.good}
    assert years == {2014, 2015}
    whole = {p.name: p for p in samples.good}
    assert len(some.good) == sum(int(name.split("_")[2]) in years for name in whole)
    for path in some.good:  # the same figures as in the whole set
        assert parse_report(path).indicator_values.equals(parse_report(whole[path.name]).indicator_values)
    assert len(some.bad) == len(samples.bad)
