"""`audit --live` sends secrets only to vendors' own hosts unless an origin is allowed, and
never prints a backend URL's password.

Someone who can write state but lacks the passphrase changes a credential's stored `base_url` to
an "attacker" origin (a recording server on 127.0.0.1). The next `audit --live`, which decrypts,
must send it nothing and say which `base_url` it refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.cases import CASES
from support.leaks import leaks
from support.origins import Origin, origin
from support.stacks import EngineStack
from vendor_credentials.emulator import Emulator

PROJECT = "vendor-credentials-origin-tests"
COMMAND = Path(sys.executable).parent / "vendor-credentials"
CASE = next(case for case in CASES if case.routed_by_base_url)  # it stores a base_url


def run_audit(engine: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), "audit", *args],
        env={**os.environ, **engine},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def retarget(stack: EngineStack, url: str) -> None:
    """Change every stored base_url in state, as a state writer without the passphrase can."""
    exported = stack.cli("stack", "export")
    assert exported.ok, exported
    deployment: dict[str, Any] = json.loads(exported.text)
    for resource in deployment["deployment"]["resources"]:
        for bag in ("inputs", "outputs"):
            if "base_url" in resource.get(bag, {}):
                resource[bag]["base_url"] = url
    path = Path(stack.stack.workspace.work_dir) / "tampered.json"
    path.write_text(json.dumps(deployment))
    imported = stack.cli("stack", "import", "--file", str(path))
    assert imported.ok, imported


@pytest.fixture(scope="module")
def attacker() -> Iterator[Origin]:
    with origin() as server:
        yield server


@pytest.fixture(scope="module")
def tampered(emulator: Emulator, engine: dict[str, str], attacker: Origin) -> Iterator[str]:
    stack = EngineStack("origins", CASE.program(), engine, project=PROJECT)
    stack.set_config({CASE.secret_input: CASE.secret}, secret=True)
    stack.set_config({**CASE.plain, "base_url": emulator.base_url})
    outcome = stack.up()
    assert outcome.ok, outcome
    retarget(stack, attacker.url)
    yield stack.name
    stack.stack.workspace.remove_stack(stack.name, force=True)


def test_live_audit_refuses_a_stored_base_url_that_is_not_allowed(
    engine: dict[str, str], attacker: Origin, tampered: str
) -> None:
    done = run_audit(engine, tampered, "--project", PROJECT, "--live", "--format", "json")
    assert attacker.seen == []  # nothing was sent, not even a request without the secret
    report = json.loads(done.stdout)
    refused = [f for f in report["findings"] if f["code"] == "live_check_failed"]
    assert len(refused) == 1, report["findings"]
    assert attacker.url in refused[0]["message"]
    assert f"--allow-origin {attacker.url}" in refused[0]["message"]
    assert leaks({"secret": CASE.secret}, [done.stdout, done.stderr]) == []


def test_an_allowed_origin_is_contacted(
    engine: dict[str, str], attacker: Origin, tampered: str
) -> None:
    """The counterpart: the recording origin does see the request once the operator allows it."""
    args = ("--project", PROJECT, "--live", "--allow-origin", attacker.url + "/")
    done = run_audit(engine, tampered, *args)
    assert attacker.seen, done.stderr
    assert leaks({"secret": CASE.secret}, [attacker.text()]) == ["secret"]  # what it risks


def test_an_allow_origin_that_is_not_an_origin_is_a_usage_error(engine: dict[str, str]) -> None:
    done = run_audit(engine, "dev", "--live", "--allow-origin", "https://x.example/path")
    assert done.returncode == 2
    assert "--allow-origin" in done.stderr and "path" in done.stderr


def test_a_backend_url_is_printed_without_its_password_or_query_values(
    engine: dict[str, str],
) -> None:
    password, token = "Sentinel-Db-Password-0c9f7e", "Sentinel-Query-Token-5b2d8a"
    url = f"postgres://pulumi:{password}@127.0.0.1:9/pulumi?sslmode=disable&password={token}"
    done = run_audit(engine, "dev", "--backend-url", url)
    assert done.returncode == 2
    assert "postgres://****:****@127.0.0.1:9/pulumi?sslmode=****&password=****" in done.stderr
    assert leaks({"password": password, "token": token}, [done.stdout, done.stderr]) == []
