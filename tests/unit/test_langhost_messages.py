"""The language host's one-line errors send the user to README text that exists."""

from __future__ import annotations

from pathlib import Path

from vendor_credentials.engine import ROOT
from vendor_credentials.langhost import python_problem


def test_a_missing_virtualenv_names_the_fix_and_a_readme_place_that_exists(tmp_path: Path) -> None:
    problem = python_problem(tmp_path / "venv")
    assert problem is not None
    assert "python3 -m venv" in problem and "-m pip install pulumi-vendor-credentials" in problem
    readme = (ROOT / "README.md").read_text()
    assert "'Your own project', 'Installing the package'" in problem
    assert "\n## Your own project" in readme and "- **Installing the package.**" in readme
