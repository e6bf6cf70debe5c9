"""The pseudonym of a URS person: the key, its public fingerprint and the keyed HMAC.

``passport_number`` + ``citizenship`` become HMAC-SHA256(key, normalised passport number
"|" normalised citizenship), lower-case hex. Both are normalised first so that one document
written several ways is one person (:func:`normalise_identifier`): Unicode NFKC (full-width
digits and letters become ASCII), upper case, separators removed, and the Cyrillic and Greek
capitals that look like Latin ones replaced by the Latin letter. The key comes from the environment
(``URS_PSEUDONYM_KEY``, or Airflow's ``AIRFLOW_VAR_URS_PSEUDONYM_KEY`` / a secrets backend
through ``Variable.get``), is registered with Airflow's secrets masker and is never written
anywhere; only its fingerprint (:func:`key_id`) is stored, in the extract ledger. Whoever
holds the key and a passport number can recompute that person's pseudonym, so the key stays
with the URS operator (docs/urs_extract_format.md, *The key*).

Pure Python: imports nothing of the project; Airflow only when it is there.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable

import numpy as np

KEY_ENV = "URS_PSEUDONYM_KEY"
AIRFLOW_VARIABLE = "urs_pseudonym_key"
MIN_KEY_BYTES = 32
# The normalisation's version, recorded with each extract in audit.urs_extract_ledger
# (pseudonym_scheme; NULL = 1, before look-alike letters and NFKC): a change of
# normalise_identifier changes pseudonyms and needs a new number (the intake then refuses
# to mix schemes until a re-key).
PSEUDONYM_SCHEME = 2
# The label HMAC'd into a key's fingerprint. Fingerprints of keys already stored in
# audit.urs_extract_ledger depend on these very bytes: never change them.
_KEY_ID_LABEL = b"programme_monitoring.urs key id"
# Latin letters with a Cyrillic or Greek capital that looks the same (after upper-casing):
# a passport number typed on a Cyrillic keyboard must give the same pseudonym. Changing
# this table changes pseudonyms: a change needs a re-key (docs/urs_extract_format.md).
_LOOKALIKES = {
    "A": "АΑ",
    "B": "ВΒ",
    "C": "СϹ",
    "E": "ЕΕ",
    "H": "НΗ",
    "I": "ІӀΙ",
    "J": "Ј",
    "K": "КΚ",
    "M": "МΜ",
    "N": "Ν",
    "O": "ОΟ",
    "P": "РΡ",
    "S": "Ѕ",
    "T": "ТΤ",
    "X": "ХΧ",
    "Y": "УҮΥ",
    "Z": "Ζ",
}
# Separators dropped: every Unicode space, dash, dot, slash and the like (after NFKC).
_SEPARATORS = (
    " \t\r\n\v\f\u00a0\u2007\u202f\u3000-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63./\\_|,:;'\"`´"
)
_IDENTIFIER_MAP = str.maketrans(
    {**{c: latin for latin, cs in _LOOKALIKES.items() for c in cs}, **dict.fromkeys(_SEPARATORS)}
)


class UrsKeyError(RuntimeError):
    """No usable key; the message is one string "English / русский"."""


def pseudonym_key() -> bytes:
    """The HMAC key from the environment (or Airflow's secrets backend); refuses a missing or short key."""
    value = os.environ.get(KEY_ENV) or os.environ.get("AIRFLOW_VAR_" + AIRFLOW_VARIABLE.upper())
    if not value and _in_airflow():
        try:  # inside an Airflow task: Variables resolve through the configured secrets backend
            from airflow.sdk import Variable

            value = Variable.get(AIRFLOW_VARIABLE, default=None)
        except Exception:  # noqa: BLE001 - no Airflow, or not in a task
            value = None
    if not value:
        raise UrsKeyError(
            f"no pseudonymisation key: set {KEY_ENV} (at least {MIN_KEY_BYTES} bytes, e.g. "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`) or the Airflow Variable "
            f"{AIRFLOW_VARIABLE} in a secrets backend / "
            f"нет ключа псевдонимизации: задайте {KEY_ENV} (не менее {MIN_KEY_BYTES} байт, например "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`) или переменную Airflow "
            f"{AIRFLOW_VARIABLE} в хранилище секретов"
        )
    key = value.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise UrsKeyError(
            f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes long / "
            f"ключ псевдонимизации должен быть не короче {MIN_KEY_BYTES} байт"
        )
    mask_in_airflow(value)
    return key


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key: tells which extracts share a key, reveals nothing of it."""
    return hmac.digest(key, _KEY_ID_LABEL, "sha256").hex()[:16]


def normalise_identifier(value: str) -> str:
    """One spelling of a passport number or citizenship code: NFKC, upper case, no separators,
    Cyrillic and Greek look-alike capitals as the Latin letter (``АВ 12–34`` -> ``AB1234``)."""
    if value.isascii():  # the common case: NFKC changes nothing, no look-alike is ASCII
        return value.upper().translate(_IDENTIFIER_MAP)
    return unicodedata.normalize("NFKC", value).upper().translate(_IDENTIFIER_MAP)


normalise_passport = normalise_identifier  # the name the intake's rules use


def pseudonym(key: bytes, passport_number: str, citizenship: str) -> str:
    """HMAC-SHA256(key, normalised passport number | normalised citizenship), lower-case hex (64 chars)."""
    message = f"{normalise_identifier(passport_number)}|{normalise_identifier(citizenship)}".encode()
    return hmac.digest(key, message, "sha256").hex()


def _in_airflow() -> bool:
    """Whether this process runs Airflow (a task's process has imported it)."""
    return "airflow" in sys.modules


def mask_in_airflow(*secrets: str) -> None:
    """Register secrets with Airflow's secrets masker (task logs show ***); no-op outside Airflow.

    A task runs in a process that imported Airflow; ``urs-ingest`` on the command line has no
    Airflow log to mask, and importing Airflow there would read its settings before anything
    set them (it would make ``~/airflow`` and keep that metadata database for the process)."""
    if not _in_airflow():
        return
    try:
        from airflow.sdk.log import mask_secret
    except Exception:  # noqa: BLE001 - Airflow not installed or not importable here
        return
    for secret in secrets:
        if secret:
            mask_secret(secret)


# -- many pseudonyms at once (the intake) -------------------------------------------------

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


def hex_pseudonyms(digests: Digests, messages: list[str]) -> np.ndarray:
    """64 lower-case hex characters per message (already normalised), as numpy bytes (COPY text as it is).

    Called with the distinct persons of a block, with no memory of earlier blocks: a person
    met again in a later block costs one more HMAC, which measured cheaper than looking the
    person up in a dict of the extract's persons (and memory stays flat).
    """
    # one encode for all: no message holds a NUL (the passport and citizenship rules refuse it)
    encoded = "\x00".join(messages).encode().split(b"\x00") if messages else []
    return np.frombuffer(binascii.hexlify(b"".join(digests(encoded))), dtype="S64")
