"""`vendor-credentials emulator` explains itself: --help, fixed --port, start banner, secrets."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from support.ports import free_port
from vendor_credentials.emulator import DEMO_CREDENTIALS, Fault
from vendor_credentials.emulator.__main__ import CONTROLS
from vendor_credentials.engine import ROOT

COMMAND = [sys.executable, "-m", "vendor_credentials.cli", "emulator"]
SECRETS = [
    v
    for values in DEMO_CREDENTIALS.values()
    for f, v in values.items()
    if "_" in f and f.endswith(("secret", "token", "key"))
]


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, env=env(), check=False
    )


def test_help_lists_every_control_route_the_key_and_the_faults() -> None:
    done = run("--help")
    assert done.returncode == 0, done.stderr
    for method, route, _ in CONTROLS:
        assert f"{method:4} /_emulator/{route}" in done.stdout
    assert "K (key) names a credential" in done.stdout
    assert all(f.value in done.stdout for f in Fault)
    assert "--port" in done.stdout and "--print-secret" in done.stdout


def test_fixed_port_banner_names_the_seeded_credentials_but_no_secret() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*COMMAND, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url == f"http://127.0.0.1:{port}"
        assert httpx.get(url + "/_emulator/stats", timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        _, banner = proc.communicate(timeout=10)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for name in DEMO_CREDENTIALS:
        assert f"  {name}: " in banner
    assert DEMO_CREDENTIALS["talkdesk"]["client_id"] in banner  # ids are shown
    assert [s for s in SECRETS if s in banner] == []  # secrets are not
    assert "--print-secret NAME.FIELD" in banner
    assert f"curl -X POST {url}/_emulator/revoke" in banner


def test_print_secret_prints_one_seeded_value_and_names_the_choices_when_wrong() -> None:
    done = run("--print-secret", "intercom_eu.access_token")
    assert (done.returncode, done.stdout) == (
        0,
        DEMO_CREDENTIALS["intercom_eu"]["access_token"] + "\n",
    )
    wrong = run("--print-secret", "intercom_eu.password")
    assert wrong.returncode == 2
    assert "intercom_eu.access_token" in wrong.stderr


def test_readme_documents_every_control_route_and_the_key() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The vendor emulator", 1)[1].split("\n## ", 1)[0]
    for _, route, _ in CONTROLS:
        assert f"/_emulator/{route}" in section, route
    assert "`key`" in section
    assert "--port" in section and "--print-secret" in section
    seeded = section.split("Seeded names:", 1)[1].split("\n\n", 1)[0]
    assert [n for n in DEMO_CREDENTIALS if f"`{n}`" not in seeded] == []


def test_help_and_readme_know_every_route_the_server_serves() -> None:
    import vendor_credentials.emulator.admin as admin_api

    source = Path(admin_api.__file__).read_text()
    admin = source.split("def handle(", 1)[1].split("def _config(", 1)[0]
    served = set(re.findall(r'name == "(\w+)"', admin))
    assert served == {route for _, route, _ in CONTROLS}


def test_a_port_in_use_is_one_line_naming_the_fix() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("--port", str(port))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"vendor-credentials emulator: cannot listen on 127.0.0.1:{port}: Address already in "
        "use: stop what holds it (another emulator?) or pick another with --port (0: a free one)"
    ]


def test_unreadable_tls_files_are_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")
    done = run("--tls-cert", missing, "--tls-key", missing)
    assert done.returncode == 2
    assert "cannot load --tls-cert/--tls-key" in done.stderr and "Traceback" not in done.stderr
