"""`vendor-credentials audit` on real dev and prod stacks, through the real engine and CLI.

One dev and one prod stack of one program (five credentials, four kinds) are shared by the whole
module; the emulator holds credentials registered here only, so revoking them touches no other
module. Tests run in file order: the baseline first, then one drift of each kind applied
together (a shared secret, a removed credential, a region change, a revocation found by a
refresh), then a live check, then a rotation. The CLI runs as a subprocess, as users run it.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pulumi
import pytest

from support.stacks import EngineStack
from vendor_credentials import helpscout, intercom, talkdesk
from vendor_credentials.audit import audit
from vendor_credentials.audit.model import Options
from vendor_credentials.core.fingerprint import is_current
from vendor_credentials.emulator import DEMO_CREDENTIALS, Emulator
from vendor_credentials.emulator.base import new_secret

PROJECT = "vendor-credentials-audit-tests"
COMMAND = Path(sys.executable).parent / "vendor-credentials"
SECRET_KEYS = ("mailboxSecret", "docsKey", "intercomToken", "talkdeskSecret", "legacyToken")


def program() -> None:
    """Five credentials from stack config; `legacy-intercom` only when its token is set."""
    cfg = pulumi.Config()
    base_url = cfg.require("baseUrl")
    helpscout.MailboxCredential(
        "support-mailbox",
        app_id=cfg.require("mailboxAppId"),
        app_secret=cfg.require_secret("mailboxSecret"),
        base_url=base_url,
    )
    helpscout.DocsApiKey("docs-publisher", api_key=cfg.require_secret("docsKey"), base_url=base_url)
    intercom.AccessToken(
        "intercom",
        access_token=cfg.require_secret("intercomToken"),
        region=cfg.require("intercomRegion"),
        base_url=base_url,
    )
    talkdesk.ClientCredential(
        "talkdesk-reporting",
        account_name=cfg.require("talkdeskAccount"),
        client_id=cfg.require("talkdeskClientId"),
        client_secret=cfg.require_secret("talkdeskSecret"),
        base_url=base_url,
    )
    if cfg.get("legacyToken"):
        intercom.AccessToken(
            "legacy-intercom",
            access_token=cfg.require_secret("legacyToken"),
            region="eu",
            base_url=base_url,
        )


@dataclass
class Env:
    """What one environment's stack is made of: its stack, plain config and secrets."""

    name: str
    stack: EngineStack
    plain: dict[str, str]
    secrets: dict[str, str]

    def apply(self) -> None:
        self.stack.set_config(self.plain)
        self.stack.set_config(self.secrets, secret=True)


@dataclass
class World:
    emulator: Emulator
    engine: dict[str, str]
    envs: dict[str, Env] = field(default_factory=dict)
    every_secret: set[str] = field(default_factory=set)

    @property
    def dev(self) -> Env:
        return self.envs["dev"]

    @property
    def prod(self) -> Env:
        return self.envs["prod"]

    def secret(self) -> str:
        """A new secret, remembered for the leak checks."""
        value = new_secret()
        self.every_secret.add(value)
        return value


@dataclass
class Run:
    """One `vendor-credentials audit` subprocess."""

    code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        return json.loads(self.stdout)  # type: ignore[no-any-return]

    def findings(self, code: str) -> list[dict[str, Any]]:
        return [f for f in self.report["findings"] if f["code"] == code]

    def cell(self, name: str, stack: str) -> dict[str, Any] | None:
        row = next(c for c in self.report["credentials"] if c["name"] == name)
        return row["stacks"][stack]  # type: ignore[no-any-return]


