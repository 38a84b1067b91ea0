"""The scripts behind the README's two commands: Python discovery, and what the demo installs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib

from vendor_credentials.engine import ROOT

SCRIPTS = ROOT / "scripts"


def pythons(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPTS / "pythons.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_python_discovery_finds_the_running_interpreter() -> None:
    here = "{}.{}".format(*sys.version_info[:2])
    path = f"{os.path.dirname(sys.executable)}:/usr/bin:/bin"
    done = pythons({**os.environ, "PATH": path, "SUPPORTED_PYTHONS": here})
    assert done.returncode == 0, done.stderr
    version, executable, full = done.stdout.split()
    assert version == here
    assert full == "{}.{}.{}".format(*sys.version_info[:3])
    assert os.access(executable, os.X_OK)


def test_python_discovery_names_nothing_and_succeeds_when_a_version_is_absent() -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "SUPPORTED_PYTHONS": "3.99"}
    done = pythons(env)
    assert (done.returncode, done.stdout) == (0, "")


def test_supported_versions_agree_in_pyproject_readme_and_discovery() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    classifiers = [c for c in project["classifiers"] if c.startswith("Programming Language")]
    assert [c.rsplit(" ", 1)[1] for c in classifiers] == ["3.11", "3.12", "3.13"]
    assert (
        'SUPPORTED="${SUPPORTED_PYTHONS:-3.11 3.12 3.13}"' in (SCRIPTS / "pythons.sh").read_text()
    )
    assert "Tested on Python 3.11, 3.12 and 3.13" in (ROOT / "README.md").read_text()


def invoked_scripts(script: str) -> set[str]:
    """The scripts/*.sh a script runs (comments ignored)."""
    code = "\n".join(
        line.split("#", 1)[0] for line in (SCRIPTS / script).read_text().splitlines()[1:]
    )
    return set(re.findall(r"scripts/([a-z-]+\.sh)", code))


def test_the_demo_never_needs_postgresql_only_the_tests_do() -> None:
    assert invoked_scripts("demo.sh") == {"setup.sh"}
    assert invoked_scripts("setup.sh") == {"ensure-engine.sh"}
    assert "postgres.sh" in invoked_scripts("test.sh")
    assert "postgres" not in (SCRIPTS / "ensure-engine.sh").read_text().lower()


def test_every_script_answers_help_with_its_header_and_does_nothing_else() -> None:
    """``--help`` prints the comment at the top and exits 0: it never sets up, installs or tests
    (a bare PATH would make any real work fail)."""
    for script in sorted(SCRIPTS.glob("*.sh")):
        header = [
            line.removeprefix("#").strip()
            for line in script.read_text().splitlines()[1:4]
            if line.startswith("#")
        ]
        for flag in ("--help", "-h"):
            done = subprocess.run(
                ["bash", str(script), flag],
                env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
            assert done.returncode == 0, (script.name, flag, done.stderr)
            assert done.stdout.splitlines()[0].strip() == header[0], (script.name, done.stdout)
            assert done.stderr == "", (script.name, done.stderr)
