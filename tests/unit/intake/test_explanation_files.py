"""Senders' explanation files read with suspicion (intake/explanations.py), before any database."""

from __future__ import annotations

import pytest
from programme_monitoring.intake import explanations
from programme_monitoring.intake.explanations import _read, _Refusal

FINDING = "5501629002329236"


def test_russian_headers_semicolons_and_a_correction_note(tmp_path):
    path = tmp_path / "explanations_kz.csv"
    path.write_text(
        f"Номер замечания;Пояснение;Исправление\n{FINDING.upper()};Опечатка;THB04 = 40\n\n", encoding="utf-8"
    )
    assert _read(path) == [(2, FINDING, "Опечатка\nИсправление / Correction: THB04 = 40")]


def test_windows_1251_cyrillic_is_read(tmp_path):
    path = tmp_path / "explanations_kz.csv"
    path.write_bytes(f"finding_id,explanation\n{FINDING},Ошибка при вводе данных\n".encode("cp1251"))
    assert _read(path) == [(2, FINDING, "Ошибка при вводе данных")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"x" * (explanations.MAX_BYTES + 1), "over 1024 KB"),
        (
            f"finding,comment\n{FINDING},text\n".encode(),
            'must name the columns "finding_id" and "explanation"',
        ),
        (f"finding_id,explanation\n{FINDING},te\x07xt\n".encode(), "control characters"),
        (f"finding_id,explanation\n{FINDING},Ð¾Ð¿Ðµ\n".encode(), "mojibake"),
        (
            ("finding_id,explanation\n" + f"{FINDING},x\n" * (explanations.MAX_LINES + 1)).encode(),
            "more than 2000",
        ),
    ],
)
def test_unsafe_files_are_refused_whole(tmp_path, content, reason):
    path = tmp_path / "explanations_x.csv"
    path.write_bytes(content)
    with pytest.raises(_Refusal) as refusal:
        _read(path)
    assert reason in refusal.value.en and refusal.value.ru


def test_only_files_named_explanations_are_taken_from_the_landing_area(tmp_path):
    assert explanations.is_explanation_file(tmp_path / "explanations_2015-03.csv")
    assert explanations.is_explanation_file(tmp_path / "Explanations.CSV")
    for name in ("KZ_THB_2014_v1.csv", "explanations.xlsx", "my_explanations.csv"):
        assert not explanations.is_explanation_file(tmp_path / name)
