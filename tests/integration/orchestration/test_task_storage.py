"""orchestration.storage: a task works on a task-local copy of the store and pushes its
outputs back; nothing stays in the temporary folder, and bad settings name the variable."""

from __future__ import annotations

import os

import pytest
from programme_monitoring.orchestration import storage


@pytest.fixture
def store(tmp_path, monkeypatch):
    root = tmp_path / "store"
    root.mkdir()
    monkeypatch.setenv("STORAGE_URL", root.as_uri() + "/")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "worker-var"))
    for name in ("LANDING_URL", "LANDING_DIR", "REPORTS_DIR", "URS_LANDING_DIR", "STORAGE_CONN_ID"):
        monkeypatch.delenv(name, raising=False)
    return root


def test_a_staged_task_reads_the_store_and_writes_back_to_it(store, tmp_path):
    (store / "urs_landing" / "ministry").mkdir(parents=True)
    (store / "urs_landing" / "ministry" / "a.csv").write_text("a")
    (store / "urs_landing" / "b.csv").write_text("b")
    (store / "reports").mkdir()
    (store / "reports" / "old.txt").write_text("previous edition")

    with storage.staged(pull_areas=("urs_landing", "reports"), consume="urs_landing") as local:
        assert os.environ["VAR_DIR"] == str(local) and not local.is_relative_to(tmp_path / "worker-var")
        assert os.environ["LANDING_URL"] == (store / "landing").as_uri() + "/"
        assert (local / "reports" / "old.txt").read_text() == "previous edition"
        (local / "urs_landing" / "ministry" / "a.csv").unlink()  # decided: leaves the landing area
        (local / "archive").mkdir()
        (local / "archive" / "a.csv").write_text("a")
        (local / "reports" / "new.csv").write_text("figures")

    assert os.environ["VAR_DIR"] == str(tmp_path / "worker-var") and "LANDING_URL" not in os.environ
    assert not local.exists(), "the task-local copy stayed on the worker's disk"
    assert not (store / "urs_landing" / "ministry" / "a.csv").exists()
    assert (store / "urs_landing" / "b.csv").read_text() == "b"  # undecided: stays for the next run
    assert (store / "archive" / "a.csv").read_text() == "a"
    assert (store / "reports" / "new.csv").read_text() == "figures"


def test_outputs_are_pushed_even_when_the_task_fails_half_way(store):
    with pytest.raises(RuntimeError), storage.staged() as local:
        (local / "quarantine").mkdir()
        (local / "quarantine" / "bad.xlsx.reason.txt").write_text("why")
        raise RuntimeError("the warehouse went away")
    assert (store / "quarantine" / "bad.xlsx.reason.txt").read_text() == "why"


def test_without_a_store_the_run_time_folder_is_used_as_it_is(monkeypatch, tmp_path):
    monkeypatch.delenv("STORAGE_URL", raising=False)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    with storage.staged(pull_areas=("reports",)) as local:
        assert local == tmp_path
    assert str(storage.storage_root()).rstrip("/").endswith(str(tmp_path))


@pytest.mark.parametrize(
    "url", ["s3://key:secret@bucket/pm/", "bucket/pm", "file://relative/path", "file:relative"]
)
def test_a_bad_storage_url_is_refused_naming_the_variable(monkeypatch, url):
    monkeypatch.setenv("STORAGE_URL", url)
    with pytest.raises(storage.StorageConfigError, match="STORAGE_URL"):
        storage.storage_url()


def test_answers_to_senders_written_in_a_staged_task_reach_the_store_s_outbox(store):
    from programme_monitoring.intake.receipts import outbox_for, write_atomically

    (store / "outbox" / "kz").mkdir(parents=True)
    (store / "outbox" / "kz" / "old.txt").write_text("an earlier receipt")
    with storage.staged(pull_areas=("outbox",)) as local:
        folder = outbox_for("kz")
        assert folder == local / "outbox" / "kz" and (folder / "old.txt").exists()
        write_atomically(folder / "new.txt", "a receipt")
    assert (store / "outbox" / "kz" / "new.txt").read_text() == "a receipt"
    assert (store / "outbox" / "kz" / "old.txt").read_text() == "an earlier receipt"
    assert sorted(p.name for p in (store / "outbox").iterdir()) == ["kz"]
