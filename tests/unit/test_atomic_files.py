"""atomic_files: an output is replaced in one rename, keeps readable permissions, and a
failed write leaves the previous file and no temporary file behind."""

from __future__ import annotations

import os

import pytest
from programme_monitoring.atomic_files import PUBLIC_MODE, replacing, write_atomically


def test_a_reader_of_the_old_file_keeps_reading_the_old_file(tmp_path):
    path = tmp_path / "headline_figures.csv"
    path.write_text("old")
    with open(path) as reader:
        write_atomically(path, "new, longer")
        assert reader.read() == "old"
    assert path.read_text(encoding="utf-8") == "new, longer"
    assert os.listdir(tmp_path) == ["headline_figures.csv"]


def test_a_failed_write_leaves_the_previous_file_and_no_temporary_one(tmp_path):
    path = tmp_path / "annex.xlsx"
    path.write_bytes(b"previous edition")
    with pytest.raises(RuntimeError), replacing(path) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("the renderer failed")
    assert path.read_bytes() == b"previous edition"
    assert os.listdir(tmp_path) == ["annex.xlsx"]


def test_a_new_file_is_readable_by_others_and_a_replaced_one_keeps_its_mode(tmp_path):
    new = tmp_path / "new.csv"
    write_atomically(new, "Ю")  # text is written as UTF-8
    assert new.stat().st_mode & 0o777 == PUBLIC_MODE and new.read_bytes() == "Ю".encode()
    kept = tmp_path / "kept.csv"
    kept.write_text("old")
    kept.chmod(0o640)
    write_atomically(kept, b"new")
    assert kept.stat().st_mode & 0o777 == 0o640
