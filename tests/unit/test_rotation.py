"""When a refresh token may be exchanged (core/rotation.py), and the refresh-token kind's paths
against the emulator (core/carry.py, helpscout.MailboxAuthorization): probe while the stored
access token is valid, exchange only when due and allowed, a broken chain is invalid."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from support.cases import case_for
from vendor_credentials.core.carry import (
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    Carry,
    RotationDeferred,
    parse_iso,
    renewal_due,
)
from vendor_credentials.core.errors import CredentialRejected
from vendor_credentials.core.kind import iso
from vendor_credentials.core.provider import CredentialProvider, ProviderError
from vendor_credentials.core.redact import Redactor
from vendor_credentials.core.rotation import (
    command_saves_refresh,
    pulumi_command_line,
    rotation_saved,
)
from vendor_credentials.emulator import Emulator

KIND = "helpscout.MailboxAuthorization"
CASE = case_for(KIND)


@pytest.mark.parametrize(
    "argv",
    [
        ["pulumi", "refresh", "--yes", "--skip-preview"],
        ["/x/pulumi", "refresh", "--skip-preview", "--yes", "--stack", "dev", "--non-interactive"],
        ["pulumi", "refresh", "-yf", "-s", "dev"],
        ["pulumi", "refresh", "--skip-preview=true", "--yes"],
        ["pulumi", "up", "--yes", "--skip-preview", "--refresh"],
        ["pulumi", "update", "-f", "-r", "-y"],
        ["pulumi", "--cwd", "/p", "--non-interactive", "refresh", "-f"],
        ["pulumi", "-C", "/p", "up", "--refresh=true", "--skip-preview"],
        ["pulumi", "refresh", "-f", "-sdev"],  # -s takes "dev": its letters are no flags
        ["pulumi", "refresh", "-fsdev", "-m", "fix dns"],
        ["pulumi", "up", "-rfy", "--stack", "dev"],
        ["pulumi", "-v=3", "refresh", "-C", "/p", "-f=true"],
        # the Automation API's
        ["pulumi", "--non-interactive", "refresh", "-f", "--exec-kind", "auto.local", "-s", "d"],
    ],
)
def test_refreshes_saved_without_a_preview_phase_may_rotate(argv: list[str]) -> None:
    assert command_saves_refresh(argv)
    assert rotation_saved("read", argv=argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["pulumi", "refresh", "--yes"],  # the preview phase runs first, in another process
        ["pulumi", "refresh", "--skip-preview=false", "--yes"],
        ["pulumi", "refresh", "--preview-only"],
        ["pulumi", "refresh", "--skip-preview", "--preview-only"],
        ["pulumi", "up", "--yes", "--skip-preview"],  # no refresh: a read is an import/get
        ["pulumi", "up", "--yes", "--refresh"],  # preview phase first
        ["pulumi", "up", "--skip-preview", "--refresh=false"],
        ["pulumi", "preview", "--refresh", "--skip-preview"],
        ["pulumi", "destroy", "--refresh", "--skip-preview"],
        ["pulumi", "--some-new-flag", "refresh", "--skip-preview"],  # not recognised
        # pflag reads a value-taking shorthand's letters as its value: `-sfinance` is
        # `--stack finance`, neither -f nor -r
        ["pulumi", "refresh", "-sfinance", "--yes"],
        ["pulumi", "refresh", "--yes", "-mfix dns"],
        ["pulumi", "up", "--refresh", "-sstaff", "--yes"],
        ["pulumi", "up", "--skip-preview", "-sprod"],
        ["pulumi", "refresh", "-m", "-f", "--yes"],  # "-f" is the message
        ["pulumi", "refresh", "--message", "-f", "--yes"],
        ["pulumi", "refresh", "-yz", "--skip-preview"],  # an unknown shorthand: not recognised
        ["pulumi", "refresh", "-f=false"],
        ["pulumi", "refresh", "-fs"],  # -s without its value
        ["pulumi", "refresh", "--", "-f"],  # after "--" an argument, not a flag
        ["pulumi"],
        [],
    ],
)
def test_anything_else_never_rotates_in_read(argv: list[str]) -> None:
    assert not command_saves_refresh(argv)
    assert not rotation_saved("read", argv=argv)


def test_create_and_update_rotate_except_in_a_native_preview_check_and_audit_never() -> None:
    assert rotation_saved("create") and rotation_saved("update")
    assert not rotation_saved("create", preview=True)
    assert not rotation_saved("update", preview=True)
    assert not rotation_saved("check") and not rotation_saved("audit")


def test_no_pulumi_ancestor_means_not_saved() -> None:
    assert pulumi_command_line(os.getpid()) is None  # pytest is not started by pulumi
    assert not rotation_saved("read")


def test_renewal_is_due_within_the_margin() -> None:
    now = datetime.now(UTC)
    assert renewal_due(None)
    assert renewal_due(now + timedelta(minutes=4), now)
    assert not renewal_due(now + timedelta(minutes=6), now)


# -- the kind against the emulator ----------------------------------------------------------


def _prove(emulator: Emulator, carry: Carry) -> tuple[object, list[str]]:
    provider = CredentialProvider(KIND)
    spec = provider._spec(CASE.inputs(emulator.base_url))
    emulator.clear_log()
    validation = provider.prove(spec, Redactor(), carry)
    return validation, [f"{r.method} {r.path} {r.credential}" for r in emulator.requests]


def test_seed_exchange_names_the_user_and_carries_both_tokens(emulator: Emulator) -> None:
    validation, calls = _prove(emulator, Carry(may_rotate=True))
    assert [c.rsplit(" ", 1)[0] for c in calls] == ["POST /v2/oauth2/token", "GET /v2/users/me"]
    assert validation.identity == CASE.sample.identity  # type: ignore[attr-defined]
    carried = validation.carried  # type: ignore[attr-defined]
    assert set(carried) == {REFRESH_TOKEN, ACCESS_TOKEN}
    assert carried[REFRESH_TOKEN] != CASE.secret


def test_valid_stored_access_token_is_probed_without_exchange(emulator: Emulator) -> None:
    first, _ = _prove(emulator, Carry(may_rotate=True))
    expires = datetime.now(UTC) + timedelta(hours=1)
    carry = Carry(stored=first.carried, expires_at=expires, seed_changed=False)  # type: ignore[attr-defined]
    again, calls = _prove(emulator, carry)
    assert [c.split()[1] for c in calls] == ["/v2/users/me"]
    assert again.carried == first.carried  # type: ignore[attr-defined]


def test_due_token_without_permission_defers_and_calls_nobody(emulator: Emulator) -> None:
    first, _ = _prove(emulator, Carry(may_rotate=True))
    past = datetime.now(UTC) - timedelta(minutes=1)
    carry = Carry(stored=first.carried, expires_at=past, seed_changed=False)  # type: ignore[attr-defined]
    with pytest.raises(RotationDeferred, match="pulumi refresh --skip-preview"):
        _prove(emulator, carry)
    assert emulator.count() == 0


def test_due_token_with_permission_uses_the_newest_refresh_token_once(emulator: Emulator) -> None:
    first, _ = _prove(emulator, Carry(may_rotate=True))
    past = datetime.now(UTC) - timedelta(minutes=1)
    carry = Carry(stored=first.carried, expires_at=past, may_rotate=True, seed_changed=False)  # type: ignore[attr-defined]
    second, calls = _prove(emulator, carry)
    assert "#rt" in calls[0] and not calls[0].endswith("#rt0")  # the successor, not the seed
    assert second.carried[REFRESH_TOKEN] != first.carried[REFRESH_TOKEN]  # type: ignore[attr-defined]
    with pytest.raises(CredentialRejected) as caught:  # the spent one is refused: a broken chain
        _prove(emulator, carry)
    assert "vendor-credentials login helpscout" in str(caught.value)
    assert caught.value.field == "refresh_token"


def test_read_keeps_state_when_it_may_not_rotate(emulator: Emulator) -> None:
    provider = CredentialProvider(KIND)
    created = provider.create(CASE.inputs(emulator.base_url))
    stored = {**(created.outs or {}), "expires_at": iso(datetime.now(UTC) - timedelta(hours=1))}
    emulator.clear_log()
    read = provider.read(created.id, stored)  # pytest is no `pulumi refresh --skip-preview`
    assert emulator.count() == 0
    outs = read.outs or {}
    assert outs["status"] == "valid"
    assert "pulumi refresh --skip-preview" in outs["status_reason"]
    assert outs[REFRESH_TOKEN] == stored[REFRESH_TOKEN]
    diff = provider.diff(created.id, stored, CASE.inputs(emulator.base_url))
    assert diff.changes  # so that `pulumi up` renews it in its apply phase


def test_revoked_authorisation_is_invalid_with_the_login_hint(emulator: Emulator) -> None:
    provider = CredentialProvider(KIND)
    created = provider.create(CASE.inputs(emulator.base_url))
    emulator.revoke(CASE.emulator_key)
    try:
        read = provider.read(created.id, dict(created.outs or {}))
    finally:
        emulator.restore(CASE.emulator_key)
    outs = read.outs or {}
    assert outs["status"] == "invalid"
    assert "vendor-credentials login helpscout" in outs["status_reason"]
    assert outs[ACCESS_TOKEN] == (created.outs or {})[ACCESS_TOKEN]  # what it carried is kept


def test_an_access_token_refused_early_says_how_to_renew_it_and_exchanges_when_it_may(
    emulator: Emulator,
) -> None:
    """The vendor refused the stored access token before its recorded expiry (expired early):
    a refresh that may not rotate says how to renew it (not only 'log in again') and marks it
    invalid, so `pulumi up` plans the update; an operation that may rotate exchanges at once."""
    provider = CredentialProvider(KIND)
    created = provider.create(CASE.inputs(emulator.base_url))
    stored = dict(created.outs or {})
    emulator.expire_tokens()
    emulator.clear_log()
    read = provider.read(created.id, stored)  # pytest is no `pulumi refresh --skip-preview`
    assert [r.path for r in emulator.requests] == ["/v2/users/me"]
    outs = read.outs or {}
    assert outs["status"] == "invalid"
    assert "`pulumi refresh --skip-preview` or `pulumi up` renews it" in outs["status_reason"]
    assert "vendor-credentials login helpscout" in outs["status_reason"]
    assert outs[REFRESH_TOKEN] == stored[REFRESH_TOKEN]
    assert provider.diff(created.id, outs, CASE.inputs(emulator.base_url)).changes
    emulator.clear_log()
    updated = provider.update(created.id, outs, CASE.inputs(emulator.base_url))
    paths = [r.path for r in emulator.requests]
    assert paths == ["/v2/users/me", "/v2/oauth2/token", "/v2/users/me"]
    renewed = updated.outs or {}
    assert renewed["status"] == "valid"
    assert renewed[REFRESH_TOKEN] != stored[REFRESH_TOKEN]


def test_audit_marks_the_expiry_as_a_token_and_live_never_rotates(emulator: Emulator) -> None:
    from vendor_credentials.audit.findings import exchanges_token
    from vendor_credentials.audit.live import NOT_PROVED, check_one
    from vendor_credentials.audit.model import Credential

    assert exchanges_token(KIND)
    created = CredentialProvider(KIND).create(CASE.inputs(emulator.base_url)).outs or {}
    cred = Credential(name=CASE.id, kind=KIND, status="valid")
    allowed = frozenset({emulator.base_url})
    emulator.clear_log()
    fresh = check_one(cred, created, allowed)  # the stored access token, probed
    assert fresh.status == "valid" and fresh.identity == CASE.sample.identity
    assert [r.path for r in emulator.requests] == ["/v2/users/me"]
    expired = {**created, "expires_at": iso(datetime.now(UTC) - timedelta(hours=1))}
    emulator.clear_log()
    assert check_one(cred, expired, allowed).live_error == NOT_PROVED
    assert emulator.count() == 0


@pytest.mark.parametrize(
    "fault", ["503", "echo_issued_token"], ids=["probe-unavailable", "probe-rejected-echoing"]
)
def test_a_failed_probe_after_the_exchange_still_saves_the_successor(
    emulator: Emulator, fault: str
) -> None:
    """The exchange spends the presented refresh token: whatever the identity probe answers
    next, the update returns the successor (state keeps the chain; the reason says why)."""
    from vendor_credentials.core.http import HttpSettings

    provider = CredentialProvider(KIND)
    provider.settings = HttpSettings(max_attempts=1)  # type: ignore[misc]
    created = provider.create(CASE.inputs(emulator.base_url))
    olds = {**(created.outs or {}), "expires_at": iso(datetime.now(UTC) - timedelta(hours=1))}
    emulator.inject(fault, path="/v2/users/me", times=1)
    updated = provider.update(created.id, olds, CASE.inputs(emulator.base_url))
    outs = updated.outs or {}
    assert outs[REFRESH_TOKEN] != olds[REFRESH_TOKEN]  # the successor, saved
    assert outs[ACCESS_TOKEN] != olds[ACCESS_TOKEN]
    assert "successor saved" in outs["status_reason"]
    assert outs["status"] == ("valid" if fault == "503" else "invalid")
    assert outs["identity"] == olds["identity"]  # as last known
    for secret in (outs[REFRESH_TOKEN], outs[ACCESS_TOKEN], olds[REFRESH_TOKEN]):
        assert secret not in outs["status_reason"]
    # and the chain goes on from the saved successor
    again = provider.update(created.id, {**outs, "status": "valid"}, CASE.inputs(emulator.base_url))
    assert (again.outs or {})["status"] == "valid"


UNREADABLE_GRANTS = {
    "missing_access_token": "without 'access_token'",
    "bad_expires_in": "'expires_in' that is not a number",
}


def _expired(outs: dict[str, object]) -> dict[str, object]:
    return {**outs, "expires_at": iso(datetime.now(UTC) - timedelta(hours=1))}


def _assert_successor_saved(outs: dict[str, object], olds: dict[str, object], says: str) -> None:
    """The answer's refresh token is in state, the reason says why, and names no token."""
    reason = str(outs["status_reason"])
    assert outs[REFRESH_TOKEN] and outs[REFRESH_TOKEN] != olds[REFRESH_TOKEN]
    assert "successor saved" in reason and says in reason
    assert renewal_due(parse_iso(outs["expires_at"]))  # so the next operation exchanges it
    tokens = (outs[REFRESH_TOKEN], outs[ACCESS_TOKEN], olds[REFRESH_TOKEN], olds[ACCESS_TOKEN])
    for token in (str(t) for t in tokens if t):
        assert token not in reason


