"""Ingesting URS extracts: the ledger, the load lock, the load itself and the change of key.

An extract (docs/urs_extract_format.md) is pseudonymised as it is read: its identifiers
never reach the database, its log or a task log. ``passport_number`` + ``citizenship``
become a keyed pseudonym (``urs.pseudonym``); ``full_name`` and ``date_of_birth`` are
dropped as the row is read (``urs.reader``); refusal reasons name the line and the column,
never the value, each one string "English / русский" (the operators read Russian first).

Each block of checked rows goes to ``raw.urs_events`` as one COPY payload built column-wise
in C (``warehouse.bulk_copy``), the HMAC computed once per distinct person of the block,
all inside one transaction together with the extract's row in ``audit.urs_extract_ledger``
(extract_id = SHA-256 of the file). A refused extract leaves only its ledger row. The
ledger keeps the key's public fingerprint; an extract made with another key than the
loaded ones is refused, and :func:`rekey_extracts` changes the key for all of them at once.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from programme_monitoring.report_format.file_safety import file_sha256
from programme_monitoring.settings import paths
from programme_monitoring.urs.pseudonym import (
    PSEUDONYM_SCHEME,
    Digests,
    hex_pseudonyms,
    hmac_sha256,
    key_id,
    pseudonym_key,
)
from programme_monitoring.urs.reader import (
    BLOCK_BYTES,
    MAX_REASONS,
    CheckedBlock,
    ExtractRefused,
    checked_blocks,
    read_header,
    refusal,
)
from programme_monitoring.warehouse import bulk_copy
from programme_monitoring.warehouse.connection import connect
from programme_monitoring.warehouse.schema import init as init_schema

log = logging.getLogger(__name__)

# What raw.urs_events receives, in COPY order.
RAW_COLUMNS = (
    "extract_id",
    "source_file",
    "event_type",
    "person_pseudonym",
    "citizenship",
    "purpose_of_visit",
    "host_state",
    "border_crossing_point",
    "event_date",
)


def urs_landing() -> Path:
    """Where URS extracts arrive; apart from the member-state reports' landing area."""
    return Path(os.environ.get("URS_LANDING_DIR", paths().var / "urs_landing"))


@dataclass
class ExtractOutcome:
    source_file: str
    extract_id: str
    status: str  # loaded | rejected | duplicate
    event_rows: int = 0
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0


class UrsRekeyError(RuntimeError):
    """A re-pseudonymisation that cannot be done; nothing was changed."""


def ingest_urs_landing(key: bytes | None = None) -> list[ExtractOutcome]:
    folder = urs_landing()
    # Every file a sender left (hidden ones aside, as in the report landing): one not named
    # .csv is refused with a reason, not left there unseen.
    found = folder.iterdir() if folder.exists() else ()
    files = sorted(p for p in found if p.is_file() and not p.name.startswith("."))
    return [ingest_extract(p, key=key) for p in files]


def _lock_urs(conn: psycopg.Connection) -> None:
    """Serialise URS loads (until the transaction ends): the key check below must not race."""
    conn.execute("select pg_advisory_xact_lock(hashtextextended('programme_monitoring.urs', 0))")


def _other_key(conn: psycopg.Connection, this_key_id: str) -> tuple[str, int, int] | None:
    """(key id, scheme, extracts) of loaded extracts pseudonymised with another key than this
    one, or with another normalisation (``PSEUDONYM_SCHEME``), if any."""
    return conn.execute(
        """select pseudonym_key_id, coalesce(pseudonym_scheme, 1), count(*) from audit.urs_extract_ledger
           where status = 'loaded'
             and (pseudonym_key_id is distinct from %s or coalesce(pseudonym_scheme, 1) <> %s)
           group by 1, 2 order by 3 desc limit 1""",
        (this_key_id, PSEUDONYM_SCHEME),
    ).fetchone()


