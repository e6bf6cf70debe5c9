"""The command line as a new user meets it: cheap to start, clear about a wrong argument."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from programme_monitoring import cli


def test_starting_the_command_imports_no_heavy_library():
    """Every command, ``bin/airflow`` included, goes through cli: its import stays light."""
    probe = (
        "import sys, programme_monitoring.cli; print(sorted({'pandas', 'airflow', 'dbt'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_an_unknown_programme_is_refused_with_the_seeds_codes(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["template", "--programme", "XX", "--year", "2014", "--output", str(tmp_path / "t.xlsx")])
    assert exit_info.value.code == 2
    assert "unknown programme 'XX': choose from CR, IM, THB" in capsys.readouterr().err


def test_a_programme_code_in_lower_case_writes_the_template(tmp_path):
    target = tmp_path / "t.xlsx"
    assert cli.main(["template", "--programme", "thb", "--year", "2014", "--output", str(target)]) == 0
    assert target.stat().st_size > 0


# -- bad arguments of template and council-report: a clear message, never a traceback --


@pytest.mark.parametrize(
    ("output", "words"),
    [
        ("missing/t.xlsx", "does not exist: create it or choose another"),
        (".", "is a folder: name an .xlsx file"),
        ("t.csv", "is written to an .xlsx file"),
    ],
)
def test_template_refuses_an_output_it_cannot_write(capsys, tmp_path, output, words):
    assert (
        cli.main(["template", "--programme", "THB", "--year", "2014", "--output", str(tmp_path / output)])
        == 1
    )
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert any("а" <= ch <= "я" for ch in err.lower())  # said in Russian too
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("command", ["template", "council-report"])
@pytest.mark.parametrize("year", ["abc", "20140", "-1", ""])
def test_a_year_that_is_not_a_year_is_refused(capsys, tmp_path, command, year):
    args = [command, "--year", year]
    if command == "template":
        args += ["--programme", "THB", "--output", str(tmp_path / "t.xlsx")]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code == 2
    assert "is not a year (four digits, e.g. 2014)" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["council-report"],
        ["council-report", "--year", "2014", "--lang", "de"],
        ["template", "--year", "2014"],
    ],
)
def test_missing_or_unknown_arguments_are_named(capsys, args):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and ("required" in err or "invalid choice" in err)


def test_a_command_run_without_a_runtime_folder_prints_no_library_warning():
    # Root in a container, cron, an Airflow worker: XDG_RUNTIME_DIR is not set.
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    probe = [sys.executable, "-c", "import programme_monitoring.warehouse.embedded"]
    result = subprocess.run(probe, capture_output=True, text=True, env=env, check=True)
    assert result.stderr == ""


def test_council_report_says_when_the_warehouse_cannot_be_reached(capsys, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://nobody@127.0.0.1:1/warehouse")
    assert cli.main(["council-report", "--year", "2014"]) == 1
    err = capsys.readouterr().err
    assert "The warehouse cannot be reached" in err and "Хранилище недоступно" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("sender", "words"),
    [
        ("../x", "'../x' is not a registered sender"),
        ("unknown", "'unknown' is not a registered sender"),
        ("secretariat", "query letters go to the states' own senders"),
    ],
)
def test_query_letters_refuse_a_sender_outside_the_registry_and_write_nothing(
    capsys, monkeypatch, tmp_path, sender, words
):
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://nobody@127.0.0.1:1/warehouse")
    assert cli.main(["query-letters", "--sender", sender]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert ("Неизвестный отправитель" in err) or ("секретариату" in err)
    assert not (tmp_path / "var").exists()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "short",
            "the pseudonymisation key must be at least 32 bytes long / "
            "ключ псевдонимизации должен быть не короче 32 байт",
        ),
        (None, "URS_PSEUDONYM_KEY не задан: выгрузки УРС не загружаются"),
    ],
)
def test_urs_ingest_refuses_an_unusable_key_in_english_and_russian(
    capsys, monkeypatch, tmp_path, key, message
):
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://nobody@127.0.0.1:1/warehouse")  # never reached
    monkeypatch.delenv("AIRFLOW_VAR_URS_PSEUDONYM_KEY", raising=False)
    if key is None:
        monkeypatch.delenv("URS_PSEUDONYM_KEY", raising=False)
    else:
        monkeypatch.setenv("URS_PSEUDONYM_KEY", key)
    assert cli.main(["urs-ingest", str(tmp_path / "extract.csv")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("refused / отклонено: ") and message in out
