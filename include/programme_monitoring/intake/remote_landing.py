"""A remote landing area: object storage or SFTP, read through Airflow's ``ObjectStoragePath``.

The landing area is a local folder (``LANDING_DIR``, see ``intake.ingest_landing``)
unless ``LANDING_URL`` names a remote one: ``s3://bucket/landing/``,
``sftp://host/landing``, ``gs://bucket/landing``, ``file:///srv/landing``,
``memory://landing`` (tests), anything ``ObjectStoragePath`` or fsspec can open. The
optional ``LANDING_CONN_ID`` names the Airflow connection holding the credentials; the URL
itself never does (a password in it is refused), and neither credentials nor the
connection's details are logged.

A run mirrors the local intake:

1. list the waiting objects: the top level and one level of sender sub-folders (sender =
   sub-folder name); names starting with ``.`` are skipped as in the local folder;
2. refuse, and leave where it is for an operator, every object whose name is unsafe
   (``..``, an absolute path, NUL or other control characters, a backslash, bidi
   overrides, a name too long for a local file), every link and non-regular entry the
   store exposes, and every object whose listed size is over the limit of
   ``file_safety.MAX_FILE_BYTES``: nothing of those is downloaded;
3. stream each other object into a private spool folder under ``paths().landing_spool``
   (keeping the sender sub-folder, so ``intake.sender_of`` works) with the same size cap
   while streaming;
4. run the normal intake on the spooled files (``intake.ingest_files(..., landing=spool)``),
   which stores every decided file under its content hash, never under its name;
5. delete from the store exactly the objects that were decided (loaded, refused, or the
   same bytes as a decided file): the intake consumed the spool copy AND the ledger records
   the content hash as decided. An object whose load failed (warehouse error) stays for the
   next run. Before deleting, each folder is listed again: an object whose size, ETag,
   modification time or inode differs from the first listing was replaced meanwhile and is
   left (logged) for the next run.

Re-running after a crash is safe: the spool of a dead run is swept, and an object whose
content hash the ledger already holds is a no-op the next run deletes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from programme_monitoring.intake import ledger
from programme_monitoring.intake.checks import BIDI_CONTROLS, Reason, unsafe_name_reason
from programme_monitoring.intake.ingest import DONE_STATUSES, FileOutcome, ingest_files, ingest_landing
from programme_monitoring.report_format.file_safety import MB, size_limit, size_refusal
from programme_monitoring.settings import landing_conn_id_from_env, landing_url_from_env, paths

log = logging.getLogger(__name__)

# Listing fields that change when an object is replaced (whichever the store gives).
FINGERPRINT_KEYS = (
    "size",
    "ETag",
    "etag",
    "VersionId",
    "generation",
    "md5Hash",
    "mtime",
    "LastModified",
    "last_modified",
    "updated",
    "created",
    "ino",
)
LOCK_NAME = ".lock"


class RemoteLandingError(RuntimeError):
    """The landing area could not be read (or some objects could not be downloaded)."""


class RefusedUnread(Exception):
    """An object refused without being loaded (it grew over the size limit while downloaded)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason[0])
        self.reason = reason


@dataclass(frozen=True)
class RemoteObject:
    """One waiting object as the listing showed it."""

    path: object  # ObjectStoragePath
    folder: str  # the store path of the folder it was listed in
    name: str
    sender: str | None  # the sender sub-folder, or None at the top level
    size: int | None
    fingerprint: tuple

    @property
    def shown(self) -> str:
        return f"{self.sender}/{self.name}" if self.sender else self.name


# -- configuration -------------------------------------------------------------


def configured() -> bool:
    return landing_url_from_env() is not None


