"""One storage root for every file a task reads or writes, so that any worker can run any task.

``STORAGE_URL`` names it (``s3://bucket/prefix/``, ``gs://...``, ``file:///srv/pm/``, any
scheme Airflow's ``ObjectStoragePath`` opens; credentials in the Airflow connection
``STORAGE_CONN_ID``, never in the URL). Beneath it, one folder per area:

============== ==================================================================
``landing/``   member-state reports waiting (one sub-folder per sender)
``urs_landing/`` URS extracts waiting
``archive/``   accepted reports and their import summaries
``quarantine/`` refused reports with their reasons
``reports/``   headline figures, the Council report editions
``outbox/``    answers to senders, one sub-folder per sender (receipts, query letters, reminders)
``data_docs/`` Great Expectations Data Docs
============== ==================================================================

Unset, the store is the local run-time folder (``VAR_DIR``, default ``var/``): nothing is
staged and the demo and tests work on it directly. Set, a task body runs inside
:func:`staged`: its inputs are copied from the store into a task-local temporary folder,
the intake and publishing code work on local paths as always (``VAR_DIR`` points there
for the task's duration), and the outputs are pushed back to the store before the folder
is deleted: nothing stays on the worker's disk. The report landing area is read from the
store by the intake's own remote-landing code (``LANDING_URL`` = ``<store>/landing/``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from programme_monitoring.settings import DATA_DOCS_SITE, paths

AREAS = ("landing", "urs_landing", "archive", "quarantine", "reports", "outbox", "data_docs")
# Run-time settings a staged task points at its temporary folder (restored afterwards).
_LOCAL_SETTINGS = (
    "VAR_DIR",
    "LANDING_DIR",
    "REPORTS_DIR",
    "URS_LANDING_DIR",
    "LANDING_URL",
    "LANDING_CONN_ID",
)
# Files that describe the others of their folder: pushed last (push()).
MANIFESTS = frozenset({"edition.json"})
_UPLOADING = ".uploading"  # the suffix of a file push() has not finished uploading
# push()'s own temporary names: a file a sender named "*.uploading" is still pulled (and refused).
_UPLOAD_NAME = re.compile(r"(?:^|/)\.[^/]+\.[0-9a-f]{32}" + re.escape(_UPLOADING) + "$")


class StorageConfigError(ValueError):
    """``STORAGE_URL`` cannot be used; the message names the variable."""


def storage_url() -> str | None:
    """The configured store, checked: None where the local run-time folder is the store."""
    url = (os.environ.get("STORAGE_URL") or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or len(parts.scheme) < 2:  # "c:" is a drive, not a scheme
        raise StorageConfigError(
            f"STORAGE_URL={url!r} has no scheme: use e.g. s3://bucket/prefix/ or file:///srv/pm/"
        )
    if parts.password is not None or parts.username is not None:
        raise StorageConfigError(
            "STORAGE_URL must not carry credentials: put them in the Airflow connection STORAGE_CONN_ID names"
        )
    if parts.scheme == "file" and (
        parts.netloc not in ("", "localhost") or not Path(parts.path).is_absolute()
    ):
        raise StorageConfigError(
            f"STORAGE_URL={url!r}: a file:// store needs an absolute path (file:///srv/pm/)"
        )
    return url.rstrip("/") + "/"


def storage_root():
    """The store as an ``ObjectStoragePath`` (the local run-time folder where none is configured)."""
    from airflow.sdk import ObjectStoragePath

    url = storage_url() or paths().var.as_uri() + "/"
    return ObjectStoragePath(url, conn_id=os.environ.get("STORAGE_CONN_ID") or None)


def area(name: str):
    if name not in AREAS:
        raise ValueError(f"unknown storage area {name!r}: one of {AREAS}")
    return storage_root() / name


def _files(folder) -> list[str]:
    """Paths of the files under ``folder`` (an ObjectStoragePath), relative to it; not the
    uploads of a concurrent :func:`push` that are still under their temporary names."""
    if not folder.exists():
        return []
    base = folder.path.rstrip("/")
    return sorted(
        found[len(base) + 1 :]
        for found in folder.fs.find(base)
        if found.startswith(base + "/") and not _UPLOAD_NAME.search(found)
    )


def _stamp(path: Path) -> tuple[int, int]:
    found = path.stat()
    return found.st_size, found.st_mtime_ns


def pull(name: str, local: Path) -> dict[str, tuple[int, int]]:
    """Copy the area ``name`` of the store into the folder ``local``; for each relative path
    copied, the size and time of its local copy (to tell later which ones the task changed)."""
    source = area(name)
    copied = {}
    for relative in _files(source):
        target = local / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with (source / relative).open("rb") as remote, open(target, "wb") as out:
            shutil.copyfileobj(remote, out)
        copied[relative] = _stamp(target)
    return copied


def push(local: Path, name: str, unchanged: dict[str, tuple[int, int]] | None = None) -> list[str]:
    """Copy the files under the folder ``local`` into the area ``name`` of the store, except
    those still as :func:`pull` left them (``unchanged``): pushing those back could overwrite
    what another task wrote to the store meanwhile.

    Each file is uploaded under a temporary name and then renamed, so that a reader of the
    store (another task pulling the area) never copies a half-written file. A manifest
    (``MANIFESTS``: a Council edition's ``edition.json``) goes after every other file, so
    that a reader who finds the new one finds the files it describes.
    """
    unchanged = unchanged or {}
    target = area(name)
    pushed = []
    if not local.exists():
        return pushed
    for path in sorted((p for p in local.rglob("*") if p.is_file()), key=lambda p: (p.name in MANIFESTS, p)):
        relative = path.relative_to(local).as_posix()
        if unchanged.get(relative) == _stamp(path):
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        uploading = destination.parent / f".{destination.name}.{uuid.uuid4().hex}{_UPLOADING}"
        try:
            with open(path, "rb") as source, uploading.open("wb") as out:
                shutil.copyfileobj(source, out)
            uploading.fs.mv(uploading.path, destination.path)
        finally:
            if uploading.exists():
                uploading.unlink()
        pushed.append(relative)
    return pushed


@contextmanager
def staged(pull_areas: tuple[str, ...] = (), consume: str | None = None) -> Iterator[Path]:
    """Run a task body on a task-local copy of the store; yields the local run-time folder.

    ``pull_areas`` are copied in first; ``consume``: an area whose pulled files the body
    removes once it has decided them (a landing area): those are then removed from the
    store too. Afterwards the files the body wrote in the archive, the quarantine, the
    reports and the outbox are pushed to the store (not the pulled ones it left alone), even
    when the body failed half-way (what it committed stays committed), and the local folder
    is deleted.
    """
    if storage_url() is None:
        yield paths().var
        return
    saved = {name: os.environ.get(name) for name in _LOCAL_SETTINGS}
    with tempfile.TemporaryDirectory(prefix="programme-monitoring-task-") as folder:
        local = Path(folder) / "var"
        local.mkdir()
        pulled = {name: pull(name, local / name) for name in pull_areas}
        for name in _LOCAL_SETTINGS:
            os.environ.pop(name, None)
        os.environ["VAR_DIR"] = str(local)
        os.environ["URS_LANDING_DIR"] = str(local / "urs_landing")
        # The intake reads the store's landing area itself, object by object, and removes
        # each one it has decided (programme_monitoring.intake.remote_landing).
        os.environ["LANDING_URL"] = str(area("landing")).rstrip("/") + "/"
        if os.environ.get("STORAGE_CONN_ID"):
            os.environ["LANDING_CONN_ID"] = os.environ["STORAGE_CONN_ID"]
        try:
            yield local
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            for name in ("archive", "quarantine", "reports", "outbox"):
                push(local / name, name, unchanged=pulled.get(name))
            if consume:
                for relative in pulled.get(consume, []):
                    if not (local / consume / relative).exists():
                        (area(consume) / relative).unlink()


def push_data_docs() -> None:
    """The Data Docs site Great Expectations just built, to the store (when one is configured)."""
    if storage_url() is not None:
        push(DATA_DOCS_SITE, "data_docs")
