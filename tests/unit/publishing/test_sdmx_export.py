"""The SDMX-CSV exports read back by an independent SDMX reader (sdmx1) to the same values."""

from __future__ import annotations

import datetime as dt

import pytest
import sdmx
from programme_monitoring.publishing import sdmx as export
from sdmx.model import common, v30


def _structure(dataflow: str) -> v30.DataStructureDefinition:
    """The documented data structure (docs/sdmx.md), built with sdmx1's own model."""
    spec = export.DATAFLOWS[dataflow]
    dsd = v30.DataStructureDefinition(id=dataflow, maintainer=common.Agency(id=export.AGENCY), version="1.0")
    for order, dimension in enumerate(spec["dimensions"]):
        dsd.dimensions.getdefault(dimension, order=order)
    dsd.measures.getdefault("OBS_VALUE")
    for attribute in spec["attributes"]:
        dsd.attributes.getdefault(attribute)
    return dsd


def _read(path, dataflow: str) -> dict[tuple, tuple]:
    message = sdmx.read_sdmx(path, structure=_structure(dataflow))
    (dataset,) = message.data
    return {
        tuple(kv.value for kv in obs.key.values.values()): (
            obs.value,
            {name: attribute.value for name, attribute in obs.attached_attribute.items()},
        )
        for obs in dataset.obs
    }


def _value(v: dict, **changes) -> dict:
    base = dict(
        state_code="KZ", programme_code="THB", indicator_code="THB02", disaggregation_dimension=None,
        disaggregation_member=None, reporting_year=2014, value=120,
    )  # fmt: skip
    return {**base, **changes}


def test_indicator_values_read_back_with_their_status(tmp_path):
    values = [
        _value({}),
        _value({}, disaggregation_dimension="sex", disaggregation_member="female", value=80),
        _value({}, state_code="RU", indicator_code="THB05", value=None),
        _value({}, reporting_year=2025, value=7),
    ]
    records = export.indicator_rows(values, {"THB02": "persons", "THB05": "persons"}, {("THB", 2025)})
    path = export.write_sdmx_csv(tmp_path / "indicators.csv", "DF_PROGRAMME_INDICATORS", records)
    read = _read(path, "DF_PROGRAMME_INDICATORS")
    assert read == {
        ("KZ", "THB", "THB02", "_T", "_T", "2014"): ("120", {"UNIT_MEASURE": "persons", "OBS_STATUS": "A"}),
        ("KZ", "THB", "THB02", "SEX", "female", "2014"): (
            "80",
            {"UNIT_MEASURE": "persons", "OBS_STATUS": "A"},
        ),
        ("RU", "THB", "THB05", "_T", "_T", "2014"): ("", {"UNIT_MEASURE": "persons", "OBS_STATUS": "M"}),
        ("KZ", "THB", "THB02", "_T", "_T", "2025"): ("7", {"UNIT_MEASURE": "persons", "OBS_STATUS": "P"}),
    }


def test_reconciliation_reads_back_censored_as_suppressed_never_a_number(tmp_path):
    rows = [
        dict(state_code="AM", reporting_year=2015, indicator_code="THB05", report_value=3, unodc_value=None,
             unodc_value_text="<5", unodc_is_censored=True, status="censored_consistent"),
        dict(state_code="UZ", reporting_year=2014, indicator_code="THB02", report_value=1280,
             unodc_value=1279, unodc_value_text="1,279", unodc_is_censored=False, status="differs"),
        dict(state_code="UZ", reporting_year=2014, indicator_code="THB05", report_value=None, unodc_value=641,
             unodc_value_text="641", unodc_is_censored=False, status="only_at_unodc"),
    ]  # fmt: skip
    path = export.write_sdmx_csv(
        tmp_path / "rec.csv", "DF_UNODC_RECONCILIATION", export.reconciliation_rows(rows, {})
    )
    read = {key: (value, attrs["OBS_STATUS"], attrs["RECONCILIATION_STATUS"], attrs["VALUE_AS_PUBLISHED"])
            for key, (value, attrs) in _read(path, "DF_UNODC_RECONCILIATION").items()}  # fmt: skip
    assert read == {
        ("AM", "THB05", "REPORT", "2015"): ("3", "A", "censored_consistent", ""),
        ("AM", "THB05", "UNODC", "2015"): ("", "Q", "censored_consistent", "<5"),
        ("UZ", "THB02", "REPORT", "2014"): ("1280", "A", "differs", ""),
        ("UZ", "THB02", "UNODC", "2014"): ("1279", "A", "differs", "1,279"),
        ("UZ", "THB05", "REPORT", "2014"): ("", "M", "only_at_unodc", ""),
        ("UZ", "THB05", "UNODC", "2014"): ("641", "A", "only_at_unodc", "641"),
    }


@pytest.mark.parametrize("dataflow", sorted(export.DATAFLOWS))
def test_the_header_is_sdmx_csv_2(dataflow):
    header = export.header(dataflow)
    assert header[:3] == ["STRUCTURE", "STRUCTURE_ID", "ACTION"] and "OBS_VALUE" in header


def test_a_year_is_provisional_until_its_deadline():
    years = export._provisional_years(dt.date(2016, 2, 1))
    assert ("THB", 2015) in years and ("THB", 2014) not in years
