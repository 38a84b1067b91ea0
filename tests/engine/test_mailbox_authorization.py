"""helpscout.MailboxAuthorization end to end: `login` with scripted consent, `up`, refreshes that
rotate the single-use refresh token exactly once each, a refresh with a preview phase that burns
nothing, a revoked authorisation, and a plugin killed right after the vendor answered an exchange
(the documented recovery: `login` again, then `pulumi up`). Real engine, real HTTP to the emulator.

The emulator issues 60 s access tokens here (inside the provider's 5-minute renewal margin), so
every refresh after `up` must renew; its clock is also moved past their expiry.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pulumi
import pytest

from support.leaks import leaks
from support.ports import free_port
from support.stacks import EngineStack
from vendor_credentials import helpscout
from vendor_credentials.core.carry import ACCESS_TOKEN, REFRESH_TOKEN
from vendor_credentials.emulator import Emulator
from vendor_credentials.engine import TOOLS_BIN

BROWSER = Path(__file__).resolve().parents[1] / "support" / "browser.py"
APP_ID = "public-app-2c9e"
APP_SECRET = "public-secret-SENTINEL-8b4f1e7a"
KEY = "helpscoutRefreshToken"
TOKEN_PATH = "/v2/oauth2/token"
LOGIN_HINT = "vendor-credentials login helpscout"


def program() -> None:
    cfg = pulumi.Config()
    auth = helpscout.MailboxAuthorization(
        "mailbox",
        app_id=APP_ID,
        app_secret=cfg.require_secret("appSecret"),
        refresh_token=cfg.require_secret(KEY),
        base_url=cfg.require("base_url"),
    )
    for name in ("status", "status_reason", "identity", "expires_at"):
        pulumi.export(name, getattr(auth, name))


def _revealed(value: Any) -> Any:
    """A secret as `stack export --show-secrets` writes it: ``{<sig>, "plaintext": <JSON>}``."""
    if isinstance(value, dict) and "plaintext" in value:
        return json.loads(value["plaintext"])
    return value


@dataclass
class World:
    stack: EngineStack
    emulator: Emulator
    callback: str
    printed: list[str]

    @property
    def cwd(self) -> str:
        return str(self.stack.stack.workspace.work_dir)

    def login(self) -> None:
        env = {k: v for k, v in {**os.environ, **self.stack.env}.items() if k != "DISPLAY"}
        env.update(HELPSCOUT_APP_SECRET=APP_SECRET, BROWSER=f"{sys.executable} {BROWSER} %s")
        args = ["login", "helpscout", APP_ID, "--stack", self.stack.name, "--config-key", KEY]
        args += ["--cwd", self.cwd, "--base-url", self.emulator.base_url]
        args += ["--callback-url", self.callback]
        done = subprocess.run(
            [sys.executable, "-m", "vendor_credentials.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        self.printed += [done.stdout, done.stderr]
        assert done.returncode == 0, done.stderr

    def seed(self) -> str:
        done = self.stack.cli("config", "get", KEY)
        self.stack.transcript.pop()  # shows the secret on purpose
        assert done.ok, done
        return done.text.strip()

    def carried(self) -> dict[str, Any]:
        """Our resource's outputs, secrets revealed (the test's own view of state)."""
        done = self.stack.cli("stack", "export", "--show-secrets")
        self.stack.transcript.pop()
        assert done.ok, done
        resources = json.loads(done.text)["deployment"]["resources"]
        found = [r for r in resources if r["type"].endswith("HelpScoutMailboxAuthorization")]
        assert len(found) == 1, found
        return {k: _revealed(v) for k, v in found[0]["outputs"].items()}

    def token_uses(self) -> list[str]:
        """The emulator's labels of the refresh tokens presented since the last clear."""
        return [
            r.credential or ""
            for r in self.emulator.requests
            if r.path == TOKEN_PATH and "#rt" in (r.credential or "")
        ]

    def expire(self) -> None:
        self.emulator.advance_clock(120)  # past the 60 s tokens' expiry

    def outputs(self) -> dict[str, Any]:
        return self.stack.outputs_of(self.stack.credentials()[0])


@pytest.fixture(scope="module")
def world(emulator: Emulator, engine: dict[str, str]) -> Iterator[World]:
    callback = f"http://127.0.0.1:{free_port()}/callback"
    emulator.add("helpscout_mailbox", app_id=APP_ID, app_secret=APP_SECRET, redirect_url=callback)
    emulator.set_option("helpscout_consent", "approve:ada@acme-demo.example")
    emulator.set_option("helpscout_token_ttl", 60)
    stack = EngineStack("mailbox-authorization", program, engine)
    stack.set_config({"appSecret": APP_SECRET}, secret=True)
    stack.set_config({"base_url": emulator.base_url})
    yield World(stack, emulator, callback, [])
    stack.destroy()


def test_login_writes_the_refresh_token_as_secret_config(world: World) -> None:
    world.login()
    text = Path(world.cwd, f"Pulumi.{world.stack.name}.yaml").read_text()
    assert KEY in text and "secure: v1:" in text
    assert world.seed() not in text


