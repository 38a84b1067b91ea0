"""Remove secrets from any text before it can reach a message, a log line or a report.

Secrets are registered before the first request of an operation (and every token a vendor issues
during it, and every form a request sends, such as an HTTP Basic header). The redactor masks:

* any run of ``RUN`` or more characters of a secret, not just whole matches: an echo cut short,
  spliced into other text or partly quoted still loses every long piece;
* the same in each encoding a secret travels or is echoed in: URL encoding (upper- and lower-case
  ``%xx``, ``+`` for spaces), base64 and URL-safe base64 at each of the three byte alignments
  (so a secret inside a longer base64 string, like Basic's ``user:secret``, is caught too), hex,
  and the escaping of ``repr`` and JSON (a vendor error field that is not a string);
* whole shorter secrets (4 to ``RUN - 1`` characters) wherever they appear.

Speed: registering is cheap (the forms of a secret are computed once per process and joined
into one search string), because every operation registers its secrets and tokens while most
never redact more than a few short identity values. A message is scanned once with a window of
``RUN`` characters: short messages search each window in the joined forms; long ones (errors,
reports) look each window up in an index of every ``RUN``-character piece, built per secret on
first need and cached.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import quote, quote_plus

MASK = "[REDACTED]"
RUN = 12  # any run of this many characters of a secret (or of an encoding of it) is masked
_MIN_SECRET_LEN = 4  # shorter strings would mask ordinary words; check() refuses empty secrets
_PERCENT = re.compile(r"%[0-9A-F]{2}")
_SECRET_KEYS = ("pass", "secret", "token", "key", "auth")  # query keys whose values are secret


def _lower_percent(text: str) -> str:
    return _PERCENT.sub(lambda m: m.group().lower(), text)


def _escaped(secret: str) -> set[str]:
    """The secret as ``repr`` and JSON show it inside a larger structure."""
    return {
        repr(secret)[1:-1],
        secret.replace("\\", "\\\\").replace("'", "\\'"),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }


def _base64_forms(raw: bytes) -> set[str]:
    """Standard and URL-safe base64, with and without padding, at each byte alignment."""
    forms: set[str] = set()
    for start in range(3):
        chunk = raw[start:]
        for encoded in (base64.b64encode(chunk), base64.urlsafe_b64encode(chunk)):
            text = encoded.decode()
            forms |= {text, text.rstrip("=")}
    return forms


@lru_cache(maxsize=256)
def variants(secret: str) -> frozenset[str]:
    """Every form of ``secret`` this package knows it may travel or be echoed in."""
    raw = secret.encode()
    forms = {secret, raw.hex(), raw.hex().upper(), *_escaped(secret), *_base64_forms(raw)}
    for encoded in (quote(secret, safe=""), quote_plus(secret)):
        forms |= {encoded, _lower_percent(encoded)}
    return frozenset(f for f in forms if len(f) >= _MIN_SECRET_LEN)


@lru_cache(maxsize=256)
def _split_forms(secret: str) -> tuple[str, frozenset[str]]:
    """(the long forms joined by NUL for substring search, the short forms matched whole)."""
    forms = variants(secret)
    long_forms = sorted(f for f in forms if len(f) >= RUN)
    return "\0".join(long_forms), frozenset(f for f in forms if len(f) < RUN)


@lru_cache(maxsize=256)
def _pieces(secret: str) -> frozenset[str]:
    """Every ``RUN``-character piece of the long forms (the index for long messages)."""
    pieces: set[str] = set()
    for form in variants(secret):
        if len(form) >= RUN:
            pieces.update(form[i : i + RUN] for i in range(len(form) - RUN + 1))
    return frozenset(pieces)


# Messages up to this length are searched in the joined forms; longer ones use the piece index.
_SEARCH_LIMIT = 160


def basic_forms(user: str, password: str) -> set[str]:
    """What an HTTP Basic header carries: base64 of ``user:password`` (padded or not)."""
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    urlsafe = base64.urlsafe_b64encode(f"{user}:{password}".encode()).decode()
    return {encoded, encoded.rstrip("="), urlsafe, urlsafe.rstrip("="), f"{user}:{password}"}


class Redactor:
    """Masks registered secrets (any long piece of them, in any known encoding) in text."""

    __slots__ = ("_haystack", "_order", "_secrets", "_whole")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []  # with long forms, in registration order
        self._haystack = ""  # their long forms, NUL-separated
        self._whole: set[str] = set()  # matched whole: short secrets, Basic user:password forms
        self._order: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Register a secret (an input secret, or a token a vendor just issued)."""
        if len(secret) < _MIN_SECRET_LEN or secret in self._secrets:
            return
        joined, short = _split_forms(secret)
        if joined:
            self._secrets.append(secret)
            self._haystack = f"{self._haystack}\0{joined}" if self._haystack else joined
        if short - self._whole:
            self._whole |= short
            self._order = sorted(self._whole, key=len, reverse=True)

    def add_basic(self, user: str, password: str) -> None:
        """Register an HTTP Basic pair: the password, and the header's encoding of the pair.

        The user part (a client id, or a Docs API key with password ``X``) is masked only inside
        the pair: a client id is not a secret and stays readable elsewhere.
        """
        self.add(password)
        self._whole |= {f for f in basic_forms(user, password) if len(f) >= _MIN_SECRET_LEN}
        self._order = sorted(self._whole, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for form in self._order:
            if form in text:
                text = text.replace(form, MASK)
        return self._mask_runs(text) if self._secrets else text

    def clip(self, text: str, limit: int) -> str:
        """Redact, then cut to ``limit`` characters: a cut never leaves half a secret behind."""
        redacted = self(text)
        return redacted if len(redacted) <= limit else redacted[: limit - 3] + "..."

    def _is_piece(self, text: str) -> Callable[[str], bool]:
        """Whether a ``RUN``-character window is a piece of a registered secret's form."""
        if len(text) <= _SEARCH_LIMIT:
            haystack = self._haystack
            return lambda window: "\0" not in window and window in haystack
        indexes = [_pieces(secret) for secret in self._secrets]
        return lambda window: any(window in index for index in indexes)

    def _mask_runs(self, text: str) -> str:
        is_piece = self._is_piece(text)
        spans: list[tuple[int, int]] = []
        for i in range(len(text) - RUN + 1):
            if is_piece(text[i : i + RUN]):
                if spans and i <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], i + RUN)
                else:
                    spans.append((i, i + RUN))
        if not spans:
            return text
        out: list[str] = []
        last = 0
        for start, end in spans:
            out += [text[last:start], MASK]
            last = end
        out.append(text[last:])
        return "".join(out)


def safe_url(url: str) -> str:
    """``url`` fit to print: user info and every query value masked (``****``), like
    ``postgres://****:****@db:5432/pulumi?sslmode=****``. Anything unparsable is masked whole
    after its scheme. Every URL this package prints goes through here."""
    from urllib.parse import parse_qsl, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        scheme, sep, _ = url.partition("://")
        return f"{scheme}://****" if sep else "****"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        netloc = ("****:****@" if parts.password is not None else "****@") + netloc
    query = "&".join(f"{key}=****" for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, "****" if parts.fragment else ""))


def url_redactor(url: str) -> Redactor:
    """A redactor for text that may quote ``url``'s password or query values (a CLI's error)."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    redactor = Redactor()
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query)
    except ValueError:
        return redactor
    secrets = [parts.password or ""]
    secrets += [v for k, v in query if any(w in k.lower() for w in _SECRET_KEYS)]
    for secret in secrets:
        redactor.add(secret)
        redactor.add(unquote(secret))
    return redactor
