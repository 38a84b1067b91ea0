"""The README's "Your own project with the `pulumi` CLI", run verbatim, and what it promises.

The README block builds the wheel, installs it from `examples/ci/requirements.txt` into a fresh
virtual environment in a project outside the repository (HOME is a temporary directory), and runs
`pulumi up` through the real CLI and this package's language host against the emulator. Then:
the wheel's contents and build output, a virtualenv that lacks the package (one line naming the
fix), and a CLI killed or piped into `head` (no language host left behind).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from vendor_credentials.emulator import DEMO_IDENTITIES, Emulator
from vendor_credentials.engine import ROOT, TOOLS_BIN

WHEEL = "pulumi_vendor_credentials-0.1.0-py3-none-any.whl"


def readme_block() -> str:
    """The bash block of the README section, exactly as written there."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Your own project with the `pulumi` CLI\n", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "no bash block in the README section"
    return match.group(1)


def clean_env(home: Path, emulator: Emulator) -> dict[str, str]:
    """A new user's shell: no PULUMI_* or virtualenv from this test session, HOME in tmp."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PULUMI_", "VENDOR_CREDENTIALS_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update(
        HOME=str(home),
        # The CLI finds its home from the user database, not $HOME: without this, every run
        # logged the developer's own ~/.pulumi in to this test's backend.
        PULUMI_HOME=str(home / ".pulumi"),
        EMULATOR_URL=emulator.base_url,
        # Pinned like .venv (and served from pip's cache); never any network but loopback.
        PIP_CONSTRAINT=str(ROOT / "requirements.lock"),
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


@dataclass
class OwnProject:
    home: Path
    path: Path
    env: dict[str, str]
    block: subprocess.CompletedProcess[str]

    def run(self, *argv: str, cwd: Path | None = None, timeout: float = 300) -> Any:
        env = {**self.env, "PATH": f"{TOOLS_BIN}:{self.env['PATH']}"}
        env["PULUMI_CONFIG_PASSPHRASE"] = "use-a-long-random-one"
        return subprocess.run(
            argv, cwd=cwd or self.path, env=env, capture_output=True, text=True, timeout=timeout
        )


@pytest.fixture(scope="module")
def own_project(
    tmp_path_factory: pytest.TempPathFactory, emulator: Emulator
) -> Iterator[OwnProject]:
    home = tmp_path_factory.mktemp("home")
    env = clean_env(home, emulator)
    block = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_block()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    project = OwnProject(home, home / "my-credentials", env, block)
    yield project
    if block.returncode == 0:
        project.run("pulumi", "destroy", "--yes", "--non-interactive", "--stack", "dev")


def output_of(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def test_readme_block_installs_the_wheel_elsewhere_and_proves_a_token(
    own_project: OwnProject,
) -> None:
    assert own_project.block.returncode == 0, output_of(own_project.block)[-6000:]
    assert not own_project.path.is_relative_to(ROOT)
    # `pulumi login` wrote this user's home, not the developer's ~/.pulumi
    login = json.loads((own_project.home / ".pulumi" / "credentials.json").read_text())
    assert login["current"] == f"file://{own_project.home}/.pulumi-state"
    venv_python = own_project.path / "venv" / "bin" / "python"
    located = subprocess.run(
        [str(venv_python), "-c", "import vendor_credentials; print(vendor_credentials.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(own_project.path / "venv") in located.stdout  # the wheel, not this checkout
    outputs = own_project.run("pulumi", "stack", "output", "--json", "--stack", "dev")
    identity = json.loads(outputs.stdout)["intercom"]
    assert identity["workspace_id"] == DEMO_IDENTITIES["intercom_eu"]["workspace_id"]
    assert identity["region"] == "eu"


UNTRUSTED_PROGRAM = """\
from vendor_credentials import intercom

