"""Keyed fingerprints (fp2), their families, the guessable-secret check and the provider's use."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from vendor_credentials.core.fingerprint import (
    PUBLIC_KEY,
    PUBLIC_KEY_ID,
    describe_family,
    family,
    fingerprint,
    is_current,
    key_id,
    weakness,
)
from vendor_credentials.core.kind import Validation
from vendor_credentials.core.provider import CredentialProvider

INTERCOM = "intercom.AccessToken"
MAILBOX = "helpscout.MailboxCredential"
TOKEN = "tok_0123456789abcdefghij"
TEAM_KEY = "team-key-Zq8vN2rLx0pW4sYt"


def test_same_kind_key_and_secret_give_the_same_fingerprint() -> None:
    assert fingerprint(INTERCOM, TEAM_KEY, TOKEN) == fingerprint(INTERCOM, TEAM_KEY, TOKEN)
    assert fingerprint(INTERCOM, None, TOKEN) == fingerprint(INTERCOM, "", TOKEN)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((INTERCOM, None, TOKEN), (INTERCOM, None, TOKEN + "x")),
        ((INTERCOM, None, TOKEN), ("talkdesk.ClientCredential", None, TOKEN)),
        ((INTERCOM, None, TOKEN), (INTERCOM, TEAM_KEY, TOKEN)),
        ((MAILBOX, None, "ab", "c"), (MAILBOX, None, "a", "bc")),  # parts are length-prefixed
        ((MAILBOX, None, "a\x00b"), (MAILBOX, None, "a", "b")),
    ],
    ids=["secret", "kind", "key", "split", "separator"],
)
def test_any_difference_changes_the_fingerprint(a: tuple[Any, ...], b: tuple[Any, ...]) -> None:
    assert fingerprint(*a) != fingerprint(*b)


def test_fingerprint_names_scheme_and_key_id_and_holds_neither_secret_nor_key() -> None:
    keyed = fingerprint(INTERCOM, TEAM_KEY, TOKEN)
    scheme, ident, mac = keyed.split(":")
    assert (scheme, ident, len(mac)) == ("fp2", key_id(TEAM_KEY), 16)
    assert is_current(keyed)
    assert TOKEN not in keyed and TEAM_KEY not in keyed and TEAM_KEY[:8] not in keyed
    assert fingerprint(INTERCOM, None, TOKEN).split(":")[1] == PUBLIC_KEY_ID
    assert key_id(PUBLIC_KEY) == PUBLIC_KEY_ID  # the public key is just a key everyone knows


def test_families_tell_what_can_be_compared() -> None:
    keyed = fingerprint(INTERCOM, TEAM_KEY, TOKEN)
    assert family(keyed) == f"fp2:{key_id(TEAM_KEY)}"
    assert family("fp1:0123456789abcdef") == "fp1"
    assert family("[secret]") == family("") == family("fp2:xyz") == ""
    assert not is_current("fp1:0123456789abcdef")
    assert "public key" in describe_family(family(fingerprint(INTERCOM, None, TOKEN)))
    assert key_id(TEAM_KEY) in describe_family(family(keyed))
    assert "old" in describe_family("fp1")


@pytest.mark.parametrize(
    ("secret", "guessable"),
    [
        ("hunter2", True),  # short
        ("a" * 40, True),  # one character repeated
        ("ab" * 20, True),  # two distinct characters
        ("12345678901234567890123", True),  # 23 digits: about 76 bits
        ("6ecCml2WLF9uVrguyBr9nHEBN5ZSUNTygzcyzCTJ", False),  # Help Scout app secret shape
        ("e42878a511f92cd49d203aa91fa39a2ab1820bde", False),  # 40 hex digits
        ("dG9rOjQHFzoFpJoLMBOc1dofdjflQ9BWFbPZpYWYSVNvTmaJe8cmN2SwuQmj=", False),
    ],
)
def test_weakness_flags_short_or_small_alphabet_secrets_without_quoting_them(
    secret: str, guessable: bool
) -> None:
    reason = weakness(secret)
    assert bool(reason) is guessable
    assert secret not in reason


# -- the provider's use ------------------------------------------------------------------------


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> CredentialProvider:
    """An Intercom provider configured with the team key (configure changes class attributes
    and sys.tracebacklimit: all put back after the test)."""
    monkeypatch.setattr(sys, "tracebacklimit", 1000, raising=False)
    for name in ("settings", "preview_validation_enabled", "fingerprint_key"):
        monkeypatch.setattr(CredentialProvider, name, getattr(CredentialProvider, name))
    made = CredentialProvider(INTERCOM)
    made.configure(ConfigureRequest(Config({"vendor-credentials:fingerprintKey": TEAM_KEY}, "p")))
    return made


def stored(fp: str, **overrides: Any) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "access_token": TOKEN,
        "region": "us",
        "description": "",
        "base_url": "",
        "vendor": "intercom",
        "kind": INTERCOM,
        "status": "valid",
        "status_reason": "",
        "identity": {"workspace_id": "abc"},
        "fingerprint": fp,
        "validated_at": "2026-11-30T00:00:00Z",
        "expires_at": "",
        "scopes": [],
        "__provider": "pickle",
    }
    outputs.update(overrides)
    return outputs


def test_configure_takes_the_team_key_from_stack_config(provider: CredentialProvider) -> None:
    assert provider.fingerprint_key == TEAM_KEY
    assert TEAM_KEY not in repr(vars(provider))  # never on the (pickled) instance


def test_a_new_fingerprint_for_the_same_secret_is_a_change(provider: CredentialProvider) -> None:
    news = {
        "access_token": TOKEN,
        "region": "us",
        "fingerprint": fingerprint(INTERCOM, TEAM_KEY, TOKEN),
    }
    relabel = provider.diff("id", stored("fp1:0123456789abcdef"), news)
    assert relabel.changes is True and relabel.replaces == []
    same = provider.diff("id", stored(news["fingerprint"]), news)
    assert same.changes is False


def test_update_of_only_the_fingerprint_calls_no_vendor(
    provider: CredentialProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_vendor(*_: Any) -> Validation:
        raise AssertionError("the vendor was called")

    monkeypatch.setattr(provider, "prove", no_vendor)
    new = fingerprint(INTERCOM, TEAM_KEY, TOKEN)
    olds = stored("fp1:0123456789abcdef")
    news = {"access_token": TOKEN, "region": "us", "description": "", "fingerprint": new}
    outs = provider.update("id", olds, news).outs or {}
    assert outs["fingerprint"] == new
    assert outs["validated_at"] == olds["validated_at"] and "__provider" not in outs


def test_update_of_another_secret_validates_again(
    provider: CredentialProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        provider, "prove", lambda *_: calls.append("vendor") or Validation({"workspace_id": "x"})
    )
    rotated = TOKEN + "rotated"
    news = {
        "access_token": rotated,
        "region": "us",
        "fingerprint": fingerprint(INTERCOM, TEAM_KEY, rotated),
    }
    outs = provider.update("id", stored(fingerprint(INTERCOM, TEAM_KEY, TOKEN)), news).outs or {}
    assert calls == ["vendor"] and outs["fingerprint"] == news["fingerprint"]


def test_read_replaces_an_old_fingerprint_with_the_current_scheme(
    provider: CredentialProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provider, "prove", lambda *_: Validation({"workspace_id": "abc"}))
    outs = provider.read("id", stored("fp1:0123456789abcdef")).outs
    assert outs["fingerprint"] == fingerprint(INTERCOM, TEAM_KEY, TOKEN)
