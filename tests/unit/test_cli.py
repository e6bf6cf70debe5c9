"""The command line as a new user meets it: cheap to start, clear about a wrong argument."""

from __future__ import annotations

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