def run_cli(world: World, *args: str, **env: str) -> Run:
    done = subprocess.run(
        [str(COMMAND), "audit", *args],
        env={**os.environ, **world.engine, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def audit_json(world: World, *args: str, **env: str) -> Run:
    return run_cli(world, "dev", "prod", "--project", PROJECT, "--format", "json", *args, **env)


def register(world: World, env: str) -> tuple[dict[str, str], dict[str, str]]:
    """Fresh credentials of one environment in the emulator: (plain config, secrets)."""
    em = world.emulator
    app_id, account, client_id = f"audit-{env}-app", f"audit-{env}", f"audit-{env}-client"
    secrets = {key: world.secret() for key in SECRET_KEYS}
    em.add("helpscout_mailbox", app_id=app_id, app_secret=secrets["mailboxSecret"])
    em.add("helpscout_docs", api_key=secrets["docsKey"])
    em.add("intercom", access_token=secrets["intercomToken"], region="eu")
    em.add("intercom", access_token=secrets["legacyToken"], region="eu")
    em.add(
        "talkdesk", account=account, client_id=client_id, client_secret=secrets["talkdeskSecret"]
    )
    plain = {
        "baseUrl": em.base_url,
        "mailboxAppId": app_id,
        "intercomRegion": "eu",
        "talkdeskAccount": account,
        "talkdeskClientId": client_id,
    }
    return plain, secrets


@pytest.fixture(scope="module")
def world(emulator: Emulator, engine: dict[str, str]) -> Iterator[World]:
    """Dev and prod stacks, up, with distinct secrets and the same regions: no drift yet."""
    made = World(emulator, engine)
    made.every_secret |= {
        value
        for seeded in DEMO_CREDENTIALS.values()
        for key, value in seeded.items()
        if key in ("app_secret", "api_key", "access_token", "client_secret")
    }
    for name in ("dev", "prod"):
        plain, secrets = register(made, name)
        env = Env(name, EngineStack(name, program, engine, project=PROJECT), plain, secrets)
        env.apply()
        outcome = env.stack.up()
        assert outcome.ok, outcome
        made.envs[name] = env
    yield made
    emulator.restore(made.prod.plain["talkdeskClientId"])  # only ours: the emulator is shared
    for env in made.envs.values():
        env.stack.stack.workspace.remove_stack(env.name, force=True)


@pytest.fixture(scope="module")
def baseline(world: World) -> Run:
    return audit_json(world)


@pytest.fixture(scope="module")
def drifted(world: World, baseline: Run) -> Run:
    """One drift of each kind, then a refresh of prod after its Talkdesk client was revoked."""
    assert baseline.code == 0, baseline  # the baseline is read before anything drifts
    dev, prod = world.dev, world.prod
    prod.secrets["docsKey"] = dev.secrets["docsKey"]  # one Docs key in both environments
    del prod.secrets["legacyToken"]  # the legacy token is removed from prod only
    prod.stack.stack.remove_config("legacyToken")
    us_token = world.secret()
    world.emulator.add("intercom", access_token=us_token, region="us")
    dev.secrets["intercomToken"], dev.plain["intercomRegion"] = us_token, "us"
    for env in (dev, prod):
        env.apply()
        outcome = env.stack.up()
        assert outcome.ok, outcome
    world.emulator.revoke(prod.plain["talkdeskClientId"])
    outcome = prod.stack.refresh()
    assert outcome.ok, outcome
    return audit_json(world)


def leaked(world: World, text: str) -> list[str]:
    """Every secret (raw or base64, as HTTP Basic carries it) that appears in the text."""
    found = []
    for secret in world.every_secret:
        forms = {secret, base64.b64encode(secret.encode()).decode()}
        if any(form in text for form in forms):
            found.append(secret[:4] + "...")
    return found


# -- baseline ------------------------------------------------------------------------------------
def test_matching_stacks_have_no_findings_and_exit_0(baseline: Run) -> None:
    assert baseline.code == 0, baseline.stderr
    assert baseline.report["findings"] == []
    assert baseline.report["summary"]["total"] == 0


def test_report_has_one_row_per_credential_with_both_stacks(baseline: Run) -> None:
    names = [(c["name"], c["kind"]) for c in baseline.report["credentials"]]
    assert names == [
        ("docs-publisher", "helpscout.DocsApiKey"),
        ("intercom", "intercom.AccessToken"),
        ("legacy-intercom", "intercom.AccessToken"),
        ("support-mailbox", "helpscout.MailboxCredential"),
        ("talkdesk-reporting", "talkdesk.ClientCredential"),
    ]
    assert all(set(c["stacks"]) == {"dev", "prod"} for c in baseline.report["credentials"])


def test_each_cell_shows_status_identity_and_fingerprint_from_state(baseline: Run) -> None:
    cell = baseline.cell("talkdesk-reporting", "prod")
    assert cell is not None
    assert cell["status"] == "valid"
    assert cell["identity"]["account_name"] == "audit-prod"
    assert is_current(cell["fingerprint"])
    assert cell["validated_at"] and cell["source"] == "state"


def test_prod_is_production_by_the_default_pattern(baseline: Run) -> None:
    production = {s["name"]: s["production"] for s in baseline.report["stacks"]}
    assert production == {"dev": False, "prod": True}


# -- drift ---------------------------------------------------------------------------------------
def test_drifted_stacks_exit_1(drifted: Run) -> None:
    assert drifted.code == 1, drifted.stderr
    assert drifted.report["exit_code"] == 1


def test_secret_shared_by_dev_and_prod_is_an_error(drifted: Run) -> None:
    (finding,) = drifted.findings("shared_secret")
    assert finding["severity"] == "error"
    assert finding["credential"] == "docs-publisher"
    assert finding["stacks"] == ["dev", "prod"]


def test_credential_removed_from_prod_is_missing_there(drifted: Run) -> None:
    (finding,) = drifted.findings("missing")
    assert finding["credential"] == "legacy-intercom"
    assert finding["stacks"] == ["prod"]
    assert drifted.cell("legacy-intercom", "prod") is None


def test_region_that_drifted_in_dev_is_a_mismatch(drifted: Run) -> None:
    (finding,) = drifted.findings("region_mismatch")
    assert finding["credential"] == "intercom"
    assert "us in dev" in finding["message"]
    assert "eu in prod" in finding["message"]


def test_credential_revoked_and_refreshed_is_invalid_in_that_stack(
    baseline: Run, drifted: Run
) -> None:
    (finding,) = drifted.findings("invalid")
    assert finding["credential"] == "talkdesk-reporting"
    assert finding["stacks"] == ["prod"]
    cell = drifted.cell("talkdesk-reporting", "prod")
    assert cell is not None and cell["status"] == "invalid"
    # The refresh kept what it last proved: the audit still names the account.
    before = baseline.cell("talkdesk-reporting", "prod")
    assert before is not None and before["identity"]["account_id"]
    assert cell["identity"] == before["identity"]


def test_short_lived_token_expiry_is_shown_but_not_a_finding(drifted: Run) -> None:
    cell = drifted.cell("talkdesk-reporting", "dev")
    assert cell is not None and cell["expires_at"]
    assert cell["expiry"] == "token"
    assert not drifted.findings("expiring") and not drifted.findings("expired")


def test_validation_older_than_max_age_is_stale(world: World, drifted: Run) -> None:
    report = audit(
        ["dev", "prod"],
        project=PROJECT,
        env={**os.environ, **world.engine},
        options=Options(max_age=timedelta(days=7)),
        as_of=datetime.now(UTC) + timedelta(days=8),
    )
    stale_in_dev = {
        f.credential
        for f in report.findings
        if f.code == "stale_validation" and f.stacks == ("dev",)
    }
    assert stale_in_dev == {
        "docs-publisher",
        "intercom",
        "legacy-intercom",
        "support-mailbox",
        "talkdesk-reporting",
    }


@pytest.mark.parametrize("fmt", ["table", "json", "markdown"])
def test_no_secret_appears_in_any_format(world: World, drifted: Run, fmt: str) -> None:
    run = run_cli(world, "dev", "prod", "--project", PROJECT, "--format", fmt)
    assert run.code == 1, run.stderr
    assert "docs-publisher" in run.stdout
    assert leaked(world, run.stdout + run.stderr) == []


# -- live ----------------------------------------------------------------------------------------
@dataclass
class LiveRun:
    run: Run
    state_before: list[dict[str, Any]]
    state_after: list[dict[str, Any]]


@pytest.fixture(scope="module")
def live(world: World, drifted: Run) -> Iterator[LiveRun]:
    """A live audit after dev's mailbox app was revoked at the vendor, without a refresh."""
    app_id = world.dev.plain["mailboxAppId"]
    before = world.dev.stack.credentials()
    world.emulator.revoke(app_id)
    try:
        run = audit_json(world, "--live", "--allow-origin", world.emulator.base_url)
    finally:
        world.emulator.restore(app_id)
    yield LiveRun(run, before, world.dev.stack.credentials())


def test_live_check_finds_a_revocation_state_does_not_know(live: LiveRun) -> None:
    assert live.run.report["mode"] == "live"
    invalid = {f["credential"]: f for f in live.run.findings("invalid")}
    assert "live check" in invalid["support-mailbox"]["message"]
    assert invalid["support-mailbox"]["stacks"] == ["dev"]
    assert live.run.cell("support-mailbox", "dev")["stored_status"] == "valid"  # type: ignore[index]


def test_live_check_writes_nothing_to_state(live: LiveRun) -> None:
    assert live.state_after == live.state_before


def test_live_report_holds_no_secret(world: World, live: LiveRun) -> None:
    assert live.run.code == 1
    assert leaked(world, live.run.stdout + live.run.stderr) == []


# -- rotation ------------------------------------------------------------------------------------
def test_rotating_the_shared_secret_in_dev_only_ends_the_finding(
    world: World, drifted: Run, live: LiveRun
) -> None:
    fresh = world.secret()
    world.emulator.add("helpscout_docs", api_key=fresh)
    world.dev.secrets["docsKey"] = fresh
    world.dev.apply()
    outcome = world.dev.stack.up()
    assert outcome.ok, outcome
    after = audit_json(world)
    assert after.findings("shared_secret") == []
    dev, prod = after.cell("docs-publisher", "dev"), after.cell("docs-publisher", "prod")
    assert dev and prod and dev["fingerprint"] != prod["fingerprint"]
    assert prod["fingerprint"] == drifted.cell("docs-publisher", "prod")["fingerprint"]  # type: ignore[index]


# -- team fingerprint key ------------------------------------------------------------------------
def test_stacks_with_different_fingerprint_keys_are_flagged_until_they_share_one(
    world: World, live: LiveRun
) -> None:
    """A secret shared by stacks whose fingerprints use different keys cannot be seen: the audit
    says so (never silently), and once both use the team key it finds the shared secret."""
    dev, prod = world.dev, world.prod
    team_key = world.secret()
    world.emulator.restore(prod.plain["talkdeskClientId"])  # prod's up must succeed
    prod.secrets["docsKey"] = dev.secrets["docsKey"]  # shared again
    prod.secrets["vendor-credentials:fingerprintKey"] = team_key  # a key in prod only
    prod.apply()
    assert (outcome := prod.stack.up()).ok, outcome
    blind = audit_json(world)
    assert blind.findings("shared_secret") == []
    (warning,) = blind.findings("fingerprints_incomparable")
    assert warning["severity"] == "warning" and warning["stacks"] == ["dev", "prod"]
    assert "public key" in warning["message"]
    assert "vendor-credentials:fingerprintKey" in warning["message"]

    dev.secrets["vendor-credentials:fingerprintKey"] = team_key
    dev.apply()
    assert (outcome := dev.stack.up()).ok, outcome
    assert outcome.changes.get("update") == 5, outcome.changes  # one-time ~ fingerprint each
    seeing = audit_json(world)
    assert seeing.findings("fingerprints_incomparable") == []
    (shared,) = seeing.findings("shared_secret")
    assert shared["credential"] == "docs-publisher"
    for env in (dev, prod):  # the key: in state only as ciphertext
        state = env.stack.state_file().read_text()
        assert leaked(world, state + blind.stdout + seeing.stdout) == []


# -- could not audit -----------------------------------------------------------------------------
def test_unknown_stack_exits_2_naming_the_stacks_there(world: World) -> None:
    run = run_cli(world, "dev", "prdo", "--project", PROJECT)
    assert run.code == 2
    assert run.stdout == ""
    assert "no stack 'prdo'" in run.stderr
    assert "dev, prod" in run.stderr


def test_wrong_passphrase_in_live_mode_exits_2_saying_what_to_set(world: World) -> None:
    run = run_cli(
        world, "dev", "prod", "--project", PROJECT, "--live", PULUMI_CONFIG_PASSPHRASE="wrong"
    )
    assert run.code == 2
    assert "PULUMI_CONFIG_PASSPHRASE" in run.stderr
    assert "leave out --live" in run.stderr


def test_unreachable_backend_exits_2_naming_it(world: World, tmp_path: Path) -> None:
    missing = f"file://{tmp_path}/no-such-backend"
    run = run_cli(world, "dev", "prod", "--backend-url", missing)
    assert run.code == 2
    assert missing in run.stderr
    assert "--backend-url" in run.stderr
