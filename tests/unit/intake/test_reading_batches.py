"""reading.batches: how many files a run reads before it decides them."""

from __future__ import annotations

from pathlib import Path

from programme_monitoring.intake import reading


def test_files_are_read_in_batches_of_at_most_the_budget_in_file_order(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(reading, "BATCH_BYTES", 10)
    sizes = {"a": 4, "b": 6, "c": 4, "big": 20, "d": 1, "e": 9}
    files = []
    for name, size in sizes.items():
        (tmp_path / name).write_bytes(b"x" * size)
        files.append(tmp_path / name)
    files.insert(2, tmp_path / "gone")  # no file: it weighs nothing (the screening refuses it)
    batches = [[path.name for path in batch] for batch in reading.batches(files)]
    assert batches == [["a", "b", "gone"], ["c"], ["big"], ["d", "e"]]
    assert [path for batch in reading.batches(files) for path in batch] == files


def test_a_run_of_small_files_is_one_batch(tmp_path: Path) -> None:
    files = [tmp_path / f"r{n}.csv" for n in range(50)]
    for path in files:
        path.write_bytes(b"x" * 1000)
    assert list(reading.batches(files)) == [files]
    assert list(reading.batches([])) == []
