"""A leak detector that does not trust the redactor's list of encodings.

It looks for any ``RUN``-character piece of a secret in the text and in every decoding of it a
careless vendor or gateway might produce: URL-decoded (upper- or lower-case ``%xx``), and each
base64 (standard or URL-safe, padded or not, at any alignment) or hex run decoded. A Basic header
echo (``Basic base64(user:secret)``) or half a secret before a cut is therefore found without the
test knowing how each kind builds its requests.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import unquote_plus

RUN = 12  # the redactor masks any run this long; a shorter piece of a random secret is noise
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}")
_HEX_RUN = re.compile(r"(?:[0-9a-fA-F]{2}){8,}")


def pieces(secret: str, run: int = RUN) -> set[str]:
    """Every ``run``-character substring of ``secret`` (the secret itself when shorter)."""
    if len(secret) <= run:
        return {secret}
    return {secret[i : i + run] for i in range(len(secret) - run + 1)}


def _base64_decodings(word: str) -> Iterator[str]:
    standard = word.replace("-", "+").replace("_", "/")
    for start in range(4):  # the secret may begin at any byte of a base64 group
        chunk = standard[start:]
        chunk = chunk[: len(chunk) - len(chunk) % 4]
        try:
            yield base64.b64decode(chunk).decode("latin-1")
        except (binascii.Error, ValueError):
            continue


def views(text: str) -> Iterator[str]:
    """The text and each decoding of it or of its encoded-looking runs."""
    yield text
    unquoted = unquote_plus(text)
    if unquoted != text:
        yield unquoted
    for word in set(_BASE64_RUN.findall(text)):
        yield from _base64_decodings(word)
    for word in set(_HEX_RUN.findall(text)):
        for start in (0, 1):
            chunk = word[start : len(word) - (len(word) - start) % 2]
            yield bytes.fromhex(chunk).decode("latin-1")


def _scan(text: str, grams: Mapping[str, str], run: int) -> set[str]:
    found: set[str] = set()
    for i in range(len(text) - run + 1):
        name = grams.get(text[i : i + run])
        if name is not None:
            found.add(name)
    return found


def leaks(secrets: Mapping[str, str], texts: Iterable[str], run: int = RUN) -> list[str]:
    """Names of the secrets a piece of which appears in any of ``texts`` or their decodings."""
    grams: dict[str, str] = {}
    short: dict[str, str] = {}
    for name, secret in secrets.items():
        if len(secret) < run:
            short[secret] = name
        for gram in pieces(secret, run):
            grams[gram] = name
    found: set[str] = set()
    for text in texts:
        for view in views(text):
            found |= _scan(view, grams, run)
            found |= {name for secret, name in short.items() if secret in view}
    return sorted(found)