def ingest_extract(path: Path, key: bytes | None = None, block_bytes: int | None = None) -> ExtractOutcome:
    """Pseudonymise and load one extract; never raises for a bad file (it is refused with reasons).

    Refused too: an extract whose key differs from the key of the extracts already loaded
    (their pseudonyms would never match); change keys with :func:`rekey_extracts`.
    """
    started = time.perf_counter()
    key = key if key is not None else pseudonym_key()
    path = Path(path)
    extract_id = file_sha256(path)
    outcome = ExtractOutcome(source_file=path.name, extract_id=extract_id, status="loaded")
    init_schema()
    with connect() as conn:
        try:
            with conn.transaction():
                _lock_urs(conn)
                previous = conn.execute(
                    "select status from audit.urs_extract_ledger where extract_id = %s", (extract_id,)
                ).fetchone()
                if previous and previous[0] == "loaded":
                    outcome.status = "duplicate"
                else:
                    _refuse_unnamed_extract(path)
                    _refuse_another_key(conn, key)
                    _load(conn, path, extract_id, key, outcome, block_bytes)
        except ExtractRefused as refused:
            outcome.status = "rejected"
            outcome.reasons = refused.reasons
        except psycopg.errors.DataError as error:
            # PostgreSQL refused a value the checks let through; its message would quote the value.
            outcome.status = "rejected"
            outcome.reasons = [
                f"a value PostgreSQL refused (SQLSTATE {error.sqlstate}) / "
                f"PostgreSQL отклонил значение (SQLSTATE {error.sqlstate})"
            ]
        if outcome.status == "rejected":
            _record_refusal(conn, path, extract_id, key, outcome.reasons)
    outcome.seconds = time.perf_counter() - started
    if outcome.status == "loaded":
        log.info(
            "URS extract %(file)s: %(rows)d events loaded / "
            "выгрузка УРС %(file)s: загружено событий: %(rows)d",
            {"file": path.name, "rows": outcome.event_rows},
        )
    elif outcome.status == "duplicate":
        log.info(
            "URS extract %(file)s already loaded (%(id)s) / выгрузка УРС %(file)s уже загружена (%(id)s)",
            {"file": path.name, "id": extract_id[:12]},
        )
    return outcome


def _refuse_unnamed_extract(path: Path) -> None:
    """ExtractRefused for a file not named ``*.csv`` (a half-copied ``.part``, a ``.txt``, ...)."""
    if path.suffix.lower() != ".csv":
        raise ExtractRefused(
            [
                f"not named *.csv: a URS extract is a CSV file whose name ends in .csv "
                f"(docs/urs_extract_format.md); if {path.name!r} is a complete extract, rename it / "
                f"имя файла не *.csv: выгрузка УРС — файл CSV, имя которого оканчивается на .csv "
                f"(docs/urs_extract_format.md); если {path.name!r} — полная выгрузка, переименуйте файл"
            ]
        )


def _refuse_another_key(conn: psycopg.Connection, key: bytes) -> None:
    """ExtractRefused if loaded extracts were pseudonymised with another key than ``key``."""
    other = _other_key(conn, key_id(key))
    if other and other[0] != key_id(key):
        raise ExtractRefused(
            [
                f"made with another pseudonym key (key id {key_id(key)}) than the "
                f"{other[2]} loaded extract(s) (key id {other[0]}): their pseudonyms would "
                "never match. Use the key of the loaded extracts, or change the key for "
                "all of them with `urs-ingest --rekey` (docs/urs_extract_format.md) / "
                f"выгрузка сделана с другим ключом псевдонимизации (key id {key_id(key)}), чем "
                f"загруженные выгрузки ({other[2]}; key id {other[0]}): их псевдонимы никогда не "
                "совпадут. Используйте ключ загруженных выгрузок или смените ключ для всех сразу: "
                "`urs-ingest --rekey` (docs/urs_extract_format.md)"
            ]
        )
    if other:
        raise ExtractRefused(
            [
                f"the {other[2]} loaded extract(s) were pseudonymised with an earlier normalisation "
                f"of passport numbers (scheme {other[1]}, now {PSEUDONYM_SCHEME}): their pseudonyms "
                "would not match. Pseudonymise them again, with the same key, together with this "
                "one: `urs-ingest --rekey` (docs/urs_extract_format.md) / "
                f"загруженные выгрузки ({other[2]}) псевдонимизированы с прежней нормализацией "
                f"номеров паспортов (схема {other[1]}, теперь {PSEUDONYM_SCHEME}): их псевдонимы не "
                "совпадут. Псевдонимизируйте их заново, тем же ключом, вместе с этой выгрузкой: "
                "`urs-ingest --rekey` (docs/urs_extract_format.md)"
            ]
        )


