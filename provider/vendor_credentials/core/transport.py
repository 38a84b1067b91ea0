"""Settings, TLS trust and the process-wide pooled ``httpx.Client`` every vendor request uses.

One client per provider process and TLS setting, shared by the engine's 4 worker threads (httpx
clients are thread-safe), so each vendor host costs one connection setup, not one per resource.
httpx is imported inside the functions: the plugin's check/diff path never needs it.
"""

from __future__ import annotations

import os
import ssl
import threading
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # httpx is imported lazily: the plugin's check/diff path never needs it
    import httpx


@dataclass(frozen=True)
class HttpSettings:
    """Tunables, from stack config ``vendor-credentials:<name>`` (see README, "Settings")."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    max_total_wait: float = 30.0
    max_body_bytes: int = 1_000_000
    ca_bundle: str | None = None


_clients: dict[tuple[object, ...], httpx.Client] = {}
# Loopback origins are called directly, never through HTTP_PROXY / ALL_PROXY: a plain-http request
# to a local gateway (or the emulator) would otherwise travel in clear text to the proxy.
LOOPBACK_PATTERNS = ("all://127.0.0.1", "all://localhost", "all://[::1]")
_clients_lock = threading.Lock()


class _NoCookies(CookieJar):
    """A jar that never keeps a cookie. The client is shared by every credential of the process:
    a cookie one vendor answer set (a session, a load balancer's or a bot filter's) would
    otherwise ride along with the next credential's requests to that host."""

    def set_cookie(self, cookie: Cookie) -> None:
        """Dropped."""

    def extract_cookies(self, response: object, request: object) -> None:
        """Nothing is read from ``Set-Cookie``."""


def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """httpx's default trust (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``) plus ``caBundle``."""
    import httpx

    context = httpx.create_ssl_context(verify=True, trust_env=True)
    if ca_bundle:
        context.load_verify_locations(cafile=ca_bundle)
    return context


def shared_client(settings: HttpSettings) -> httpx.Client:
    """The process-wide pooled client for these settings (created on first use).

    Raises ``OSError`` or ``ssl.SSLError`` when the CA files cannot be loaded.
    """
    key = (
        settings.connect_timeout,
        settings.read_timeout,
        settings.ca_bundle,
        os.environ.get("SSL_CERT_FILE"),
        os.environ.get("SSL_CERT_DIR"),
    )
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                import httpx

                client = httpx.Client(
                    timeout=httpx.Timeout(
                        settings.read_timeout,
                        connect=settings.connect_timeout,
                        pool=settings.connect_timeout + settings.read_timeout,
                    ),
                    limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                    follow_redirects=False,
                    verify=_ssl_context(settings.ca_bundle),
                    trust_env=True,
                    mounts=dict.fromkeys(LOOPBACK_PATTERNS),  # None: the direct transport
                    headers={"User-Agent": "pulumi-vendor-credentials/0.1"},
                    cookies=_NoCookies(),
                )
                _clients[key] = client
    return client


def _certificate_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind a connection error, if that is what it was."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