def test_up_proves_it_and_names_the_user(world: World) -> None:
    world.emulator.clear_log()
    outcome = world.stack.up()
    assert outcome.ok, outcome
    assert outcome.outputs["status"] == "valid"
    identity = outcome.outputs["identity"]
    assert identity["email"] == "ada@acme-demo.example" and identity["name"] == "Ada User"
    assert identity["user_id"] and identity["company_id"]
    assert outcome.outputs["expires_at"]
    assert world.token_uses() == [world.token_uses()[0]] and world.token_uses()[0].endswith("#rt0")
    carried = world.carried()
    assert carried[REFRESH_TOKEN] and carried[ACCESS_TOKEN]
    assert carried[REFRESH_TOKEN] != world.seed()


def test_two_refreshes_after_expiry_each_use_one_refresh_token_once(world: World) -> None:
    world.expire()
    world.emulator.clear_log()
    seen: list[str] = []
    for place in (1, 2):
        before = world.carried()[REFRESH_TOKEN]
        outcome = world.stack.refresh()  # Automation: `refresh --yes --skip-preview`
        assert outcome.ok, outcome
        assert world.outputs()["status"] == "valid"
        assert world.carried()[REFRESH_TOKEN] != before
        seen = world.token_uses()
        assert len(seen) == place and seen[-1].endswith(f"#rt{place}"), seen
        world.expire()
    assert len(set(seen)) == len(seen)  # each refresh token used once


def test_the_seed_is_refused_and_state_still_works(world: World) -> None:
    answer = httpx.post(
        f"{world.emulator.base_url}{TOKEN_PATH}",
        data={
            "grant_type": "refresh_token",
            "refresh_token": world.seed(),
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
        },
    )
    assert answer.status_code == 400
    world.emulator.clear_log()
    outcome = world.stack.refresh()
    assert outcome.ok, outcome
    assert world.outputs()["status"] == "valid"
    assert len(world.token_uses()) == 1


def test_refresh_with_a_preview_phase_burns_nothing_and_up_renews(world: World) -> None:
    world.expire()
    before = world.carried()
    world.emulator.clear_log()
    outcome = world.stack.cli("refresh", "--yes")  # preview phase, then apply: never rotates
    assert outcome.ok, outcome
    assert world.emulator.count(path=TOKEN_PATH) == 0
    after = world.carried()
    assert after[REFRESH_TOKEN] == before[REFRESH_TOKEN]
    assert after["status"] == "valid"
    assert "pulumi refresh --skip-preview" in after["status_reason"]
    up = world.stack.up()  # diff plans an update for the due token; the apply phase renews it
    assert up.ok, up
    assert up.outputs["status"] == "valid" and up.outputs["status_reason"] == ""
    assert len(world.token_uses()) == 1
    assert world.carried()[REFRESH_TOKEN] != before[REFRESH_TOKEN]


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _dynamic_plugins(root: int) -> list[int]:
    plugins = []
    for pid in _descendants(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"pulumi.dynamic" in cmdline or b"pulumi-resource-pulumi-python" in cmdline:
            plugins.append(pid)
    return plugins


def test_plugin_killed_after_the_vendor_answered_then_login_and_up_recover(world: World) -> None:
    world.expire()
    before = world.carried()
    world.emulator.clear_log()
    world.emulator.inject("hang", path=TOKEN_PATH, seconds=60)  # the grant is made, the reply held
    refresh = subprocess.Popen(
        [
            str(TOOLS_BIN / "pulumi"),
            "refresh",
            "--yes",
            "--skip-preview",
            "--stack",
            world.stack.name,
        ],
        cwd=world.cwd,
        env={**os.environ, **world.stack.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not any(r.fault == "hang" for r in world.emulator.requests):
            assert time.monotonic() < deadline, "the exchange never reached the emulator"
            assert refresh.poll() is None, refresh.communicate()[0]
            time.sleep(0.05)
        plugins = _dynamic_plugins(refresh.pid)
        assert plugins, "no dynamic provider process under this refresh"
        for pid in plugins:
            os.kill(pid, signal.SIGKILL)
        out, _ = refresh.communicate(timeout=120)
    finally:
        if refresh.poll() is None:
            refresh.kill()
        world.emulator.clear_faults()
    world.stack.transcript.append(out)
    assert refresh.returncode != 0
    assert world.token_uses() == [world.token_uses()[0]]  # the vendor burned one token
    after = world.carried()
    assert after[REFRESH_TOKEN] == before[REFRESH_TOKEN]  # its successor never reached state

    broken = world.stack.refresh()
    assert broken.ok, broken
    outputs = world.outputs()
    assert outputs["status"] == "invalid"
    assert LOGIN_HINT in outputs["status_reason"]

    world.login()  # the documented recovery: login again, then `pulumi up`
    up = world.stack.up()
    assert up.ok, up
    assert up.outputs["status"] == "valid"


def test_revoked_authorisation_is_invalid_on_refresh_with_the_login_hint(world: World) -> None:
    world.emulator.revoke(world.carried()[REFRESH_TOKEN])
    world.expire()
    outcome = world.stack.refresh()
    assert outcome.ok, outcome
    outputs = world.outputs()
    assert outputs["status"] == "invalid"
    assert LOGIN_HINT in outputs["status_reason"] and "then `pulumi up`" in outputs["status_reason"]
    assert outputs["identity"]["email"] == "ada@acme-demo.example"  # whose it was, still shown


def test_no_token_or_secret_was_printed_or_stored_in_plain_text(world: World) -> None:
    secrets = {f"issued-{i}": t for i, t in enumerate(world.emulator.issued_tokens())}
    secrets["app-secret"] = APP_SECRET
    texts = [*world.stack.transcript, *world.printed, world.stack.state_file().read_text()]
    assert leaks(secrets, texts) == []