def shown_url(url: str) -> str:
    """The URL without anything before an ``@`` (a connection id or user), for logs."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=_host(parts), query="", fragment=""))


def _host(parts) -> str:
    return (parts.hostname or "") + (f":{parts.port}" if parts.port else "")


def open_landing(url: str, conn_id: str | None = None):
    """The landing area as an ``ObjectStoragePath`` whose filesystem is ready to use.

    ``conn_id`` (or ``scheme://conn_id@host/path``, Airflow's own syntax) names the
    Airflow connection with the credentials. A scheme no Airflow provider registers
    (``memory``, or ``s3`` without the Amazon provider) uses fsspec's own filesystem,
    without a connection.
    """
    parts = urlsplit(url)
    if not parts.scheme:
        raise ValueError(
            "LANDING_URL needs a scheme (s3://, sftp://, gs://, file://, ...); "
            "for a local folder set LANDING_DIR instead"
        )
    if parts.password is not None:
        raise ValueError(
            f"LANDING_URL ({shown_url(url)}) holds a password: put credentials in an Airflow "
            "connection and name it in LANDING_CONN_ID"
        )
    conn_id = conn_id or parts.username or None
    if "airflow.configuration" not in sys.modules:
        # Outside Airflow (the ingest command): this project's Airflow settings, so that
        # LANDING_CONN_ID is looked up where the project's connections live.
        from programme_monitoring.warehouse.airflow_metadata import configure_airflow

        configure_airflow()
    from airflow.sdk import ObjectStoragePath
    from airflow.sdk.io import attach, has_fs

    bare = urlunsplit(parts._replace(netloc=_host(parts)))
    protocol = parts.scheme
    if not has_fs(protocol):
        if conn_id:
            raise ValueError(
                f"no Airflow filesystem for {protocol}:// is installed, so the connection "
                f"{conn_id!r} cannot be used: install the provider for it (see README, remote landing area)"
            )
        import fsspec

        attach(protocol, fs=fsspec.filesystem(protocol))
    return ObjectStoragePath(bare, conn_id=conn_id)


# -- entry point ---------------------------------------------------------------


def ingest_landing_area(today=None, dry_run: bool = False) -> list[FileOutcome]:
    """The configured landing area: remote if ``LANDING_URL`` is set, else the local folder."""
    url = landing_url_from_env()
    if url is None:
        return ingest_landing(today=today, dry_run=dry_run)
    return ingest_remote(url, landing_conn_id_from_env(), today=today, dry_run=dry_run)


def ingest_remote(
    url: str, conn_id: str | None = None, today=None, dry_run: bool = False
) -> list[FileOutcome]:
    """Take every file waiting in a remote landing area (see the module's description)."""
    root = open_landing(url, conn_id)
    where = shown_url(url)
    objects, refused = list_waiting(root)
    log.info(
        "remote landing area %(where)s: %(n)d object(s) waiting, %(refused)d refused unread / "
        "удалённая область приёма %(where)s: ожидают объектов: %(n)d, отклонено без чтения: %(refused)d",
        {"where": where, "n": len(objects), "refused": len(refused)},
    )
    unreadable: list[str] = []
    outcomes: list[FileOutcome] = []
    with spool_folder() as spool:
        spooled: dict[Path, tuple[RemoteObject, str]] = {}
        for obj in objects:
            try:
                local, digest = download(obj, spool)
            except RefusedUnread as refusal:
                refused.append(_refusal(obj.shown, obj.sender, refusal.reason))
                continue
            except Exception as error:  # the store failed for this object: leave it, take the others
                log.warning(
                    "%(name)s could not be downloaded (%(error)s): left in the landing area for the next "
                    "run / %(name)s не удалось скачать (%(error)s): оставлен в области приёма до "
                    "следующего запуска",
                    {"name": obj.shown, "error": f"{type(error).__name__}: {error}"},
                )
                unreadable.append(obj.shown)
                continue
            spooled[local] = (obj, digest)
        failure: Exception | None = None
        if spooled:
            try:
                outcomes = ingest_files(list(spooled), today, dry_run=dry_run, landing=spool)
            except Exception as error:  # e.g. IntakeLoadError: settle what was decided, then fail
                failure = error
            if not dry_run:
                try:
                    remove_decided(spooled)
                except Exception as error:
                    log.warning(
                        "could not settle the remote landing area (%(error)s): the objects not deleted "
                        "stay and the next run takes them again (decided ones are no-ops) / не удалось "
                        "убрать решённые объекты из удалённой области приёма (%(error)s): неудалённые "
                        "объекты остаются, следующий запуск возьмёт их снова (решённые пропускаются)",
                        {"error": f"{type(error).__name__}: {error}"},
                    )
                    failure = failure or error
        if failure is not None:
            raise failure
    counts = {s: sum(o.status == s for o in outcomes) for s in ("loaded", "rejected", "duplicate")}
    log.info(
        "intake from %(where)s%(dry)s: %(loaded)d loaded, %(rejected)d rejected, %(duplicate)d already "
        "seen, %(refused)d refused unread / приём из %(where)s%(dry_ru)s: загружено %(loaded)d, "
        "отклонено %(rejected)d, уже получены %(duplicate)d, отклонено без чтения %(refused)d",
        {"where": where, "dry": " (dry run)" if dry_run else "", "dry_ru": " (проверка)" if dry_run else "",
         **counts, "refused": len(refused)},
    )  # fmt: skip
    if unreadable:
        raise RemoteLandingError(
            f"{len(unreadable)} object(s) of {where} could not be downloaded and stay there for the "
            f"next run: {', '.join(unreadable)}"
        )
    return refused + outcomes


# -- listing -------------------------------------------------------------------


def printable(name: str) -> str:
    """A name safe to print in a log line: control and bidi characters escaped."""
    return "".join(
        c.encode("unicode_escape").decode("ascii")
        if unicodedata.category(c) in ("Cc", "Cs") or c in BIDI_CONTROLS
        else c
        for c in name
    )


def _format(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _fingerprint(entry: dict) -> tuple:
    return tuple((key, str(entry[key])) for key in FINGERPRINT_KEYS if entry.get(key) is not None)


def _refusal(shown: str, sender: str | None, reason: Reason) -> FileOutcome:
    """An object refused unread, logged; it stays in the landing area for an operator."""
    en, ru = reason
    log.warning(
        "%(name)s refused: %(en)s; left in the landing area for an operator / "
        "%(name)s отклонён: %(ru)s; оставлен в области приёма для оператора",
        {"name": printable(shown), "en": en, "ru": ru},
    )
    text = (
        f"{en}; not read, left in the landing area for an operator / {ru}; не прочитан, оставлен в "
        "области приёма для оператора"
    )
    return FileOutcome(printable(shown), "", "rejected", [text], sender=sender or "unknown")


def _entries(fs, folder: str) -> list[tuple[str, dict]]:
    """(name relative to ``folder``, listing entry) of every entry of ``folder``."""
    try:
        listing = fs.ls(folder, detail=True)
    except FileNotFoundError:
        return []
    out = []
    for entry in listing:
        full = str(entry["name"])
        if full == folder or (full == folder + "/" and entry.get("type") != "directory"):
            continue  # the folder itself (a directory marker object)
        if not full.startswith(folder + "/"):
            out.append(("/" + full.lstrip("/"), entry))  # outside the folder: refused as absolute
            continue
        rest = full[len(folder) + 1 :]
        out.append((rest[:-1] if rest.endswith("/") and entry.get("type") == "directory" else rest, entry))
    return sorted(out, key=lambda item: item[0])


def list_waiting(root) -> tuple[list[RemoteObject], list[FileOutcome]]:
    """The objects to take, and refusals for the entries that must not be read."""
    fs = root.fs
    base = root.path.rstrip("/") or root.path
    objects: list[RemoteObject] = []
    refused: list[FileOutcome] = []

    def refuse(shown: str, sender: str | None, reason: Reason) -> None:
        refused.append(_refusal(shown, sender, reason))

    def consider(folder: str, name: str, entry: dict, sender: str | None) -> None:
        shown = f"{sender}/{name}" if sender else name
        if reason := unsafe_name_reason(name):
            return refuse(shown, sender, reason)
        if name.startswith("."):
            return  # hidden, as in the local landing folder
        kind = entry.get("type")
        if entry.get("islink") or kind == "link":
            return refuse(
                shown, sender, ("it is a link (links are not followed)", "это ссылка (ссылки не читаются)")
            )
        if kind == "directory":
            if sender is not None:
                return refuse(
                    shown,
                    sender,
                    (
                        "it is a folder inside a sender folder (only one level is read)",
                        "это папка внутри папки отправителя (читается только один уровень)",
                    ),
                )
            for child, child_entry in _entries(fs, f"{folder}/{name}"):
                consider(f"{folder}/{name}", child, child_entry, name)
            return
        if kind != "file":
            return refuse(
                shown,
                sender,
                (
                    f"it is not a regular file (the store lists it as {kind!r})",
                    f"это не обычный файл (хранилище называет его {kind!r})",
                ),
            )
        size = entry.get("size")
        if size is not None and (reason := size_refusal(int(size), _format(name))):
            return refuse(shown, sender, reason)
        path = root.joinpath(*((sender, name) if sender else (name,)))
        objects.append(
            RemoteObject(path, folder, name, sender, None if size is None else int(size), _fingerprint(entry))
        )

    for name, entry in _entries(fs, base):
        consider(base, name, entry, None)
    return objects, refused


# -- spool -----------------------------------------------------------------------


@contextlib.contextmanager
def spool_folder() -> Iterator[Path]:
    """A private spool folder for one run, removed afterwards. A run holds an exclusive lock
    on its folder's lock file; folders whose lock nobody holds belong to dead runs and are swept."""
    top = paths().landing_spool
    top.mkdir(parents=True, exist_ok=True)
    for stale in top.iterdir():
        lock_path = stale / LOCK_NAME
        if not stale.is_dir() or stale.is_symlink() or not lock_path.exists():
            continue
        with open(lock_path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live run
            shutil.rmtree(stale, ignore_errors=True)
            log.info(
                "removed the spool of an interrupted run / удалена папка прерванного запуска: %s", stale.name
            )
    run = Path(tempfile.mkdtemp(prefix="run-", dir=top))
    lock = open(run / LOCK_NAME, "w")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield run
    finally:
        shutil.rmtree(run, ignore_errors=True)
        lock.close()


def download(obj: RemoteObject, spool: Path) -> tuple[Path, str]:
    """Stream one object into the spool (sender sub-folder kept); returns (file, SHA-256)."""
    folder = spool / obj.sender if obj.sender else spool
    folder.mkdir(exist_ok=True)
    target = folder / obj.name
    limit, what, what_ru = size_limit(_format(obj.name))
    digest = hashlib.sha256()
    size = 0
    try:
        with obj.path.open("rb") as source, open(target, "xb") as sink:
            while chunk := source.read(MB):
                size += len(chunk)
                if size > limit:
                    raise RefusedUnread(
                        (
                            f"the object grew past the {limit // MB} MB limit for {what} while it was "
                            "downloaded: not loaded",
                            f"объект превысил предельный размер {limit // MB} МБ для {what_ru} во время "
                            "скачивания: не загружен",
                        )
                    )
                digest.update(chunk)
                sink.write(chunk)
        if obj.size is not None and size != obj.size:
            raise RuntimeError(f"{size} bytes read where the listing said {obj.size}: it changed meanwhile")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target, digest.hexdigest()


# -- settling --------------------------------------------------------------------


def remove_decided(spooled: dict[Path, tuple[RemoteObject, str]]) -> list[RemoteObject]:
    """Delete from the store the objects whose content the intake decided; returns them."""
    digests = sorted({digest for _, digest in spooled.values()})
    status = ledger.statuses(digests)
    decided = []
    for local, (obj, digest) in spooled.items():
        if local.exists():
            continue  # not decided (its load failed, or the run stopped before it): stays
        if status.get(digest) not in DONE_STATUSES:
            log.error(
                "%(name)s: the intake let go of it but the ledger holds no decision for %(id)s: left in "
                "the landing area / %(name)s: приём отпустил его, но в журнале нет решения по %(id)s: "
                "оставлен в области приёма",
                {"name": obj.shown, "id": digest[:12]},
            )
            continue
        decided.append(obj)
    return remove_unchanged(decided)


def remove_unchanged(objects: list[RemoteObject]) -> list[RemoteObject]:
    """Delete each object unless the store now lists it differently from the first listing."""
    removed = []
    by_folder: dict[str, list[RemoteObject]] = {}
    for obj in objects:
        by_folder.setdefault(obj.folder, []).append(obj)
    for folder, group in by_folder.items():
        fs = group[0].path.fs
        fs.invalidate_cache(folder)
        now = {name: entry for name, entry in _entries(fs, folder)}
        for obj in group:
            entry = now.get(obj.name)
            if entry is None:
                log.info(
                    "%(name)s: already gone from the landing area / уже удалён из неё", {"name": obj.shown}
                )
                continue
            if _fingerprint(entry) != obj.fingerprint:
                before, after = dict(obj.fingerprint), dict(_fingerprint(entry))
                log.warning(
                    "%(name)s was replaced in the landing area after it was listed (%(keys)s changed): the "
                    "new object is left for the next run / %(name)s заменён в области приёма после "
                    "просмотра (изменилось: %(keys)s): новый объект оставлен до следующего запуска",
                    {
                        "name": obj.shown,
                        "keys": ", ".join(k for k in FINGERPRINT_KEYS if before.get(k) != after.get(k)),
                    },
                )
                continue
            try:
                obj.path.unlink()
            except Exception as error:  # harmless: the next run finds it decided and deletes it
                log.warning(
                    "%(name)s was decided but could not be deleted from the landing area (%(error)s): "
                    "the next run sees it as already seen and deletes it / %(name)s решён, но не удалён "
                    "из области приёма (%(error)s): следующий запуск увидит его как уже полученный и удалит",
                    {"name": obj.shown, "error": f"{type(error).__name__}: {error}"},
                )
                continue
            removed.append(obj)
    return removed
