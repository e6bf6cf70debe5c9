"""The URS pseudonym: the keyed HMAC of a normalised passport number and citizenship, the key checks."""

from __future__ import annotations

import hmac
import os
import subprocess
import sys

import pytest
from programme_monitoring.urs.pseudonym import (
    KEY_ENV,
    UrsKeyError,
    hex_pseudonyms,
    hmac_sha256,
    key_id,
    normalise_identifier,
    pseudonym,
    pseudonym_key,
)
from urs_samples import KEY, deterministic_rows


@pytest.fixture(autouse=True)
def no_airflow(monkeypatch):
    """Unit tests run without Airflow: the key comes from the environment only, nothing is masked.

    (Importing Airflow here would also fix its settings before the e2e tests configure them.)
    """
    for module in ("airflow", "airflow.sdk", "airflow.sdk.log"):
        monkeypatch.setitem(sys.modules, module, None)


def test_a_changed_key_changes_every_pseudonym():
    rows = deterministic_rows()
    first = {pseudonym(KEY.encode(), r[1], r[4]) for r in rows}
    second = {pseudonym(b"another-key-" + b"1" * 40, r[1], r[4]) for r in rows}
    assert len(first) == len(second) == 20
    assert first.isdisjoint(second)


def test_pseudonym_normalises_the_passport_and_citizenship():
    key = b"k" * 32
    assert pseudonym(key, "ab 123-45.67", "chn") == pseudonym(key, "AB1234567", "CHN")
    assert pseudonym(key, "AB1234567", "CHN") != pseudonym(key, "AB1234567", "VNM")
    assert len(pseudonym(key, "AB1234567", "CHN")) == 64


def test_a_missing_or_short_key_is_refused(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv("AIRFLOW_VAR_URS_PSEUDONYM_KEY", raising=False)
    with pytest.raises(UrsKeyError) as missing:
        pseudonym_key()
    en, ru = str(missing.value).split(" / ")
    assert en.startswith("no pseudonymisation key: set URS_PSEUDONYM_KEY (at least 32 bytes")
    assert ru.startswith("нет ключа псевдонимизации: задайте URS_PSEUDONYM_KEY (не менее 32 байт")
    assert ru.endswith("или переменную Airflow urs_pseudonym_key в хранилище секретов")
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(UrsKeyError) as short:
        pseudonym_key()
    assert str(short.value) == (
        "the pseudonymisation key must be at least 32 bytes long / "
        "ключ псевдонимизации должен быть не короче 32 байт"
    )


def test_the_key_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("AIRFLOW_VAR_URS_PSEUDONYM_KEY", KEY)
    assert pseudonym_key() == KEY.encode()
    monkeypatch.setenv(KEY_ENV, "x" * 32)  # the project's own variable wins
    assert pseudonym_key() == b"x" * 32


def test_the_key_id_is_the_stored_fingerprint():
    """Fingerprints already in audit.urs_extract_ledger were made with this label: it must never change."""
    key = b"k" * 32
    assert key_id(key) == hmac.digest(key, b"programme_monitoring.urs key id", "sha256").hex()[:16]
    assert key_id(key) == "3b7bd7f708c3931e"
    assert key_id(key) != key_id(b"l" * 32)


@pytest.mark.parametrize("length", [1, 32, 64, 65, 200])
def test_the_fast_hmac_is_hmac_sha256(length):
    key = bytes(range(256))[:length] * 1
    messages = [b"", b"AB1234567|CHN", b"x" * 300, "ЖК1234567|KAZ".encode()]
    assert hmac_sha256(key)(messages) == [hmac.digest(key, m, "sha256") for m in messages]


def test_the_intakes_pseudonyms_are_the_pseudonym():
    """hex_pseudonyms (many at once, as COPY bytes) gives what pseudonym gives one by one."""
    key = KEY.encode()
    persons = [("AB1234567", "CHN"), ("ЖК1234567", "KAZ"), ("X1", "VNM")]
    messages = [f"{normalise_identifier(p)}|{c}" for p, c in persons]  # as the reader hands them over
    hexes = hex_pseudonyms(hmac_sha256(key), messages)
    assert [h.decode() for h in hexes] == [pseudonym(key, p, c) for p, c in persons]
    assert len(hex_pseudonyms(hmac_sha256(key), [])) == 0


@pytest.mark.parametrize(
    ("passport", "citizenship"),
    [
        ("АВ1234567", "CHN"),  # Cyrillic А and В
        ("ＡＢ１２３４５６７", "ＣＨＮ"),  # full-width letters and digits
        ("ab\u00a0123\u201345.67", "chn"),  # a no-break space, an en dash, a dot, lower case
        ("аb 1234567", "СНN"),  # a Cyrillic а; Cyrillic С and Н in the citizenship
        ("ΑΒ-1234567", " chn "),  # Greek Alpha and Beta
    ],
)
def test_one_document_written_several_ways_is_one_person(passport, citizenship):
    key = b"k" * 32
    assert pseudonym(key, passport, citizenship) == pseudonym(key, "AB1234567", "CHN")
    assert normalise_identifier(passport) == "AB1234567"


def test_distinct_documents_stay_distinct():
    key = b"k" * 32
    assert pseudonym(key, "AB1234567", "CHN") != pseudonym(key, "AB1234568", "CHN")
    assert pseudonym(key, "ЖК1234567", "KAZ") != pseudonym(key, "K1234567", "KAZ")  # Ж has no Latin twin
    assert normalise_identifier("ЖК 12") == "ЖK12"


def test_outside_airflow_the_masker_leaves_airflow_unimported(tmp_path):
    """``urs-ingest`` on the command line: importing Airflow there would read its settings
    before anything set them (and make ``~/airflow``); a task's process has it imported."""
    code = (
        "import sys; from programme_monitoring.urs.pseudonym import mask_in_airflow; "
        "mask_in_airflow('s3cr3t'); print('airflow' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")} | {"HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"
    assert not (tmp_path / "airflow").exists()
