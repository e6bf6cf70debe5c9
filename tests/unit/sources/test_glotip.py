"""Reading the real GLOTIP release, its censored values, and refusing changed layouts.

The layout changes are real workbooks: the twelve states' real rows written in GLOTIP's
layout (banner formula included), with one thing changed each.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from glotip_samples import ISO3, REAL_FILE, column, member_rows, real_release, write_release
from programme_monitoring.sources.glotip import ReleaseRefused, parse_count, read_release


def test_the_real_release_is_read_whole():
    release = real_release()
    assert release.release_date == dt.date(2023, 5, 30)
    assert release.rows == 46_556  # every row of every country, despite the formula in the banner
    values = release.values
    assert values.iso3_code.nunique() == 207  # 208 countries, one (Sark) without a code
    assert len(values[values.iso3_code.isin(ISO3)]) == 3_055
    assert release.duplicate_rows_elsewhere == 860  # conflicting keys of other countries, all kept
    assert (values.source_row.iloc[[0, -1]] == [4, 46_559]).all()


def test_values_are_kept_exactly_as_published():
    values = real_release().values
    assert (values.value_text == "<5").sum() == 23_076
    russia = values[
        (values.iso3_code == "RUS")
        & (values.indicator == "Offences of trafficking in persons")
        & (values.dimension == "Total")
        & (values.sex == "Total")
        & (values.age == "Total")
    ].set_index("year")
    assert russia.loc[2017, "value_text"] == "2,077"
    assert russia.loc[2018, "value_text"] == "48"
    assert parse_count("2,077") == 2077
    assert parse_count("<5") is None  # censored: no number, never 0, 5 or 2.5


@pytest.fixture(scope="module")
def rows() -> list[list]:
    """The first 300 real rows of the twelve states (enough for every change, quick to write)."""
    return member_rows()[:300]


def _refusal(path: Path) -> str:
    with pytest.raises(ReleaseRefused) as refused:
        read_release(path, ISO3)
    return "\n".join(r.en + "\n" + r.ru for r in refused.value.reasons)


def test_the_twelve_states_rows_in_glotip_layout_are_read(tmp_path):
    release = read_release(write_release(tmp_path / "ok.xlsx", member_rows()), ISO3)
    assert release.rows == 3_055
    assert release.release_date == dt.date(2023, 5, 30)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda h: [("Value" if c == "txtVALUE" else c) for c in h], "unknown: Value"),
        (lambda h: list(h[:-1]), "missing: Source"),
        (lambda h: [h[1], h[0], *h[2:]], "another order"),
    ],
    ids=["renamed", "missing", "reordered"],
)
def test_a_changed_header_is_refused(tmp_path, rows, change, expected):
    from programme_monitoring.sources.glotip import EXPECTED_COLUMNS

    header = change(list(EXPECTED_COLUMNS))
    body = [row[: len(header)] for row in rows]
    reason = _refusal(write_release(tmp_path / "header.xlsx", body, header=header))
    assert expected in reason
    assert "Формат выгрузки изменился" in reason


def test_a_new_unit_is_refused(tmp_path, rows):
    rows = [list(r) for r in rows]
    rows[10][column("Unit of measurement")] = "Rate per 100,000 population"
    reason = _refusal(write_release(tmp_path / "unit.xlsx", rows))
    assert "Rate per 100,000 population" in reason and "K14" in reason


def test_text_where_a_count_belongs_is_refused(tmp_path, rows):
    rows = [list(r) for r in rows]
    rows[0][column("txtVALUE")] = "n/a"
    rows[5][column("txtVALUE")] = "about 40"
    reason = _refusal(write_release(tmp_path / "text.xlsx", rows))
    assert "L4, L9" in reason and "'n/a'" in reason


def test_a_duplicate_key_of_a_member_state_is_refused(tmp_path, rows):
    rows = [list(r) for r in rows]
    twin = list(rows[100])
    twin[column("txtVALUE")] = "999"
    reason = _refusal(write_release(tmp_path / "dup.xlsx", [*rows, twin]))
    assert "repeat a key" in reason and "104" in reason


def test_a_duplicate_key_of_another_country_is_kept_and_counted(tmp_path, rows):
    other = [
        "ALB",
        "Albania",
        "Europe",
        "Southern Europe",
        "Persons convicted",
        "Total",
        "Total",
        "Total",
        "Total",
    ]
    extra = [[*other, 2019, "Counts", "12", "GLOTIP"], [*other, 2019, "Counts", "<5", "GLOTIP"]]
    release = read_release(write_release(tmp_path / "alb.xlsx", [*rows, *extra]), ISO3)
    assert release.rows == 302 and release.duplicate_rows_elsewhere == 2


def test_a_formula_in_a_data_cell_is_refused_the_banners_is_not(tmp_path, rows):
    rows = [list(r) for r in rows]
    rows[2][column("txtVALUE")] = "=2+3"
    reason = _refusal(write_release(tmp_path / "formula.xlsx", rows))
    assert "L6" in reason and "formula" in reason


def test_a_missing_release_date_is_refused(tmp_path, rows):
    reason = _refusal(write_release(tmp_path / "nodate.xlsx", rows, release="UNODC data"))
    assert "A2" in reason and "release date" in reason


def test_the_real_file_is_still_the_one_of_the_provenance_note():
    from glotip_samples import REAL_SHA256
    from programme_monitoring.report_format.file_safety import file_sha256

    assert file_sha256(REAL_FILE) == REAL_SHA256
