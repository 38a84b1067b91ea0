"""Cold start of our code in the dynamic-provider plugin, measured in a fresh interpreter.

    python -m benchmarks.cold_import [--mark] PROVIDER...

First imports what ``python -m pulumi.dynamic`` itself imports (the plugin's own floor, not
ours), then times what our resources add when the plugin serves them: unpickling one
``__provider`` per credential kind (which imports ``vendor_credentials.core.provider``), resolving
each kind's vendor module (``check`` does it) and ``import httpx`` (the first request does it).
The first pooled client (TLS context and CA bundle) is timed apart. Prints one JSON line.
PROVIDER arguments are ``__provider`` strings (base64 dill pickles), one per kind, as the
benchmark built them with the SDK's own ``serialize_provider``. ``--mark`` writes a marker line
on stderr between the two parts, for ``-X importtime`` runs.
"""

from __future__ import annotations

import json
import sys
import time


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    # What pulumi/dynamic/__main__.py imports before it serves anything.
    import asyncio  # noqa: F401
    import base64

    import dill  # type: ignore[import-untyped]
    import grpc  # type: ignore[import-untyped]  # noqa: F401
    import pulumi.dynamic
    import pulumi.runtime
    import pulumi.runtime.proto  # noqa: F401
    from google.protobuf import empty_pb2  # type: ignore[import-untyped]  # noqa: F401
    from pulumi.runtime._serialization import _deserialize  # noqa: F401

    base = time.perf_counter()
    pickles = [a for a in argv if not a.startswith("--")]
    if "--mark" in argv:
        sys.stderr.write("--- benchmark mark: our imports start here ---\n")
        sys.stderr.flush()

    ours_start = time.perf_counter()
    providers = [dill.loads(base64.b64decode(p)) for p in pickles]
    from vendor_credentials.core.registry import kind_for

    for provider in providers:
        kind_for(provider.kind)
    import httpx  # noqa: F401

    ours = time.perf_counter()
    from vendor_credentials.core.http import HttpSettings, shared_client

    shared_client(HttpSettings())
    client = time.perf_counter()
    print(
        json.dumps(
            {
                "plugin_base_ms": (base - start) * 1000,
                "ours_ms": (ours - ours_start) * 1000,
                "first_client_ms": (client - ours) * 1000,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
