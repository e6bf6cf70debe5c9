"""URS statistics feed: periodic extracts of the Unified Registration System, pseudonymised at intake.

An extract is a CSV file, one row per event (entry, exit, work permit, offence) with the
person's identifiers beside the statistical attributes (docs/urs_extract_format.md).
The identifiers never reach the database, its log or a task log:

* ``passport_number`` + ``citizenship`` become a keyed pseudonym,
  HMAC-SHA256(key, normalised passport number "|" citizenship), hex. The key comes from
  the environment (``URS_PSEUDONYM_KEY``, or Airflow's ``AIRFLOW_VAR_URS_PSEUDONYM_KEY``
  / a secrets backend through ``Variable.get``) and is never written anywhere;
* ``full_name`` and ``date_of_birth`` are dropped as the row is read;
* refusal reasons name the line and the column, never the value.

The file is streamed in blocks of whole records: each block is parsed by pandas' C reader
(the csv module where a block has quotes, blank or malformed lines), every rule is applied
once per distinct value of a column, the HMAC once per distinct person, and the block's
rows go to ``raw.urs_events`` as one COPY payload built column-wise in C
(``programme_monitoring.bulk_copy``), all inside one transaction together with the
extract's row in ``audit.urs_extract_ledger`` (extract_id = SHA-256 of the file). A
refused extract leaves only its ledger row. The ledger keeps the key's public fingerprint;
an extract made with another key than the loaded ones is refused, and
:func:`rekey_extracts` changes the key for all of them at once.
"""

from __future__ import annotations

import binascii
import csv
import hashlib
import hmac
import io
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from programme_monitoring.reference import load_reference
from programme_monitoring.report_format.file_safety import file_sha256
from programme_monitoring.settings import paths
from programme_monitoring.warehouse import bulk_copy
from programme_monitoring.warehouse.connection import connect, ensure_urs_tables

log = logging.getLogger(__name__)

KEY_ENV = "URS_PSEUDONYM_KEY"
AIRFLOW_VARIABLE = "urs_pseudonym_key"
MIN_KEY_BYTES = 32

EVENT_TYPES = frozenset({"entry", "exit", "work_permit", "offence"})
PURPOSES = frozenset({"tourism", "business", "work", "study", "private", "transit", "official", "other"})
REQUIRED_COLUMNS = (
    "event_type",
    "passport_number",
    "full_name",
    "date_of_birth",
    "citizenship",
    "purpose_of_visit",
    "host_state",
    "border_crossing_point",
    "event_date",
)
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
MAX_REASONS = 20
_PASSPORT_DROP = str.maketrans("", "", " \t-./")


class UrsKeyError(RuntimeError):
    pass


def host_states() -> frozenset[str]:
    """ISO2 codes a URS event may name as host state: the reporting states of the reference seed."""
    return frozenset(load_reference().state_codes)


def urs_landing() -> Path:
    """Where URS extracts arrive; apart from the member-state reports' landing area."""
    return Path(os.environ.get("URS_LANDING_DIR", paths().var / "urs_landing"))


# -- the key and the pseudonym ------------------------------------------------------------


