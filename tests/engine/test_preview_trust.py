"""A preview sends a credential only to its vendor's own hosts or to an origin listed in
`vendor-credentials:trustedOrigins`: a pull request that points `base_url` at its own server
must not receive the secret before review.

One stack declares every kind (support.cases) with `base_url` set to an "attacker" origin, a
recording server on 127.0.0.1 that answers 401 to everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pulumi
import pytest

from support.cases import CASES
from support.leaks import leaks
from support.origins import Origin, origin
from support.stacks import EngineStack

TRUSTED = "vendor-credentials:trustedOrigins"


def program() -> None:
    cfg = pulumi.Config()
    for case in CASES:
        args: dict[str, object] = {case.secret_input: cfg.require_secret(f"{case.id}-secret")}
        args.update(case.plain_inputs(cfg.require("base_url")))  # URLs from the samples
        case.build(case.id, args)


@pytest.fixture(scope="module")
def attacker() -> Iterator[Origin]:
    with origin() as server:
        yield server


@pytest.fixture(scope="module")
def stack(engine: dict[str, str], attacker: Origin) -> Iterator[EngineStack]:
    # The default log level, whatever the environment running the tests sets: at debug the
    # plugin prints its notes, which the assertion on a single warning would count.
    stack = EngineStack("preview-trust", program, {**engine, "VENDOR_CREDENTIALS_LOG_LEVEL": ""})
    stack.set_config({f"{c.id}-secret": c.secret for c in CASES}, secret=True)
    stack.set_config({"base_url": attacker.url})
    yield stack
    stack.stack.workspace.remove_stack(stack.name, force=True)


def test_preview_sends_nothing_to_an_untrusted_base_url_and_says_why(
    stack: EngineStack, attacker: Origin
) -> None:
    outcome = stack.preview()
    assert outcome.ok, outcome
    assert attacker.seen == []
    # one warning per credential (the CLI prints it inline and again under "Diagnostics")
    assert outcome.text.count("preview did not validate this credential") >= len(CASES)
    assert f"{TRUSTED} {attacker.url}" in outcome.text  # how to trust it
    # ... on the credential, from the program: the plugin's own note of it ("<kind>: preview
    # did not validate ...") would reach the CLI through its stderr, shown on the stack
    for case in CASES:
        assert f"{case.kind}: preview did not validate" not in outcome.text, outcome.text


@pytest.mark.parametrize("form", ["comma-separated", "json list"])
def test_a_trusted_origin_is_validated_in_preview(
    stack: EngineStack, attacker: Origin, form: str
) -> None:
    listed = ["https://gateway.example.com", attacker.url + "/"]
    value = ", ".join(listed) if form == "comma-separated" else json.dumps(listed)
    stack.set_config({TRUSTED: value})
    attacker.seen.clear()
    try:
        outcome = stack.preview()
    finally:
        stack.stack.remove_config(TRUSTED)
    assert not outcome.ok  # the trusted origin answered 401: the preview reports the rejection
    assert attacker.seen
    assert "preview did not validate" not in outcome.text
    assert leaks({c.id: c.secret for c in CASES}, [outcome.text]) == []


def test_a_trusted_origins_value_that_is_not_an_origin_fails_clearly(
    stack: EngineStack, attacker: Origin
) -> None:
    stack.set_config({TRUSTED: "https://gateway.example.com/path"})
    attacker.seen.clear()
    try:
        outcome = stack.preview()
    finally:
        stack.stack.remove_config(TRUSTED)
    assert not outcome.ok
    assert TRUSTED in outcome.text and "path" in outcome.text
    assert attacker.seen == []
