"""Transport safety: TLS is always verified, extra CAs come from caBundle or SSL_CERT_FILE, and a
redirect never takes a credential anywhere.

The emulator serves HTTPS with a certificate from a CA these tests make with ``trustme``, so the
verification path is the real one (OpenSSL, through httpx), not a mock.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from vendor_credentials.core.errors import MalformedResponse, RequestNotSent
from vendor_credentials.core.http import HttpSettings, Pacer, Session, _ssl_context
from vendor_credentials.core.kind import Validation
from vendor_credentials.core.provider import _settings_from
from vendor_credentials.core.redact import Redactor
from vendor_credentials.core.registry import kind_for
from vendor_credentials.emulator import DEMO_CREDENTIALS, Emulator

IC = DEMO_CREDENTIALS["intercom_us"]
TD = DEMO_CREDENTIALS["talkdesk"]
HS = DEMO_CREDENTIALS["helpscout_mailbox"]


class Waits:
    """A fake ``sleep`` that records the waits (none are expected here)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def session(kind: str, settings: HttpSettings, waits: Waits | None = None) -> Session:
    vendor = kind_for(kind)
    return Session(
        vendor=vendor.vendor,
        retry_after=vendor.retry_after,
        redactor=Redactor(),
        settings=settings,
        sleep=waits or Waits(),
        pacer=Pacer(),
    )


def probe_intercom(base_url: str, settings: HttpSettings, waits: Waits | None = None) -> Validation:
    vendor = kind_for("intercom.AccessToken")
    spec = vendor.inputs.model_validate({"access_token": IC["access_token"], "base_url": base_url})
    return vendor.validate(spec, session("intercom.AccessToken", settings, waits))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tls") / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def https_emulator(ca: trustme.CA, *hosts: str) -> Emulator:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(context)
    return Emulator(ssl_context=context)


@pytest.fixture(scope="module")
def tls_emulator(ca: trustme.CA) -> Iterator[Emulator]:
    """The emulator over HTTPS with a certificate for 127.0.0.1 from the test CA."""
    with https_emulator(ca, "127.0.0.1", "localhost") as server:
        yield server


def settings_with(ca_bundle: str | None = None) -> HttpSettings:
    # A distinct timeout per test keeps each on its own pooled client (and TLS context).
    return HttpSettings(connect_timeout=2.0, read_timeout=2.0, ca_bundle=ca_bundle)


# -- verification ---------------------------------------------------------------------------------


def test_an_untrusted_certificate_fails_clearly_and_is_not_retried(
    tls_emulator: Emulator,
) -> None:
    tls_emulator.clear_log()
    waits = Waits()
    with pytest.raises(RequestNotSent) as caught:
        probe_intercom(tls_emulator.base_url, settings_with(None), waits)
    message = str(caught.value)
    assert message.startswith(f"intercom: the TLS certificate of {tls_emulator.base_url} is not")
    assert "unable to get local issuer certificate" in message
    assert "vendor-credentials:caBundle" in message
    assert "SSL_CERT_FILE" in message
    assert waits.seconds == []  # the same handshake would fail the same way
    assert tls_emulator.count() == 0  # nothing was sent: the request never left


def test_a_ca_bundle_makes_the_test_ca_trusted(tls_emulator: Emulator, ca_file: str) -> None:
    validation = probe_intercom(tls_emulator.base_url, settings_with(ca_file))
    assert validation.identity["workspace_id"]


def test_ssl_cert_file_makes_the_test_ca_trusted(
    tls_emulator: Emulator, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    validation = probe_intercom(tls_emulator.base_url, settings_with(None))
    assert validation.identity["workspace_id"]


def test_the_cabundle_stack_config_reaches_the_client(tls_emulator: Emulator, ca_file: str) -> None:
    config = Config({"vendor-credentials:caBundle": ca_file}, "vendor-credentials-tests")
    settings = _settings_from(ConfigureRequest(config))
    assert settings.ca_bundle == ca_file
    assert probe_intercom(tls_emulator.base_url, settings).identity["workspace_id"]


def test_a_certificate_for_another_host_is_refused(ca: trustme.CA, ca_file: str) -> None:
    with https_emulator(ca, "vendor.example") as other:
        with pytest.raises(RequestNotSent) as caught:
            probe_intercom(other.base_url, settings_with(ca_file))
        assert other.count() == 0
    assert "is not trusted (IP address mismatch" in str(caught.value)


def test_the_ca_bundle_adds_to_the_default_trust_store(ca: trustme.CA, ca_file: str) -> None:
    with_bundle = _ssl_context(ca_file).get_ca_certs(binary_form=True)
    default = _ssl_context(None).get_ca_certs(binary_form=True)
    assert set(default) < set(with_bundle)  # the vendors' public CAs stay trusted
    test_ca = ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode())
    assert set(with_bundle) - set(default) == {test_ca}