def pseudonym_key() -> bytes:
    """The HMAC key from the environment (or Airflow's secrets backend); refuses a missing or short key."""
    value = os.environ.get(KEY_ENV) or os.environ.get("AIRFLOW_VAR_" + AIRFLOW_VARIABLE.upper())
    if not value:
        try:  # inside an Airflow task: Variables resolve through the configured secrets backend
            from airflow.sdk import Variable

            value = Variable.get(AIRFLOW_VARIABLE, default=None)
        except Exception:  # noqa: BLE001 - no Airflow, or not in a task
            value = None
    if not value:
        raise UrsKeyError(
            f"no pseudonymisation key: set {KEY_ENV} (at least {MIN_KEY_BYTES} bytes, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`) or the Airflow Variable "
            f"{AIRFLOW_VARIABLE} in a secrets backend"
        )
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise UrsKeyError(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes long")
    mask_in_airflow(value)
    return key


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key: tells which extracts share a key, reveals nothing of it."""
    return hmac.digest(key, b"programme_monitoring.urs key id", "sha256").hex()[:16]


def normalise_passport(passport_number: str) -> str:
    return passport_number.translate(_PASSPORT_DROP).upper()


def pseudonym(key: bytes, passport_number: str, citizenship: str) -> str:
    """HMAC-SHA256(key, normalised passport number | citizenship), lower-case hex (64 characters)."""
    message = f"{normalise_passport(passport_number)}|{citizenship.strip().upper()}".encode()
    return hmac.digest(key, message, "sha256").hex()


def mask_in_airflow(*secrets: str) -> None:
    """Register secrets with Airflow's secrets masker (task logs show ***); no-op without Airflow."""
    try:
        from airflow.sdk.log import mask_secret
    except Exception:  # noqa: BLE001 - Airflow not installed or not importable here
        return
    for secret in secrets:
        if secret:
            mask_secret(secret)


# -- intake -------------------------------------------------------------------------------


@dataclass
class ExtractOutcome:
    source_file: str
    extract_id: str
    status: str  # loaded | rejected | duplicate
    event_rows: int = 0
    reasons: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Refused(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class UrsRekeyError(RuntimeError):
    """A re-pseudonymisation that cannot be done; nothing was changed."""



def ingest_urs_landing(key: bytes | None = None) -> list[ExtractOutcome]:
    folder = urs_landing()
    files = sorted(p for p in folder.glob("*.csv") if p.is_file()) if folder.exists() else []
    return [ingest_extract(p, key=key) for p in files]


def _lock_urs(conn: psycopg.Connection) -> None:
    """Serialise URS loads (until the transaction ends): the key check below must not race."""
    conn.execute("select pg_advisory_xact_lock(hashtextextended('programme_monitoring.urs', 0))")


def _other_key(conn: psycopg.Connection, this_key_id: str) -> tuple[str, int] | None:
    """(key id, extracts) of loaded extracts pseudonymised with another key than this one, if any."""
    return conn.execute(
        """select pseudonym_key_id, count(*) from audit.urs_extract_ledger
           where status = 'loaded' and pseudonym_key_id is distinct from %s
           group by 1 order by 2 desc limit 1""",
        (this_key_id,),
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
    with connect() as conn:
        ensure_urs_tables(conn)
        conn.commit()
        try:
            with conn.transaction():
                _lock_urs(conn)
                previous = conn.execute(
                    "select status from audit.urs_extract_ledger where extract_id = %s", (extract_id,)
                ).fetchone()
                if previous and previous[0] == "loaded":
                    outcome.status = "duplicate"
                else:
                    other = _other_key(conn, key_id(key))
                    if other:
                        raise _Refused(
                            [
                                f"made with another pseudonym key (key id {key_id(key)}) than the "
                                f"{other[1]} loaded extract(s) (key id {other[0]}): their pseudonyms would "
                                "never match. Use the key of the loaded extracts, or change the key for "
                                "all of them with `urs-ingest --rekey` (docs/urs_extract_format.md)"
                            ]
                        )
                    _load(conn, path, extract_id, key, outcome, block_bytes)
        except _Refused as refused:
            outcome.status = "rejected"
            outcome.reasons = refused.reasons
        except psycopg.errors.DataError as error:
            # PostgreSQL refused a value the checks let through; its message would quote the value.
            outcome.status = "rejected"
            outcome.reasons = [f"a value PostgreSQL refused (SQLSTATE {error.sqlstate})"]
        if outcome.status == "rejected":
            with conn.transaction():
                conn.execute(
                    """insert into audit.urs_extract_ledger
                       (extract_id, source_file, file_bytes, status, pseudonym_key_id, reason)
                       values (%s, %s, %s, 'rejected', %s, %s)
                       on conflict (extract_id)
                       do update set status = 'rejected', reason = excluded.reason,
                                     pseudonym_key_id = excluded.pseudonym_key_id""",
                    (extract_id, path.name, path.stat().st_size, key_id(key), "\n".join(outcome.reasons)),
                )
            log.warning("URS extract %s refused: %d reason(s)", path.name, len(outcome.reasons))
    outcome.seconds = time.perf_counter() - started
    if outcome.status == "loaded":
        log.info("URS extract %s: %d events loaded", path.name, outcome.event_rows)
    elif outcome.status == "duplicate":
        log.info("URS extract %s already loaded (%s)", path.name, extract_id[:12])
    return outcome


def _load(
    conn: psycopg.Connection,
    path: Path,
    extract_id: str,
    key: bytes,
    outcome: ExtractOutcome,
    block_bytes: int | None = None,
) -> None:
    """Ledger row + events of one extract, in the caller's transaction; raises _Refused."""
    conn.execute(
        "delete from audit.urs_extract_ledger where extract_id = %s and status = 'rejected'", (extract_id,)
    )
    conn.execute(
        """insert into audit.urs_extract_ledger
           (extract_id, source_file, file_bytes, status, pseudonym_key_id)
           values (%s, %s, %s, 'loaded', %s)""",
        (extract_id, path.name, path.stat().st_size, key_id(key)),
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
    with connect() as conn:
        ensure_urs_tables(conn)
        conn.commit()
        with conn.transaction():
            _lock_urs(conn)
            loaded = conn.execute(
                "select extract_id, source_file from audit.urs_extract_ledger where status = 'loaded'"
            ).fetchall()
            missing = sorted(name for extract_id, name in loaded if extract_id not in by_hash)
            if missing:
                raise UrsRekeyError(
                    f"{len(missing)} loaded extract(s) not among the files given (identified by their "
                    f"SHA-256): {', '.join(missing[:20])}. Re-pseudonymising needs every loaded extract's "
                    "source file, or distinct-person counts would mix keys; nothing was changed"
                )
            ids = [extract_id for extract_id, _ in loaded]
            conn.execute("delete from raw.urs_events where extract_id = any(%s)", (ids,))
            conn.execute("delete from audit.urs_extract_ledger where extract_id = any(%s)", (ids,))
            for extract_id, path in by_hash.items():
                outcome = ExtractOutcome(source_file=path.name, extract_id=extract_id, status="loaded")
                try:
                    _load(conn, path, extract_id, key, outcome)
                except _Refused as refused:
                    raise UrsRekeyError(
                        f"{path.name} refused, nothing was changed: " + "; ".join(refused.reasons)
                    ) from None
                outcomes.append(outcome)
    log.info("URS data re-pseudonymised with key id %s: %d extract(s)", key_id(key), len(outcomes))
    return outcomes


# -- reading an extract: blocks of whole records, parsed in C -----------------------------
#
# The file is read in blocks of about BLOCK_BYTES that end at a record boundary. A block
# without quotes whose every line has exactly (header width - 1) commas (checked with
# numpy) is parsed by pandas' C reader, only the columns kept. Any other block (quoted fields, blank lines,
# malformed lines, bad UTF-8) goes through the csv module, which names the exact line of
# each problem. Either way the values go through the same checks below.

BLOCK_BYTES = 8 << 20


def _read_header(f) -> tuple[list[str], int]:
    """The header record's column names (lower case) and the number of lines it spans."""
    raw, lines = b"", 0
    while line := f.readline():
        raw, lines = raw + line, lines + 1
        if raw.count(b'"') % 2 == 0:
            break
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return ([h.strip().lower() for h in rows[0]] if rows else []), lines


def _record_end(buf: bytes, force: bool) -> int:
    """Offset just after the last line break of buf that is outside quotes (0: none)."""
    end = buf.rfind(b"\n")
    if end < 0:
        return 0
    if not force and b'"' in buf:
        odd = buf.count(b'"', 0, end) % 2
        while odd:
            previous = buf.rfind(b"\n", 0, end)
            if previous < 0:
                return 0
            odd ^= buf.count(b'"', previous, end) % 2
            end = previous
    return end + 1


def _blocks(f, first_line: int, size: int) -> Iterator[tuple[int, bytes]]:
    """(number of its first line, bytes) of blocks of whole records, each ending with a line break."""
    rest = b""
    while True:
        data = f.read(size)
        buf = rest + data if rest else data
        if not data:
            if buf:
                yield first_line, buf if buf.endswith(b"\n") else buf + b"\n"
            return
        cut = _record_end(buf, force=len(buf) > 4 * size)  # a stray quote must not make it grow forever
        if cut:
            yield first_line, buf[:cut]
            first_line += buf.count(b"\n", 0, cut)
        rest = buf[cut:]


@dataclass
class _Parsed:
    lines: np.ndarray  # line number of each well-formed record
    columns: dict[str, object]  # column -> its values (pandas Categorical or object array)
    problems: list[tuple[int, str]]  # (line, what is wrong) of malformed records


def _parse_fast(block: bytes, first_line: int, header: list[str]) -> _Parsed | None:
    if b'"' in block or b"\x00" in block or not _every_line_has_width(block, len(header)):
        return None
    positions = [header.index(name) for name in _USED]
    try:
        frame = pd.read_csv(
            io.BytesIO(block),
            header=None,
            names=list(range(len(header))),
            usecols=positions,
            index_col=False,
            dtype={
                p: ("category" if n in _CATEGORICAL else str) for p, n in zip(positions, _USED, strict=True)
            },
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            encoding="utf-8",
        )
    except (ValueError, UnicodeDecodeError):  # pandas' ParserError is a ValueError
        return None
    lines = block.count(b"\n")
    if len(frame) != lines:  # e.g. a lone carriage return, which the C reader takes as a line break
        return None
    columns = {}
    for name, position in zip(_USED, positions, strict=True):
        values = frame[position]
        columns[name] = values.array if name in _CATEGORICAL else values.to_numpy(dtype=object)
    return _Parsed(np.arange(first_line, first_line + lines), columns, [])


def _every_line_has_width(block: bytes, width: int) -> bool:
    """Whether every line of a block without quotes has exactly ``width - 1`` commas (vectorised)."""
    octets = np.frombuffer(block, dtype=np.uint8)
    breaks = np.flatnonzero(octets == 10)
    commas = np.flatnonzero(octets == 44)
    per_line = width - 1
    if len(commas) != len(breaks) * per_line:
        return False
    if per_line == 0:
        return True
    # Commas are sorted: line i owns commas i*(width-1) ... i*(width-1) + width-2.
    previous_break = np.concatenate(([-1], breaks[:-1]))
    return bool(
        (commas[::per_line] > previous_break).all() and (commas[per_line - 1 :: per_line] < breaks).all()
    )


def _parse_slow(block: bytes, first_line: int, header: list[str]) -> _Parsed:
    width = len(header)
    try:
        text, utf8 = block.decode("utf-8"), True
    except UnicodeDecodeError:  # undecodable bytes become lone surrogates: their lines are refused
        text, utf8 = block.decode("utf-8", errors="surrogateescape"), False
    positions = [header.index(name) for name in _USED]
    values: list[list[str]] = [[] for _ in _USED]
    lines, problems = [], []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = first_line
    try:
        for row in reader:
            line, start = start, first_line + reader.line_num
            if not row:
                continue  # a blank line
            if not utf8 and not _is_utf8(row):
                problems.append((line, "not UTF-8 text"))
                continue
            if len(row) != width:
                problems.append((line, f"{len(row)} fields, the header has {width}"))
                continue
            lines.append(line)
            for column, position in zip(values, positions, strict=True):
                column.append(row[position])
    except csv.Error as error:  # its messages name no value
        problems.append((start, f"not readable as CSV ({error})"))
    return _Parsed(
        np.array(lines, dtype=np.int64),
        {name: np.array(column, dtype=object) for name, column in zip(_USED, values, strict=True)},
        problems,
    )


def _is_utf8(row: list[str]) -> bool:
    try:
        "".join(row).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- the checks: each written once, applied to each distinct value of a block -------------


def _strip_lower(value: str) -> str:
    return value.strip().lower()


def _strip_upper(value: str) -> str:
    return value.strip().upper()


def _is_alpha3(value: str) -> bool:
    return len(value) == 3 and value.isascii() and value.isalpha()


def _is_date(value: str) -> bool:
    if len(value) != 10 or not value.isascii() or value[4] != "-" or value[7] != "-":
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _rules(states: frozenset[str]) -> dict[str, tuple]:
    """Column -> (normalise, is valid) for every column kept; the order is the order of reasons."""
    return {
        "event_type": (_strip_lower, EVENT_TYPES.__contains__),
        "passport_number": (normalise_passport, bool),
        "citizenship": (_strip_upper, _is_alpha3),
        "purpose_of_visit": (_strip_lower, lambda v: not v or v in PURPOSES),
        "host_state": (_strip_upper, states.__contains__),
        "border_crossing_point": (str.strip, lambda v: "\x00" not in v),
        "event_date": (str.strip, _is_date),
    }


_USED = (
    "event_type",
    "passport_number",
    "citizenship",
    "purpose_of_visit",
    "host_state",
    "border_crossing_point",
    "event_date",
)
_CATEGORICAL = frozenset(_USED) - {"passport_number"}  # few distinct values: parsed as categories


def _normalised(values, normalise) -> tuple[np.ndarray, list[str]]:
    """Row codes into the distinct normalised values (each distinct raw value normalised once)."""
    if isinstance(values, pd.Categorical):
        codes, raw = values.codes, list(values.categories)
    else:
        codes, raw = pd.factorize(values)
        raw = list(raw)
    if normalise is normalise_passport and len(raw) > 1000:
        # Per-character rules: one call on all distinct values at once, NUL-separated (no value
        # holds a NUL: the csv module refuses it, the fast path never sees one).
        joined = "\x00".join(raw)
        normalised_joined = normalise(joined)
        if normalised_joined == joined:  # already normalised: the distinct values stay distinct
            return codes, raw
        normalised = np.array(normalised_joined.split("\x00"), dtype=object)
    else:
        normalised = np.array([normalise(v) for v in raw], dtype=object)
    to_unique, uniques = pd.factorize(normalised)
    return to_unique[codes], list(uniques)


Digests = Callable[[Iterable[bytes]], list[bytes]]  # messages -> their HMAC-SHA256 digests


def hmac_sha256(key: bytes) -> Digests:
    """HMAC-SHA256 with this key, as a function of many messages (RFC 2104).

    The hash states after the key's padded inner and outer blocks are computed once and
    copied for each message: about twice as fast per message as ``hmac.digest``, which
    sets up OpenSSL's hash context anew every time; the same digests.
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digests(messages: Iterable[bytes]) -> list[bytes]:
        inner_copy, outer_copy = inner.copy, outer.copy
        result = []
        append = result.append
        for message in messages:
            inner_hash = inner_copy()
            inner_hash.update(message)
            outer_hash = outer_copy()
            outer_hash.update(inner_hash.digest())
            append(outer_hash.digest())
        return result

    return digests


def _pseudonyms(digests: Digests, messages: list[str]) -> np.ndarray:
    """64 lower-case hex characters per message, as numpy bytes (COPY text as it is).

    Called with the distinct persons of a block, with no memory of earlier blocks: a person
    met again in a later block costs one more HMAC, which measured cheaper than looking the
    person up in a dict of the extract's persons (and memory stays flat).
    """
    # one encode for all: no message holds a NUL (both readers refuse it)
    encoded = "\x00".join(messages).encode().split(b"\x00") if messages else []
    return np.frombuffer(binascii.hexlify(b"".join(digests(encoded))), dtype="S64")


def _block_rows(parsed: _Parsed, rules: dict, digests: Digests, prefix: list, problems_only: bool):
    """Check a parsed block; return (problems, COPY text of its rows or None, rows)."""
    problems = list(parsed.problems)
    n = len(parsed.lines)
    if not n:
        return problems, None, 0
    coded, bad = {}, {}
    for name, (normalise, valid) in rules.items():
        codes, uniques = _normalised(parsed.columns[name], normalise)
        ok = np.fromiter(map(valid, uniques), dtype=bool, count=len(uniques))  # C speed for builtins
        coded[name] = codes, uniques
        if not ok.all():
            bad[name] = ~ok[codes]
    if bad:
        rows = np.flatnonzero(np.logical_or.reduce(list(bad.values())))
        for row in rows[:MAX_REASONS].tolist():
            names = [name for name in rules if name in bad and bad[name][row]]
            problems.append((int(parsed.lines[row]), "invalid " + ", ".join(names)))
    if problems or problems_only:
        return problems, None, n
    # One pseudonym per distinct (passport, citizenship) of the block.
    passport, passports = coded["passport_number"]
    citizenship, citizenships = coded["citizenship"]
    pair_codes, pairs = pd.factorize(passport.astype(np.int64) * len(citizenships) + citizenship)
    messages = (
        np.array(passports, dtype=object)[pairs // len(citizenships)]
        + np.array(["|" + c for c in citizenships], dtype=object)[pairs % len(citizenships)]
    )
    person = _pseudonyms(digests, messages.tolist())[pair_codes]

    def column(name: str, empty_is_null: bool = False) -> np.ndarray:
        codes, uniques = coded[name]
        return bulk_copy.rendered([None if empty_is_null and not u else u for u in uniques])[codes]

    payload = bulk_copy.copy_text(
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
        n,
    )
    return problems, payload, n


def _copy_events(conn: psycopg.Connection, path: Path, extract_id: str, key: bytes, block_bytes: int) -> int:
    """Stream the CSV into raw.urs_events; raise _Refused (before commit) if any row is bad."""
    rules = _rules(host_states())
    digests = hmac_sha256(key)
    prefix = [bulk_copy.escape(extract_id), bulk_copy.escape(path.name)]
    problems: list[tuple[int, str]] = []
    rows = 0
    with open(path, "rb") as f:
        try:
            header, header_lines = _read_header(f)
        except UnicodeDecodeError:
            raise _Refused(["line 1: not UTF-8 text"]) from None
        if not header:
            raise _Refused(["the file is empty: no header row"])
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise _Refused([f"missing column(s): {', '.join(missing)}"])
        with bulk_copy.copy_into(conn, "raw.urs_events", RAW_COLUMNS) as copy:
            for first_line, block in _blocks(f, header_lines + 1, block_bytes):
                parsed = _parse_fast(block, first_line, header) or _parse_slow(block, first_line, header)
                del block
                found, payload, n = _block_rows(parsed, rules, digests, prefix, problems_only=bool(problems))
                problems += found
                if payload is not None:
                    copy.write(payload)
                    rows += n
                if len(problems) >= MAX_REASONS:
                    break
            if problems:
                reasons = [f"line {line}: {what}" for line, what in sorted(problems)[:MAX_REASONS]]
                if len(problems) >= MAX_REASONS:
                    reasons.append("... (stopped after the first errors)")
                raise _Refused(reasons)
            if rows == 0:
                raise _Refused(["no event rows"])
    return rows


# -- synthetic extracts (tests, benchmark, demo) ------------------------------------------

SYNTHETIC_CITIZENSHIPS = ("CHN", "VNM", "AFG", "IND", "TUR", "DEU", "USA", "IRN", "PAK", "SYR", "KOR", "MNG")


def write_synthetic_extract(path: Path, events: int, seed: int = 2005, persons: int | None = None) -> Path:
    """A synthetic URS extract with made-up identifiers (no real person), for tests and the benchmark."""
    import random

    rng = random.Random(seed)
    states = sorted(host_states() - {"GE", "UA"})
    purposes = sorted(PURPOSES)
    people = [
        (
            f"P{rng.randrange(10**8):08d}",
            f"Synthetic Person {i}",
            f"{1950 + rng.randrange(55)}-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}",
            rng.choice(SYNTHETIC_CITIZENSHIPS),
            rng.choice(purposes),
            rng.choice(states),
        )
        for i in range(persons or max(1, events // 3))
    ]
    kinds = rng.choices(("entry", "exit", "work_permit", "offence"), (45, 40, 12, 3), k=events)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(REQUIRED_COLUMNS)
        for kind in kinds:
            passport, name, birth, citizenship, purpose, state = people[rng.randrange(len(people))]
            writer.writerow(
                (
                    kind,
                    passport,
                    name,
                    birth,
                    citizenship,
                    purpose,
                    state,
                    f"BCP-{rng.randrange(40):03d}",
                    f"2017-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}",
                )
            )
    return path
