"""The main job: the example stack against the built-in vendor emulator, on the local backend.

Runs preview, up, refresh and destroy of ``examples/all-vendors`` through the real CLI and prints
the stack's outputs. The program runs as an Automation API inline program (no language host is
needed); it is the same file a `pulumi up` with a full Pulumi install runs.
"""

from __future__ import annotations

import runpy
import sys
import time
from collections.abc import Callable
from typing import Any

from .engine import ROOT, engine_env, inline_stack

EXAMPLE = ROOT / "examples" / "all-vendors" / "__main__.py"


def _step(title: str) -> float:
    print(f"\n==> {title}", flush=True)
    return time.monotonic()


def _program() -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")


def run(stack_name: str = "demo", keep: bool = False, echo: Callable[[str], Any] = print) -> int:
    """Preview, up, refresh and (unless ``keep``) destroy the example stack; 0 on success."""
    from pulumi import automation as auto

    from .emulator import DEMO_CREDENTIALS, Emulator

    with Emulator() as emulator:
        echo(f"vendor emulator listening on {emulator.base_url} (demo credentials seeded)")
        stack = inline_stack(
            stack_name, _program, project="vendor-credentials", env=engine_env(demo=True)
        )
        hs, docs = DEMO_CREDENTIALS["helpscout_mailbox"], DEMO_CREDENTIALS["helpscout_docs"]
        ic, td = DEMO_CREDENTIALS["intercom_eu"], DEMO_CREDENTIALS["talkdesk"]
        plain = {
            "baseUrl": emulator.base_url,
            # the demo trusts its own emulator: previews validate against it
            "vendor-credentials:trustedOrigins": emulator.base_url,
            "helpscoutAppId": hs["app_id"],
            "intercomRegion": "eu",
            "talkdeskAccount": td["account"],
            "talkdeskClientId": td["client_id"],
        }
        secret = {
            "helpscoutAppSecret": hs["app_secret"],
            "helpscoutDocsApiKey": docs["api_key"],
            "intercomAccessToken": ic["access_token"],
            "talkdeskClientSecret": td["client_secret"],
        }
        for key, value in plain.items():
            stack.set_config(key, auto.ConfigValue(value))
        for key, value in secret.items():
            stack.set_config(key, auto.ConfigValue(value, secret=True))

        def on_output(line: str) -> None:
            echo(line)

        try:
            started = _step(f"pulumi preview (stack {stack_name})")
            stack.preview(on_output=on_output, diff=True)
            echo(f"    preview took {time.monotonic() - started:.1f}s")
            started = _step("pulumi up")
            result = stack.up(on_output=on_output, show_secrets=False)
            echo(f"    up took {time.monotonic() - started:.1f}s")
            started = _step("pulumi refresh")
            stack.refresh(on_output=on_output, show_secrets=False)
            echo(f"    refresh took {time.monotonic() - started:.1f}s")
            _step("stack outputs")
            for name, output in sorted(result.outputs.items()):
                echo(f"{name}: {output.value}")
            if not keep:
                started = _step("pulumi destroy")
                stack.destroy(on_output=on_output, show_secrets=False)
                echo(f"    destroy took {time.monotonic() - started:.1f}s")
        except auto.errors.CommandError as exc:
            print(f"\ndemo failed: {exc}", file=sys.stderr)
            return 1
    echo("\ndemo finished: all four credentials were proved against the emulator")
    return 0
