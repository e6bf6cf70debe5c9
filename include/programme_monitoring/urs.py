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

The file is streamed: rows are read with the ``csv`` module, checked, pseudonymised and
sent to ``raw.urs_events`` with PostgreSQL's COPY in chunks, inside one transaction
together with its row in ``audit.urs_extract_ledger`` (extract_id = SHA-256 of the
file). A refused extract leaves only its ledger row.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from .settings import SEEDS_DIR, paths
from .warehouse import connect, ensure_urs_tables

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
CHUNK_ROWS = 50_000
PSEUDONYM_CACHE = 200_000
MAX_REASONS = 20
_PASSPORT_DROP = str.maketrans("", "", " \t-./")


class UrsKeyError(RuntimeError):
    pass


def host_states() -> frozenset[str]:
    """ISO2 codes a URS event may name as host state: the reporting states of the reference seed."""
    with open(SEEDS_DIR / "member_states.csv", newline="", encoding="utf-8") as f:
        return frozenset(row["state_code"] for row in csv.DictReader(f))


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def ingest_urs_landing(key: bytes | None = None) -> list[ExtractOutcome]:
    folder = urs_landing()
    files = sorted(p for p in folder.glob("*.csv") if p.is_file()) if folder.exists() else []
    return [ingest_extract(p, key=key) for p in files]


def ingest_extract(path: Path, key: bytes | None = None, chunk_rows: int = CHUNK_ROWS) -> ExtractOutcome:
    """Pseudonymise and load one extract; never raises for a bad file (it is refused with reasons)."""
    started = time.perf_counter()
    key = key if key is not None else pseudonym_key()
    path = Path(path)
    extract_id = _sha256(path)
    outcome = ExtractOutcome(source_file=path.name, extract_id=extract_id, status="loaded")
    with connect() as conn:
        ensure_urs_tables(conn)
        conn.commit()
        previous = conn.execute(
            "select status from audit.urs_extract_ledger where extract_id = %s", (extract_id,)
        ).fetchone()
        if previous and previous[0] == "loaded":
            outcome.status = "duplicate"
            log.info("URS extract %s already loaded (%s)", path.name, extract_id[:12])
            return outcome
        try:
            with conn.transaction():
                conn.execute(
                    "delete from audit.urs_extract_ledger where extract_id = %s and status = 'rejected'",
                    (extract_id,),
                )
                conn.execute(
                    """insert into audit.urs_extract_ledger
                       (extract_id, source_file, file_bytes, status, pseudonym_key_id)
                       values (%s, %s, %s, 'loaded', %s)""",
                    (extract_id, path.name, path.stat().st_size, key_id(key)),
                )
                outcome.event_rows = _copy_events(conn, path, extract_id, key, chunk_rows)
                conn.execute(
                    "update audit.urs_extract_ledger set event_rows = %s where extract_id = %s",
                    (outcome.event_rows, extract_id),
                )
        except _Refused as refused:
            outcome.status = "rejected"
            outcome.reasons = refused.reasons
        except psycopg.errors.DataError as error:
            # PostgreSQL refused a value (e.g. 2023-02-30); its message names the column only.
            outcome.status = "rejected"
            outcome.reasons = [f"a value PostgreSQL refused ({error.diag.context or error.sqlstate})"]
        if outcome.status == "rejected":
            with conn.transaction():
                conn.execute(
                    """insert into audit.urs_extract_ledger
                       (extract_id, source_file, file_bytes, status, pseudonym_key_id, reason)
                       values (%s, %s, %s, 'rejected', %s, %s)
                       on conflict (extract_id)
                       do update set status = 'rejected', reason = excluded.reason""",
                    (extract_id, path.name, path.stat().st_size, key_id(key), "\n".join(outcome.reasons)),
                )
            log.warning("URS extract %s refused: %d reason(s)", path.name, len(outcome.reasons))
    outcome.seconds = time.perf_counter() - started
    if outcome.status == "loaded":
        log.info("URS extract %s: %d events loaded", path.name, outcome.event_rows)
    return outcome


