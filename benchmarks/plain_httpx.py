"""What a user would script instead of the engine: the same validations with plain httpx.

    python -m benchmarks.plain_httpx BASE_URL N THREADS

Makes exactly the requests the provider makes for the first N credentials of the fleet (token
exchange + identity probe, or one probe), with one pooled ``httpx.Client``, sequentially
(THREADS=1) or with a thread pool. No retries, redaction or state: a floor for the network part.
Prints one JSON line: seconds spent validating (client creation included) and requests made.
The benchmark times the whole process too (interpreter start and ``import httpx`` included).
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from benchmarks.fleet import Credential, fleet


def _ok(response: httpx.Response) -> dict[str, object]:
    response.raise_for_status()
    body = response.json()
    assert isinstance(body, dict)
    return body


def validate(client: httpx.Client, base_url: str, credential: Credential) -> int:
    """Validate one credential the way the provider does; returns the requests made."""
    kind, secret, ident = credential.kind, credential.secret, credential.ident
    if kind == "helpscout-mailbox":
        token = _ok(
            client.post(
                f"{base_url}/v2/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": ident,
                    "client_secret": secret,
                },
            )
        )
        _ok(
            client.get(
                f"{base_url}/v2/users/me",
                headers={"Authorization": f"Bearer {token['access_token']}"},
            )
        )
        return 2
    if kind == "helpscout-docs":
        _ok(client.get(f"{base_url}/v1/sites", auth=(secret, "X")))
        return 1
    if kind == "intercom":
        _ok(
            client.get(
                f"{base_url}/me",
                headers={"Authorization": f"Bearer {secret}", "Intercom-Version": "2.11"},
            )
        )
        return 1
    token = _ok(
        client.post(
            f"{base_url}/oauth/token",
            data={"grant_type": "client_credentials", "scope": "account:read"},
            auth=(ident, secret),
        )
    )
    _ok(
        client.get(
            f"{base_url}/account", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    )
    return 2


def run(base_url: str, n: int, threads: int) -> tuple[float, int]:
    """Seconds to validate the first ``n`` credentials with ``threads`` threads, and requests."""
    start = time.perf_counter()
    with httpx.Client(timeout=20.0, limits=httpx.Limits(max_connections=32)) as client:
        credentials = fleet(n)
        if threads <= 1:
            requests = sum(validate(client, base_url, c) for c in credentials)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                requests = sum(pool.map(lambda c: validate(client, base_url, c), credentials))
    return time.perf_counter() - start, requests


def main(argv: list[str]) -> int:
    base_url, n, threads = argv[0], int(argv[1]), int(argv[2])
    seconds, requests = run(base_url, n, threads)
    print(json.dumps({"seconds": seconds, "requests": requests}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
