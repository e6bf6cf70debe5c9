"""The dbt models follow the SQL style of dbt_project/.sqlfluff: `sqlfluff lint models` is clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
SQLFLUFF = Path(sys.executable).with_name("sqlfluff")


@pytest.mark.skipif(not SQLFLUFF.exists(), reason="sqlfluff is a dev dependency (requirements.lock)")
def test_models_have_no_sqlfluff_violations():
    result = subprocess.run(
        [str(SQLFLUFF), "lint", "models", "--nofail", "--format", "github-annotation-native"],
        capture_output=True, text=True, cwd=DBT_PROJECT_DIR, timeout=600,
    )  # fmt: skip
    violations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert not violations, "\n".join(violations)