def _record_refusal(
    conn: psycopg.Connection, path: Path, extract_id: str, key: bytes, reasons: list[str]
) -> None:
    """The ledger row of a refused extract (the only trace it leaves), in a transaction of its own."""
    with conn.transaction():
        conn.execute(
            """insert into audit.urs_extract_ledger
               (extract_id, source_file, file_bytes, status, pseudonym_key_id, reason)
               values (%s, %s, %s, 'rejected', %s, %s)
               on conflict (extract_id)
               do update set status = 'rejected', reason = excluded.reason,
                             pseudonym_key_id = excluded.pseudonym_key_id""",
            (extract_id, path.name, path.stat().st_size, key_id(key), "\n".join(reasons)),
        )
    log.warning(
        "URS extract %(file)s refused: %(n)d reason(s) / выгрузка УРС %(file)s отклонена, причин: %(n)d",
        {"file": path.name, "n": len(reasons)},
    )


def _load(
    conn: psycopg.Connection,
    path: Path,
    extract_id: str,
    key: bytes,
    outcome: ExtractOutcome,
    block_bytes: int | None = None,
) -> None:
    """Ledger row + events of one extract, in the caller's transaction; raises ExtractRefused."""
    conn.execute(
        "delete from audit.urs_extract_ledger where extract_id = %s and status = 'rejected'", (extract_id,)
    )
    conn.execute(
        """insert into audit.urs_extract_ledger
           (extract_id, source_file, file_bytes, status, pseudonym_key_id, pseudonym_scheme)
           values (%s, %s, %s, 'loaded', %s, %s)""",
        (extract_id, path.name, path.stat().st_size, key_id(key), PSEUDONYM_SCHEME),
    )
    outcome.event_rows = _copy_events(conn, path, extract_id, key, block_bytes or BLOCK_BYTES)
    conn.execute(
        "update audit.urs_extract_ledger set event_rows = %s where extract_id = %s",
        (outcome.event_rows, extract_id),
    )


