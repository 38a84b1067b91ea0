"""Hostile input: every input of every resource, through the provider's real ``check``.

The property: any string (any list, for ``scopes``) either passes check or fails it with one
failure naming that field; check never raises; and an input that passes check leads to requests
to the vendor's own host for that region and account, or to ``base_url``'s host, and nowhere
else. ```check`` validates new credentials with the vendor, so it is driven with the HTTP client
swapped for one that records each request, answers token requests with a token (so the
identity probes that follow are made too) and refuses everything else: every URL the vendor
module would call is seen, nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import string
import typing
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.cases import CASES, KindCase, with_base_url
from vendor_credentials.core import http
from vendor_credentials.core.provider import CredentialProvider, ProviderError
from vendor_credentials.core.registry import kind_for

# Where the generic kinds' sample URLs point for these tests (nothing is sent: see below).
SAMPLE_ORIGIN = "https://api.example.test"
VALID: dict[str, dict[str, Any]] = {
    case.kind: {k: with_base_url(v, SAMPLE_ORIGIN) for k, v in case.sample.inputs.items()}
    for case in CASES
}
BY_KIND = {case.kind: case for case in CASES}


def _normal(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return (
        scheme,
        (parts.hostname or "").lower(),
        parts.port or (443 if scheme == "https" else 80),
    )


def declared_origins(case: KindCase, inputs: dict[str, Any]) -> set[tuple[str, str, int]]:
    """The hosts the kind declares for these inputs' region, or the URLs it was given."""
    hosts = case.declaration.hosts
    if not hosts:  # a generic kind: the URLs in its inputs
        return {_normal(v) for k, v in inputs.items() if k.endswith("url") and v}
    fields = case.declaration.inputs.model_fields
    given = {k: v for k, v in inputs.items() if v != "" or fields[k].default is not None}
    values = case.declaration.inputs.model_validate(given).model_dump()
    region = values.get("region")
    return {
        _normal(template.format(**values))
        for role, template in hosts.items()
        if "." not in role or role.endswith(f".{region}")
    }


def host_fields(case: KindCase) -> list[str]:
    """Inputs interpolated into a declared host name."""
    names = {
        name
        for template in case.declaration.hosts.values()
        for _, name, _, _ in string.Formatter().parse(template)
        if name
    }
    return sorted(names)


FIELDS = [(case.kind, name) for case in CASES for name in case.declaration.inputs.model_fields]
TRIED: Counter[str] = Counter()  # inputs hypothesis tried, per kind and field (in the report)

CYRILLIC_A = "\u0430"  # looks like "a"
LONG = "a" * 10_000
HOSTILE_STRINGS = [
    "evil.example/x#",
    "a@b",
    "a.b",
    "%2e%2e",
    "..",
    f"{CYRILLIC_A}cme",
    LONG,
    "acme\n",
    "\nacme",
    "acme\r\nHost: evil.example",
    "acme\x00",
    "ACME",
    "-acme",
    "acme:443",
    "acme/../evil",
    "acme\\evil",
    "acme?x=",
    "acme#",
    "evil.example:443@acme",
    "127.0.0.1",
    "",
    " ",
    "us ",
    "US",
]
HOSTS = [
    "127.0.0.1",
    "localhost",
    "LOCALHOST",
    "[::1]",
    "::1",
    "127.1",
    "0x7f.1",
    "2130706433",
    "0.0.0.0",
    "[::ffff:127.0.0.1]",
    "127.0.0.1.evil.example",
    "localhost.evil.example",
    "gateway.example",
    "evil.example",
    f"g{CYRILLIC_A}teway.example",
    "xn--80ak6aa92e.com",
    "api.intercom.io@evil.example",
    "evil.example\\@api.intercom.io",
    "evil.example%2f@api.helpscout.net",
    "evil.example\\.api.helpscout.net",
    "",
]
URLS = st.builds(
    lambda scheme, userinfo, host, port, rest: f"{scheme}{userinfo}{host}{port}{rest}",
    st.sampled_from(
        [
            *["https://", "http://", "HTTPS://", "ftp://", "file://", "javascript:", "//"],
            *["https:/", "https:\\\\", "", "data:text/html,", "ws://", "https:///"],
        ]
    ),
    st.sampled_from(["", "user@", "user:pass@", "@", "a@b@", "%40@", ":@"]),
    st.one_of(
        st.sampled_from(HOSTS),
        st.from_regex(r"[a-zA-Z0-9.\-_~%\\\[\]:@!$&'()*+,;=]{0,30}", fullmatch=True),
        st.text(max_size=30),
    ),
    st.sampled_from(["", ":443", ":8443", ":0", ":65536", ":-1", ":abc", ":", ":80:80", ":08"]),
    st.sampled_from(
        ["", "/", "/x", "?q=1", "#f", "?", "#", "/\\evil", "\\", "/..", ";p", "\n", " ", "/%2e"]
    ),
)
STRINGS = st.one_of(
    st.text(max_size=80),
    st.text(st.characters(max_codepoint=127), max_size=80),
    st.from_regex(r"[a-zA-Z0-9\-.@#%/:_\\ ]{0,70}", fullmatch=True),
    st.sampled_from(HOSTILE_STRINGS),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(60, 10_000)),
)


