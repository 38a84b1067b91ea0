"""`vendor-credentials:trustedOrigins`: the origins a preview may send a credential to."""

from __future__ import annotations

import pytest


def test_trusted_origins_accept_a_json_list_or_a_comma_separated_string() -> None:
    from vendor_credentials.core.trust import parse_trusted_origins

    expected = frozenset({"https://gw.example.com", "http://127.0.0.1:8080"})
    assert parse_trusted_origins('["https://gw.example.com/", "http://127.0.0.1:8080"]') == expected
    assert parse_trusted_origins("https://gw.example.com, http://127.0.0.1:8080") == expected
    assert parse_trusted_origins(["https://GW.example.com"]) == {"https://gw.example.com"}
    assert parse_trusted_origins(None) == frozenset()
    with pytest.raises(ValueError, match="trustedOrigins: 'ftp://x' must use https"):
        parse_trusted_origins("ftp://x")


@pytest.mark.parametrize("raw", ["[https://gw.example.com]", '["https://gw.example.com"'])
def test_a_broken_json_list_says_how_to_write_it(raw: str) -> None:
    from vendor_credentials.core.trust import parse_trusted_origins

    with pytest.raises(ValueError) as bad:
        parse_trusted_origins(raw)
    assert "vendor-credentials:trustedOrigins" in str(bad.value)
    assert "--path" in str(bad.value) and "Expecting" not in str(bad.value)


def test_a_rejected_origin_is_shown_without_its_password() -> None:
    from vendor_credentials.core.trust import parse_trusted_origins

    with pytest.raises(ValueError) as bad:
        parse_trusted_origins("ftp://me:pw-Z4xK9qT2@gw.example.com")
    assert "trustedOrigins" in str(bad.value) and "pw-Z4xK9qT2" not in str(bad.value)