def rekey_extracts(files: list[Path], key: bytes | None = None) -> list[ExtractOutcome]:
    """Re-pseudonymise the URS data with a new key by re-ingesting the source extracts.

    In one transaction: every loaded extract's rows and ledger row are deleted and the given
    files are loaded with ``key``. Refused (UrsRekeyError, nothing changed) if the file of a
    loaded extract (identified by its SHA-256) is not among ``files``, or if a file is refused.
    """
    key = key if key is not None else pseudonym_key()
    by_hash: dict[str, Path] = {}
    for f in map(Path, files):
        by_hash.setdefault(file_sha256(f), f)
    outcomes = []
    init_schema()
    with connect() as conn:
        with conn.transaction():
            _lock_urs(conn)
            loaded = conn.execute(
                "select extract_id, source_file from audit.urs_extract_ledger where status = 'loaded'"
            ).fetchall()
            missing = sorted(name for extract_id, name in loaded if extract_id not in by_hash)
            if missing:
                names = ", ".join(missing[:20])
                raise UrsRekeyError(
                    f"{len(missing)} loaded extract(s) not among the files given (identified by their "
                    f"SHA-256): {names}. Re-pseudonymising needs every loaded extract's "
                    "source file, or distinct-person counts would mix keys; nothing was changed / "
                    f"среди указанных файлов нет загруженных выгрузок ({len(missing)}; распознаются "
                    f"по SHA-256): {names}. Для повторной псевдонимизации нужен "
                    "исходный файл каждой загруженной выгрузки, иначе в подсчётах уникальных лиц "
                    "смешаются ключи; ничего не изменено"
                )
            ids = [extract_id for extract_id, _ in loaded]
            conn.execute("delete from raw.urs_events where extract_id = any(%s)", (ids,))
            conn.execute("delete from audit.urs_extract_ledger where extract_id = any(%s)", (ids,))
            for extract_id, path in by_hash.items():
                outcome = ExtractOutcome(source_file=path.name, extract_id=extract_id, status="loaded")
                try:
                    _load(conn, path, extract_id, key, outcome)
                except ExtractRefused as refused:
                    raise UrsRekeyError(
                        f"{path.name} refused, nothing was changed / "
                        f"файл {path.name} отклонён, ничего не изменено:\n" + "\n".join(refused.reasons)
                    ) from None
                outcomes.append(outcome)
    log.info(
        "URS data re-pseudonymised with key id %(key)s: %(n)d extract(s) / "
        "данные УРС псевдонимизированы заново ключом key id %(key)s, выгрузок: %(n)d",
        {"key": key_id(key), "n": len(outcomes)},
    )
    return outcomes


# -- the events: checked blocks -> COPY -----------------------------------------------------


def _copy_events(conn: psycopg.Connection, path: Path, extract_id: str, key: bytes, block_bytes: int) -> int:
    """Stream the CSV into raw.urs_events; raise ExtractRefused (before commit) if any row is bad.

    After the first problem, later blocks are only checked (for the reasons), not loaded.
    """
    digests = hmac_sha256(key)
    prefix = [bulk_copy.escape(extract_id), bulk_copy.escape(path.name)]
    problems: list[tuple[int, str]] = []
    rows = 0
    with open(path, "rb") as f:
        header, header_lines = read_header(f)
        with bulk_copy.copy_into(conn, "raw.urs_events", RAW_COLUMNS) as copy:
            for block in checked_blocks(f, header, header_lines, block_bytes):
                problems += block.problems
                if block.rows and not problems:
                    copy.write(_copy_text(block, digests, prefix))
                    rows += block.rows
                if len(problems) >= MAX_REASONS:
                    break
            if problems:
                raise refusal(problems)
            if rows == 0:
                raise ExtractRefused(["no event rows / в файле нет ни одной строки события"])
    return rows


def _copy_text(block: CheckedBlock, digests: Digests, prefix: list) -> bytes:
    """The COPY text of a block's rows (RAW_COLUMNS order): one pseudonym per distinct person."""
    coded = block.columns
    passport, passports = coded["passport_number"]
    citizenship, citizenships = coded["citizenship"]
    pair_codes, pairs = pd.factorize(passport.astype(np.int64) * len(citizenships) + citizenship)
    messages = (
        np.array(passports, dtype=object)[pairs // len(citizenships)]
        + np.array(["|" + c for c in citizenships], dtype=object)[pairs % len(citizenships)]
    )
    person = hex_pseudonyms(digests, messages.tolist())[pair_codes]

    def column(name: str, empty_is_null: bool = False) -> np.ndarray:
        codes, uniques = coded[name]
        return bulk_copy.rendered([None if empty_is_null and not u else u for u in uniques])[codes]

    return bulk_copy.copy_text(
        [
            *prefix,
            column("event_type"),
            person,
            column("citizenship"),
            column("purpose_of_visit", empty_is_null=True),
            column("host_state"),
            column("border_crossing_point", empty_is_null=True),
            column("event_date"),
        ],
        block.rows,
    )