def values_for(field: str) -> st.SearchStrategy[Any]:
    if field.endswith("url"):
        return st.one_of(URLS, STRINGS)
    if field == "scopes":
        return st.one_of(st.lists(STRINGS, max_size=4), STRINGS)
    if field == "region":
        return st.one_of(st.sampled_from(["us", "eu", "au", "ca", "US", " us", "us\n"]), STRINGS)
    return STRINGS


@contextmanager
def recorded_requests() -> Iterator[list[httpx.Request]]:
    """Swap the provider's HTTP client for one that records every request and connects nowhere."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":  # a token endpoint
            token = {"access_token": "issued-by-the-test", "expires_in": 600}
            return httpx.Response(200, json={**token, "scope": "account:read"})
        raise httpx.ConnectError("refused by the test", request=request)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    try:
        with (
            mock.patch.object(http, "shared_client", lambda _settings: client),
            mock.patch.object(CredentialProvider, "settings", http.HttpSettings(max_attempts=1)),
            mock.patch.object(CredentialProvider, "preview_validation_enabled", True),
            # every origin trusted: these tests follow where a preview's requests go
            mock.patch("vendor_credentials.core.provider.preview_may_send", lambda *_: True),
        ):
            yield seen
    finally:
        client.close()


def allowed_origins(kind: str, news: dict[str, Any]) -> set[tuple[str, str, int]]:
    """Where the requests of these inputs may go, worked out here from the declared data."""
    base_url = news.get("base_url")
    if base_url:
        return {_normal(base_url)}
    return declared_origins(BY_KIND[kind], news)


def origin_of(request: httpx.Request) -> tuple[str, str, int]:
    url = request.url
    scheme = url.scheme
    return (
        scheme,
        url.raw_host.decode("ascii").lower(),
        url.port or (443 if scheme == "https" else 80),
    )


def check_safely(kind: str, field: str, news: dict[str, Any]) -> None:
    """The property, for one set of inputs."""
    with recorded_requests() as seen:
        result = CredentialProvider(kind).check({}, news)
        if not result.failures and not kind_for(kind).validates_in_preview:
            # Its check never calls the vendor (a preview cannot save a rotation): create does.
            with contextlib.suppress(ProviderError):
                CredentialProvider(kind).create(dict(result.inputs or news))
    if result.failures:
        assert [failure.property for failure in result.failures] == [field]
        assert result.failures[0].reason.startswith(f"{field} ")
        assert seen == []  # refused inputs are refused before any request
        return
    assert seen, "inputs passed check but no request could be made with them"
    assert {origin_of(request) for request in seen} <= allowed_origins(kind, news)


@pytest.fixture(scope="module", autouse=True)
def report_tried() -> Iterator[None]:
    yield
    total = sum(TRIED.values())
    print(f"\nhostile inputs tried by hypothesis: {total} ({len(TRIED)} kind/field pairs)")


@pytest.mark.parametrize(("kind", "field"), FIELDS, ids=[f"{k}.{f}" for k, f in FIELDS])
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_input_passes_check_or_fails_naming_its_field_and_never_calls_another_host(
    kind: str, field: str, data: st.DataObject
) -> None:
    value = data.draw(values_for(field), label=field)
    TRIED[f"{kind}.{field}"] += 1
    check_safely(kind, field, {**VALID[kind], field: value})


# -- explicit examples ----------------------------------------------------------------------------

HOSTILE_HOST_LABELS = [
    "evil.example/x#",
    "a@b",
    "a.b",
    "%2e%2e",
    f"{CYRILLIC_A}cme",
    LONG,
    "acme\n",
    "acme\r\nHost: evil.example",
    "ACME",
    "-acme",
    "acme-",
    "acme:443",
    "acme/../evil",
    "a" * 64,
    "",
]
HOST_FIELDS = [(case.kind, name) for case in CASES for name in host_fields(case)]


@pytest.mark.parametrize("label", HOSTILE_HOST_LABELS, ids=repr)
@pytest.mark.parametrize(("kind", "field"), HOST_FIELDS, ids=[f"{k}.{f}" for k, f in HOST_FIELDS])
def test_a_hostile_host_label_fails_check_naming_its_field(
    kind: str, field: str, label: str
) -> None:
    with recorded_requests() as seen:
        result = CredentialProvider(kind).check({}, {**VALID[kind], field: label})
    assert [failure.property for failure in result.failures] == [field]
    assert seen == []


HOSTILE_BASE_URLS = [
    "https://user:pass@gateway.example",
    "https://user@gateway.example",
    "https://api.intercom.io@evil.example",
    "https://gateway.example/path",
    "https://gateway.example/?",
    "https://gateway.example?x=1",
    "https://gateway.example#frag",
    "https://gateway.example?",
    "https://gateway.example#",
    "ftp://gateway.example",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:text/html,hi",
    "http://gateway.example",
    "http://127.0.0.1.evil.example",
    "http://localhost.evil.example",
    "http://0x7f.1",
    f"https://g{CYRILLIC_A}teway.example",
    " https://gateway.example",
    "https://gateway.example\n",
    "https://gateway.example:99999",
    "https://:443",
    "https://",
    "//gateway.example",
    "gateway.example",
    "https://" + LONG + "/x",
]


@pytest.mark.parametrize("base_url", HOSTILE_BASE_URLS, ids=lambda u: repr(u[:40]))
@pytest.mark.parametrize("kind", list(VALID))
def test_a_hostile_base_url_fails_check_naming_base_url(kind: str, base_url: str) -> None:
    with recorded_requests() as seen:
        result = CredentialProvider(kind).check({}, {**VALID[kind], "base_url": base_url})
    assert [failure.property for failure in result.failures] == ["base_url"]
    assert seen == []


ACCEPTED_BASE_URLS = [
    "https://gateway.example",
    "https://GATEWAY.example:8443",
    "https://gateway.example/",
    "http://127.0.0.1:8080",
    "http://localhost",
    "http://[::1]:9000",
    "https://[2001:db8::1]",
    "https://xn--80ak6aa92e.com",
]


@pytest.mark.parametrize("base_url", ACCEPTED_BASE_URLS)
@pytest.mark.parametrize("kind", [case.kind for case in CASES if case.routed_by_base_url])
def test_an_accepted_base_url_receives_every_request(kind: str, base_url: str) -> None:
    check_safely(kind, "base_url", {**VALID[kind], "base_url": base_url})


REGIONS = [
    (case.kind, region)
    for case in CASES
    if "region" in case.declaration.inputs.model_fields
    for region in typing.get_args(case.declaration.inputs.model_fields["region"].annotation)
]


@pytest.mark.parametrize(("kind", "region"), REGIONS)
def test_each_region_calls_only_its_own_hosts(kind: str, region: str) -> None:
    news = {**VALID[kind], "region": region}
    with recorded_requests() as seen:
        result = CredentialProvider(kind).check({}, news)
    assert result.failures == []
    assert {origin_of(request) for request in seen} == allowed_origins(kind, news)
