"""The redactor against every echo a vendor or gateway can make, checked by an independent
detector (support.leaks: any 12-character piece, in plain text or decoded)."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from support.leaks import leaks
from vendor_credentials.core.http import Reply
from vendor_credentials.core.redact import MASK, RUN, Redactor
from vendor_credentials.helpscout import DocsApiKeyKind

SECRET = "Sentinel/Secret+7f3a'9c2e1b=Q\\x"  # characters every encoding treats specially
CLIENT_ID = "client-id-that-is-not-secret"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _echoes(secret: str) -> dict[str, str]:
    raw = secret.encode()
    return {
        "plain": f"Invalid token {secret}",
        "url-encoded": f"token={quote(secret, safe='')}",
        "url-encoded lower-case": f"token={quote(secret, safe='').lower()}",
        "form-encoded": f"client_secret={quote_plus(secret)}&x=1",
        "base64": f"got {base64.b64encode(raw).decode()}",
        "base64 unpadded": f"got {base64.b64encode(raw).decode().rstrip('=')}",
        "base64 url-safe": f"got {base64.urlsafe_b64encode(raw).decode()}",
        "hex": f"key {raw.hex()}",
        "hex upper-case": f"key {raw.hex().upper()}",
        "repr of a non-string field": str({"token": secret, "n": 1}),
        "json": json.dumps({"message": {"token": secret}}),
        "basic header": f"Authorization: Basic {_b64(f'{CLIENT_ID}:{secret}')}",
        "docs basic header": f"Authorization: Basic {_b64(f'{secret}:X')}",
        "base64 inside a longer value, offset 1": _b64(f"a:{secret}"),
        "base64 inside a longer value, offset 2": _b64(f"ab:{secret}"),
        "head of the secret": f"token {secret[:20]}... is wrong",
        "middle of the secret": f"near '{secret[8 : 8 + RUN]}'",
        "tail of the secret": f"...{secret[-15:]}",
    }


@pytest.mark.parametrize(("name", "echo"), _echoes(SECRET).items(), ids=list(_echoes(SECRET)))
def test_every_echo_loses_every_piece_of_the_secret(name: str, echo: str) -> None:
    assert leaks({"secret": SECRET}, [echo]) == ["secret"], "the detector must see the echo"
    redact = Redactor([SECRET])
    redact.add_basic(CLIENT_ID, SECRET)
    redact.add_basic(SECRET, "X")
    redacted = redact(echo)
    assert MASK in redacted
    assert leaks({"secret": SECRET}, [redacted]) == [], redacted


def test_requests_register_their_basic_header_so_a_gateway_echo_is_masked() -> None:
    """The Docs API key travels as Basic ``key:X``: registering the key alone missed it."""
    key = "e42878a511f92cd49d203aa91fa39a2ab1820bde"
    echo = f"Unauthorized: Basic {_b64(f'{key}:X')}"
    redact = Redactor([key])
    redact.add_basic(key, "X")
    assert leaks({"key": key}, [redact(echo)]) == []


def test_a_client_id_stays_readable_outside_the_basic_pair() -> None:
    redact = Redactor()
    redact.add_basic(CLIENT_ID, SECRET)
    assert redact(f"client {CLIENT_ID} was refused") == f"client {CLIENT_ID} was refused"


def test_short_secrets_are_masked_whole_and_ordinary_text_is_untouched() -> None:
    redact = Redactor(["pa55w0rd"])
    assert redact("the password pa55w0rd is wrong") == f"the password {MASK} is wrong"
    assert redact("nothing secret here, just a long sentence") == (
        "nothing secret here, just a long sentence"
    )


def test_a_long_secret_echoed_in_part_is_masked_in_full() -> None:
    secret = ("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_" * 108)[:4096]
    redact = Redactor([secret])
    echo = f"got {secret[100:3000]} and {base64.b64encode(secret[7:900].encode()).decode()}"
    assert leaks({"secret": secret}, [redact(echo)]) == []


def test_clip_redacts_before_it_cuts() -> None:
    redact = Redactor([SECRET])
    text = "x" * 290 + SECRET
    clipped = redact.clip(text, 300)
    assert len(clipped) <= 300
    assert leaks({"secret": SECRET}, [clipped]) == []


def test_vendor_error_text_is_redacted_before_it_is_cut() -> None:
    """A secret straddling the 300-character cut of the vendor's message kept its head."""
    key = "k" + "e42878a511f92cd49d203aa91fa39a2ab1820bde" * 10
    message = "The credential could not be verified. " * 7 + key
    redact = Redactor([key])
    reply = Reply(
        status=401,
        headers={"content-type": "application/json", "Correlation-Id": f"id-{key}"},
        body=json.dumps({"status": 401, "message": message}).encode(),
        endpoint="GET https://docsapi.helpscout.net/v1/sites",
        redactor=redact,
    )
    error = DocsApiKeyKind().rejected(reply, "rejected the API key")
    assert len(error.detail) <= 300
    assert MASK in error.detail
    assert leaks({"key": key}, [str(error), error.reason]) == []
