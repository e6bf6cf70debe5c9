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
    from programme_monitoring.atomic_files import write_atomically
    from programme_monitoring.intake.receipts import outbox_for

    (store / "outbox" / "kz").mkdir(parents=True)
    (store / "outbox" / "kz" / "old.txt").write_text("an earlier receipt")
    with storage.staged(pull_areas=("outbox",)) as local:
        folder = outbox_for("kz")
        assert folder == local / "outbox" / "kz" and (folder / "old.txt").exists()
        write_atomically(folder / "new.txt", "a receipt")
    assert (store / "outbox" / "kz" / "new.txt").read_text() == "a receipt"
    assert (store / "outbox" / "kz" / "old.txt").read_text() == "an earlier receipt"
    assert sorted(p.name for p in (store / "outbox").iterdir()) == ["kz"]


def test_a_pulled_file_the_task_left_alone_does_not_overwrite_a_newer_one_in_the_store(store):
    # The Council report task pulls reports/ (for the previous edition) while the publishing
    # task of the same marts rewrites headline_figures.csv there: pushing the pulled copy
    # back would undo that write (or, caught half-way, leave the store an empty file).
    (store / "reports").mkdir()
    (store / "reports" / "headline_figures.csv").write_text("old figures")
    with storage.staged(pull_areas=("reports",)) as local:
        (store / "reports" / "headline_figures.csv").write_text("new figures")  # the other task
        (local / "reports" / "council_report_2015").mkdir()
        (local / "reports" / "council_report_2015" / "edition.json").write_text("{}")
    assert (store / "reports" / "headline_figures.csv").read_text() == "new figures"
    assert (store / "reports" / "council_report_2015" / "edition.json").read_text() == "{}"


def test_a_pulled_file_the_task_rewrote_is_pushed(store):
    (store / "outbox" / "kz").mkdir(parents=True)
    (store / "outbox" / "kz" / "reminder.txt").write_text("first")
    with storage.staged(pull_areas=("outbox",)) as local:
        (local / "outbox" / "kz" / "reminder.txt").write_text("second, longer")
    assert (store / "outbox" / "kz" / "reminder.txt").read_text() == "second, longer"


def test_a_push_replaces_a_file_in_the_store_in_one_step(store, tmp_path):
    (store / "reports").mkdir()
    (store / "reports" / "headline_figures.csv").write_text("old figures")
    local = tmp_path / "reports"
    local.mkdir()
    (local / "headline_figures.csv").write_text("new figures")
    with open(store / "reports" / "headline_figures.csv") as reader:  # a reader that opened it before
        assert storage.push(local, "reports") == ["headline_figures.csv"]
        assert reader.read() == "old figures", "the push wrote into the file a reader had open"
    assert (store / "reports" / "headline_figures.csv").read_text() == "new figures"
    assert sorted(p.name for p in (store / "reports").iterdir()) == ["headline_figures.csv"]


def test_an_edition_s_manifest_reaches_the_store_after_the_files_it_describes(store, tmp_path):
    # A reader of the store that finds the new edition.json finds the new PDFs beside it.
    local = tmp_path / "reports"
    edition = local / "council_report_2014"
    (edition / "editions").mkdir(parents=True)
    for name in ("annex.xlsx", "edition.json", "en.pdf", "ru.pdf", "editions/edition_old.json"):
        (edition / name).write_text(name)
    pushed = storage.push(local, "reports")
    assert pushed[-1] == "council_report_2014/edition.json"
    others = ("annex.xlsx", "editions/edition_old.json", "en.pdf", "ru.pdf")
    assert sorted(pushed[:-1]) == [f"council_report_2014/{name}" for name in others]


def test_an_upload_still_under_way_is_not_pulled(store, tmp_path):
    (store / "reports").mkdir()
    (store / "reports" / "a.csv").write_text("a")
    (store / "reports" / f".b.csv.{'0123abcd' * 4}.uploading").write_text("half of b")
    assert storage.pull("reports", tmp_path / "copy").keys() == {"a.csv"}


def test_a_sender_s_file_that_only_looks_like_an_upload_is_pulled(store, tmp_path):
    # Only push()'s own temporary names are skipped: anything else reaches the intake,
    # which accepts or refuses it with a reason, instead of lying unseen in the store.
    (store / "urs_landing").mkdir()
    for name in ("extract.csv.uploading", ".extract.csv.uploading", ".x.csv.0123.uploading"):
        (store / "urs_landing" / name).write_text("a sender's file")
    assert storage.pull("urs_landing", tmp_path / "copy").keys() == {
        "extract.csv.uploading",
        ".extract.csv.uploading",
        ".x.csv.0123.uploading",
    }
