"""A guessable secret whose fingerprint would be unkeyed gets a warning, never the secret.

The warning comes from the program (``CredentialResource``), attached to the resource: a dynamic
provider's ``check`` cannot return warnings, and what the plugin prints reaches the CLI without the
resource's name. The secret is only known inside an ``apply``, and the message names the kind, the
field and why (its length or alphabet), nothing of its value.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import quote

import pulumi
import pytest

from support.stacks import EngineStack
from vendor_credentials import intercom
from vendor_credentials.core.fingerprint import PUBLIC_KEY_ID, key_id
from vendor_credentials.emulator import Emulator

WEAK = "tok-1234"  # accepted by the (emulated) vendor, 8 characters
TEAM_KEY = "GuessTestTeamKey4f8a2c6e0b9d1f3a"
WARNING = "intercom.AccessToken access_token looks guessable (only 8 characters)"


def program() -> None:
    cfg = pulumi.Config()
    token = intercom.AccessToken(
        "weak", access_token=cfg.require_secret("token"), base_url=cfg.require("base_url")
    )
    pulumi.export("fingerprint", token.fingerprint)


def forms(secret: str) -> list[str]:
    return [secret, base64.b64encode(secret.encode()).decode(), quote(secret, safe="")]


@pytest.fixture(scope="module")
def stack(emulator: Emulator, engine: dict[str, str]) -> Iterator[EngineStack]:
    emulator.add("intercom", access_token=WEAK, region="us", label="guessable")
    made = EngineStack("guessable", program, engine)
    made.set_config({"token": WEAK}, secret=True)
    made.set_config({"base_url": emulator.base_url})
    yield made
    made.destroy()


def test_preview_and_up_warn_about_the_unkeyed_guessable_secret(stack: EngineStack) -> None:
    preview = stack.preview()
    assert preview.ok, preview
    up = stack.up()
    assert up.ok, up
    for outcome in (preview, up):
        assert f"warning: {WARNING}" in outcome.text, outcome
        assert "vendor-credentials:fingerprintKey" in outcome.text
    assert up.outputs["fingerprint"].split(":")[1] == PUBLIC_KEY_ID


def test_with_a_team_key_there_is_no_warning_and_the_fingerprint_is_keyed(
    stack: EngineStack,
) -> None:
    stack.set_config({"vendor-credentials:fingerprintKey": TEAM_KEY}, secret=True)
    up = stack.up()
    assert up.ok, up
    assert "looks guessable" not in up.text
    assert up.outputs["fingerprint"].split(":")[1] == key_id(TEAM_KEY)
    assert up.changes.get("update") == 1  # the one-time new fingerprint


def test_neither_secret_nor_key_appears_in_output_or_state(stack: EngineStack) -> None:
    exported = stack.cli("stack", "export")
    assert exported.ok, exported
    text = "\n".join(stack.transcript) + stack.state_file().read_text()
    for secret in (WEAK, TEAM_KEY):
        assert [f for f in forms(secret) if f in text] == []