@pytest.mark.parametrize("bundle", [None, "ca"], ids=["default", "with-ca-bundle"])
def test_certificate_and_host_name_verification_are_always_on(
    bundle: str | None, ca_file: str
) -> None:
    context = _ssl_context(ca_file if bundle else None)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def test_an_unreadable_ca_bundle_is_a_clear_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(RequestNotSent) as caught:
        probe_intercom("https://127.0.0.1:9", settings_with(missing))
    message = str(caught.value)
    assert f"could not load the CA certificates of vendor-credentials:caBundle '{missing}'" in (
        message
    )
    assert "PEM file" in message


def test_a_ca_bundle_that_is_not_pem_is_a_clear_error(tmp_path: Path) -> None:
    garbage = tmp_path / "not-a-ca.pem"
    garbage.write_text("this is not a certificate\n")
    with pytest.raises(RequestNotSent) as caught:
        probe_intercom("https://127.0.0.1:9", settings_with(str(garbage)))
    assert "could not load the CA certificates" in str(caught.value)


# -- redirects ------------------------------------------------------------------------------------


class Redirector(ThreadingHTTPServer):
    """Answers every request with a redirect to the same path on ``target``."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RedirectHandler)
        self.status = 302
        self.target = ""
        self.hits = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RedirectHandler(BaseHTTPRequestHandler):
    server: Redirector

    def _redirect(self) -> None:
        length = int(self.headers.get("Content-Length", "0") or "0")
        self.rfile.read(length)
        self.server.hits += 1
        self.send_response(self.server.status)
        self.send_header("Location", self.server.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = _redirect
    do_POST = _redirect

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def redirector(emulator: Emulator) -> Iterator[Redirector]:
    server = Redirector()
    server.target = emulator.base_url
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    emulator.clear_log()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_typed_error_and_the_credential_never_reaches_the_target(
    redirector: Redirector, emulator: Emulator, status: int
) -> None:
    """Talkdesk's token request carries the client secret in a Basic header."""
    redirector.status = status
    vendor = kind_for("talkdesk.ClientCredential")
    spec = vendor.inputs.model_validate(
        {
            "account_name": TD["account_name"],
            "client_id": TD["client_id"],
            "client_secret": TD["client_secret"],
            "base_url": redirector.base_url,
        }
    )
    waits = Waits()
    with pytest.raises(MalformedResponse) as caught:
        vendor.validate(spec, session("talkdesk.ClientCredential", settings_with(None), waits))
    message = str(caught.value)
    assert f"POST {redirector.base_url}/oauth/token -> HTTP {status}" in message
    assert "unexpected redirect, not followed" in message
    assert emulator.base_url in message  # where it wanted to send us
    assert redirector.hits == 1  # not retried either
    assert waits.seconds == []
    assert emulator.count() == 0  # no request reached the redirect target


def test_a_redirect_of_a_form_body_with_the_secret_is_not_followed(
    redirector: Redirector, emulator: Emulator
) -> None:
    """Help Scout's token request carries the App Secret in its form body; 307 would resend it."""
    redirector.status = 307
    vendor = kind_for("helpscout.MailboxCredential")
    spec = vendor.inputs.model_validate(
        {"app_id": HS["app_id"], "app_secret": HS["app_secret"], "base_url": redirector.base_url}
    )
    with pytest.raises(MalformedResponse):
        vendor.validate(spec, session("helpscout.MailboxCredential", settings_with(None)))
    assert emulator.count() == 0