intercom.AccessToken("intercom-eu", access_token="x" * 40, base_url="http://127.0.0.1:9")
"""


def test_a_programs_warnings_are_on_its_resource(own_project: OwnProject) -> None:
    """Our language host gives the SDK the engine's address: without it, ``pulumi.log`` printed
    plain text to stderr, which the CLI showed on the stack, not on the credential."""
    assert own_project.block.returncode == 0
    path = make_project(own_project, "warned", "../my-credentials/venv", UNTRUSTED_PROGRAM)
    done = own_project.run(
        "pulumi", "preview", "--json", "--non-interactive", "--stack", "dev", cwd=path
    )
    assert done.returncode == 0, output_of(done)
    diagnostics = json.loads(done.stdout)["diagnostics"]
    untrusted = [d for d in diagnostics if "preview did not validate" in d["message"]]
    assert untrusted, diagnostics
    for diagnostic in untrusted:
        assert diagnostic["severity"] == "warning", diagnostic
        assert diagnostic.get("urn", "").endswith("::intercom-eu"), diagnostic


def test_wheel_builds_without_warnings_with_py_typed_and_licence(tmp_path: Path) -> None:
    build = ["pip", "wheel", "-v", "--no-deps", "--no-cache-dir", "-w", str(tmp_path), str(ROOT)]
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", *build],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, output_of(done)[-4000:]
    warnings = [
        line.strip()
        for line in output_of(done).splitlines()
        if re.search(r"warn", line, re.I) and "byte-compiling is disabled" not in line
    ]
    assert warnings == []
    with zipfile.ZipFile(tmp_path / WHEEL) as wheel:
        names = wheel.namelist()
        metadata = wheel.read("pulumi_vendor_credentials-0.1.0.dist-info/METADATA").decode()
    assert "vendor_credentials/py.typed" in names
    assert "pulumi_vendor_credentials-0.1.0.dist-info/licenses/LICENSE" in names
    assert "License-Expression: Apache-2.0" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "examples/"))]


def make_project(own: OwnProject, name: str, virtualenv: str, program: str) -> Path:
    path = own.home / name
    path.mkdir()
    (path / "Pulumi.yaml").write_text(
        f"name: {name}\nruntime:\n  name: python\n  options:\n    virtualenv: {virtualenv}\n"
    )
    (path / "__main__.py").write_text(program)
    done = own.run("pulumi", "stack", "init", "dev", "--non-interactive", cwd=path)
    assert done.returncode == 0, output_of(done)
    return path


def test_a_virtualenv_without_the_package_fails_with_one_line_naming_the_fix(
    own_project: OwnProject,
) -> None:
    assert own_project.block.returncode == 0
    path = make_project(own_project, "no-package", "empty-venv", "import vendor_credentials\n")
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(path / "empty-venv")], check=True)
    done = own_project.run("pulumi", "preview", "--non-interactive", "--stack", "dev", cwd=path)
    text = output_of(done)
    assert done.returncode != 0
    # One message (the CLI shows it twice: progress and diagnostics), on one line.
    errors = {line.split("error: ", 1)[1] for line in text.splitlines() if "cannot import" in line}
    assert len(errors) == 1, text
    (error,) = errors
    assert "pulumi and vendor_credentials" in error
    assert "-m pip install pulumi-vendor-credentials" in error
    for noise in ("ModuleNotFoundError", "Traceback", "failed to load language plugin"):
        assert noise not in text


TYPO_PROGRAM = """\
from vendor_credentials import intercom


def token() -> intercom.AccessToken:
    return intercom.AccessToken("typo", acess_token="not-used")


token()
"""


def test_a_typo_in_an_input_name_is_one_short_error_pointing_at_the_line(
    own_project: OwnProject,
) -> None:
    assert own_project.block.returncode == 0
    path = make_project(own_project, "typo", "../my-credentials/venv", TYPO_PROGRAM)
    done = own_project.run("pulumi", "preview", "--non-interactive", "--stack", "dev", cwd=path)
    text = output_of(done)
    assert done.returncode != 0
    assert (
        "the program failed: TypeError: AccessToken(): unknown input(s) acess_token; "
        "missing input(s) access_token" in text
    ), text
    assert '__main__.py:5: return intercom.AccessToken("typo", acess_token="not-used")' in text
    assert "__main__.py:8: token()" in text
    for noise in ("Traceback", "inline source", "runpy", "site-packages"):
        assert noise not in text, text


SLOW_PROGRAM = "import time\n\nprint('program started', flush=True)\ntime.sleep(30)\n"


def language_hosts(project: Path) -> list[int]:
    """Our language host processes working in the project directory."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if b"vendor_credentials.langhost" in cmdline and Path(cwd) == project:
            found.append(int(proc.name))
    return found


def wait_for(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return bool(condition())


def test_a_killed_or_piped_cli_leaves_no_language_host(own_project: OwnProject) -> None:
    assert own_project.block.returncode == 0
    path = make_project(own_project, "slow", "../my-credentials/venv", SLOW_PROGRAM)
    env = {**own_project.env, "PATH": f"{TOOLS_BIN}:{own_project.env['PATH']}"}
    env["PULUMI_CONFIG_PASSPHRASE"] = "use-a-long-random-one"
    preview = ["pulumi", "preview", "--non-interactive", "--stack", "dev"]

    cli = subprocess.Popen(
        preview, cwd=path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert wait_for(lambda: language_hosts(path), 120), "the language host never started"
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=10)
        assert wait_for(lambda: not language_hosts(path), 20), language_hosts(path)
    finally:
        if cli.poll() is None:
            cli.kill()

    piped = subprocess.Popen(
        ["bash", "-c", f"{' '.join(preview)} 2>&1 | head -1"],
        cwd=path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: language_hosts(path), 120), "the language host never started"
        piped.wait(timeout=120)  # head exits at once; the CLI dies on its next write
        assert wait_for(lambda: not language_hosts(path), 20), language_hosts(path)
    finally:
        if piped.poll() is None:
            piped.kill()