def _copy_events(conn: psycopg.Connection, path: Path, extract_id: str, key: bytes, chunk_rows: int) -> int:
    """Stream the CSV into raw.urs_events; raise _Refused (before commit) if any row is bad."""
    states = host_states()
    reasons: list[str] = []
    rows = 0
    digest = hmac.digest
    drop = _PASSPORT_DROP
    source_file = path.name
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise _Refused(["the file is empty: no header row"])
        header = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise _Refused([f"missing column(s): {', '.join(missing)}"])
        i_type, i_pass, i_cit, i_purpose, i_host, i_bcp, i_date = (
            header.index(c)
            for c in (
                "event_type",
                "passport_number",
                "citizenship",
                "purpose_of_visit",
                "host_state",
                "border_crossing_point",
                "event_date",
            )
        )
        width = len(header)
        columns = ", ".join(RAW_COLUMNS)
        prefix = f"{extract_id}\t{_copy_text(source_file)}\t"
        with conn.cursor().copy(f"copy raw.urs_events ({columns}) from stdin") as copy:
            pending: list[str] = []
            seen: dict[tuple[str, str], str] = {}  # a person's events share one HMAC computation
            for line, row in enumerate(reader, start=2):
                if len(row) != width:
                    if not row:
                        continue
                    reasons.append(f"line {line}: {len(row)} fields, the header has {width}")
                else:
                    event_type = row[i_type].strip().lower()
                    passport = row[i_pass].translate(drop).upper()
                    citizenship = row[i_cit].strip().upper()
                    purpose = row[i_purpose].strip().lower()
                    host = row[i_host].strip().upper()
                    event_date = row[i_date].strip()
                    if (
                        event_type in EVENT_TYPES
                        and passport
                        and host in states
                        and (not purpose or purpose in PURPOSES)
                        and len(citizenship) == 3
                        and citizenship.isascii()
                        and citizenship.isalpha()
                        and len(event_date) == 10
                        and event_date[4] == "-"
                        and event_date[7] == "-"
                        and (event_date[:4] + event_date[5:7] + event_date[8:]).isdigit()
                    ):
                        if reasons:
                            continue  # refused already: only look for more reasons
                        person_key = (passport, citizenship)
                        person = seen.get(person_key)
                        if person is None:
                            if len(seen) >= PSEUDONYM_CACHE:
                                seen.clear()  # memory stays bounded whatever the extract's size
                            person = seen[person_key] = digest(
                                key, f"{passport}|{citizenship}".encode(), "sha256"
                            ).hex()
                        bcp = row[i_bcp].strip()
                        pending.append(
                            f"{prefix}{event_type}\t{person}\t{citizenship}\t{purpose or NULL}\t{host}\t"
                            f"{_copy_text(bcp) if bcp else NULL}\t{event_date}\n"
                        )
                        rows += 1
                    else:
                        reasons.append(
                            f"line {line}: invalid "
                            + ", ".join(
                                _bad_fields(
                                    event_type, passport, citizenship, purpose, host, event_date, states
                                )
                            )
                        )
                if len(reasons) >= MAX_REASONS:
                    reasons.append("... (stopped after the first errors)")
                    break
                if len(pending) >= chunk_rows:
                    copy.write("".join(pending))
                    pending.clear()
            if reasons:
                raise _Refused(reasons)
            if rows == 0:
                raise _Refused(["no event rows"])
            if pending:
                copy.write("".join(pending))
    return rows


def _bad_fields(event_type, passport, citizenship, purpose, host, event_date, states) -> list[str]:
    """Names of the columns of a refused row (never their values)."""
    bad = []
    if event_type not in EVENT_TYPES:
        bad.append("event_type")
    if not passport:
        bad.append("passport_number")
    if len(citizenship) != 3 or not (citizenship.isascii() and citizenship.isalpha()):
        bad.append("citizenship")
    if purpose and purpose not in PURPOSES:
        bad.append("purpose_of_visit")
    if host not in states:
        bad.append("host_state")
    digits = event_date[:4] + event_date[5:7] + event_date[8:]
    if len(event_date) != 10 or event_date[4] != "-" or event_date[7] != "-" or not digits.isdigit():
        bad.append("event_date")
    return bad


NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A value in COPY's text format (backslash, tab and line breaks escaped)."""
    return value.translate(_COPY_ESCAPES)


def urs_ingest_task(files: list[str] | None = None) -> dict:
    """Task body (Airflow or CLI): mask the secrets, ingest the given extracts or the URS landing area."""
    from .warehouse import connection_parts

    mask_in_airflow(connection_parts()["password"])
    key = pseudonym_key()
    outcomes = [ingest_extract(Path(f), key=key) for f in files] if files else ingest_urs_landing(key=key)
    summary = {
        "loaded": {o.source_file: o.event_rows for o in outcomes if o.status == "loaded"},
        "rejected": {o.source_file: o.reasons for o in outcomes if o.status == "rejected"},
        "duplicates": [o.source_file for o in outcomes if o.status == "duplicate"],
    }
    print(
        f"URS intake: {len(summary['loaded'])} extract(s) loaded "
        f"({sum(summary['loaded'].values())} events), {len(summary['rejected'])} refused, "
        f"{len(summary['duplicates'])} already seen"
    )
    return summary


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
