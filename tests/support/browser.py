"""A stand-in browser for `login` tests: `python browser.py URL` (set as $BROWSER="... %s").

It does what a person's browser does after they click Authorize (or Deny) on the consent page:
GET the authorize URL, follow the vendor's redirect to the callback URL once. Consent itself is
scripted in the emulator (its `helpscout_consent` option). FAKE_BROWSER_STATE replaces the state
on the way back (a forged or stale redirect).
"""

from __future__ import annotations

import os
import sys
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx


def main(url: str) -> int:
    answer = httpx.get(url, follow_redirects=False, timeout=10)
    location = answer.headers.get("location")
    if answer.status_code != 302 or not location:
        print(f"browser: no redirect from the consent page ({answer.status_code})", file=sys.stderr)
        return 1
    forged = os.environ.get("FAKE_BROWSER_STATE")
    if forged:
        parts = urlsplit(location)
        query = [(k, forged if k == "state" else v) for k, v in parse_qsl(parts.query)]
        location = urlunsplit(parts._replace(query=urlencode(query)))
    httpx.get(location, timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