@pytest.mark.parametrize("fault", sorted(UNREADABLE_GRANTS))
def test_an_unreadable_token_answer_in_update_still_saves_its_refresh_token(
    emulator: Emulator, fault: str
) -> None:
    """Help Scout answered the exchange (the presented token is spent) with a refresh token
    but no usable access token or expiry: the update must keep the successor, not fail."""
    provider = CredentialProvider(KIND)
    inputs = CASE.inputs(emulator.base_url)
    created = provider.create(inputs)
    olds = _expired(dict(created.outs or {}))
    emulator.inject(fault, path="/v2/oauth2/token", times=1)
    outs = dict(provider.update(created.id, olds, inputs).outs or {})
    _assert_successor_saved(outs, olds, UNREADABLE_GRANTS[fault])
    assert provider.diff(created.id, outs, inputs).changes  # `pulumi up` renews it
    again = dict(provider.update(created.id, outs, inputs).outs or {})
    assert again["status"] == "valid" and again["status_reason"] == ""
    assert again[REFRESH_TOKEN] != outs[REFRESH_TOKEN]  # the chain went on from the successor


@pytest.mark.parametrize("fault", sorted(UNREADABLE_GRANTS))
def test_an_unreadable_token_answer_in_read_still_saves_its_refresh_token(
    emulator: Emulator, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in update, for a read that may rotate (`pulumi refresh --skip-preview`)."""
    import vendor_credentials.core.provider as provider_module

    provider = CredentialProvider(KIND)
    inputs = CASE.inputs(emulator.base_url)
    created = provider.create(inputs)
    stored = _expired(dict(created.outs or {}))
    monkeypatch.setattr(provider_module, "rotation_saved", lambda *_a, **_k: True)
    emulator.inject(fault, path="/v2/oauth2/token", times=1)
    outs = dict(provider.read(created.id, stored).outs or {})
    _assert_successor_saved(outs, stored, UNREADABLE_GRANTS[fault])
    assert outs["status"] == "valid" and outs["identity"] == stored["identity"]
    again = dict(provider.read(created.id, outs).outs or {})
    assert again["status"] == "valid" and again["status_reason"] == ""


WRONG_APP_SECRET = "Zq8Rt2Lm5Vx9Kc3Wb7Ny1Hd4Jf6Gs0Pa2Ue8Io5"


def test_a_changed_app_secret_is_proved_by_an_exchange_before_it_is_stored() -> None:
    """The probe with the stored access token never presents the App Secret: an update that
    changes it exchanges the chained refresh token, so a wrong secret fails the update (the
    engine keeps the old state, the token unspent) and the right one is proved and stored."""
    with Emulator() as emulator:  # this test rotates the app's secret: not the module's one
        provider = CredentialProvider(KIND)
        inputs = CASE.inputs(emulator.base_url)
        created = provider.create(inputs)
        olds = dict(created.outs or {})  # its access token is valid for 48 hours
        emulator.clear_log()
        with pytest.raises(ProviderError) as caught:
            provider.update(created.id, olds, {**inputs, "app_secret": WRONG_APP_SECRET})
        assert [f"{r.method} {r.path}" for r in emulator.requests] == ["POST /v2/oauth2/token"]
        assert WRONG_APP_SECRET not in str(caught.value)
        rotated = {**inputs, "app_secret": emulator.rotate(str(inputs["app_id"]))}
        outs = dict(provider.update(created.id, olds, rotated).outs or {})
        assert outs["status"] == "valid" and outs["app_secret"] == rotated["app_secret"]
        assert outs[REFRESH_TOKEN] != olds[REFRESH_TOKEN]  # the chained token, exchanged once


def test_a_refused_app_secret_names_it_rather_than_asking_for_a_new_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``invalid_client`` is the app's id or secret, not the refresh token: a new login would
    not help, and the user would loop. The error and the refresh's reason name the App Secret."""
    import vendor_credentials.core.provider as provider_module

    with Emulator() as emulator:  # this test rotates the app's secret: not the module's one
        provider = CredentialProvider(KIND)
        inputs = CASE.inputs(emulator.base_url)
        with pytest.raises(ProviderError) as caught:
            provider.create({**inputs, "app_secret": WRONG_APP_SECRET})
        message = str(caught.value)
        assert "invalid_client" in message and "app_secret" in message
        assert "login" not in message and WRONG_APP_SECRET not in message
        created = provider.create(inputs)
        stored = _expired(dict(created.outs or {}))
        emulator.rotate(str(inputs["app_id"]))  # the App Secret was regenerated in Help Scout
        monkeypatch.setattr(provider_module, "rotation_saved", lambda *_a, **_k: True)
        outs = dict(provider.read(created.id, stored).outs or {})
    assert outs["status"] == "invalid"
    assert "App Secret" in outs["status_reason"] and "login" not in outs["status_reason"]
    assert outs[REFRESH_TOKEN] == stored[REFRESH_TOKEN]  # refused before use: kept
