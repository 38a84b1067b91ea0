"""The main job: every credential kind against the built-in vendor emulator, on the local backend.

Runs preview, up, refresh and destroy of a stack holding one credential of each kind the package
declares (its first sample, see ``CredentialKind.samples``) through the real CLI and prints the
stack's outputs. The program runs as an Automation API inline program (no language host needed).
``examples/all-vendors`` shows the same by hand for a real project.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from .engine import engine_env, inline_stack


def _step(title: str) -> float:
    print(f"\n==> {title}", flush=True)
    return time.monotonic()


def output_name(kind: str) -> str:
    """``acme.ApiToken`` -> ``acmeApiToken``: the stack output for a kind's credential."""
    vendor, _, name = kind.partition(".")
    return vendor + name


def _program() -> None:
    import pulumi

    from .core.registry import all_kinds, resource_class

    config = pulumi.Config()
    for declaration in all_kinds():
        name = output_name(declaration.kind)
        args: dict[str, Any] = dict(config.require_object(f"{name}Inputs"))
        for field in declaration.inputs.secret_fields:
            args[field] = config.require_secret(f"{name}-{field}")
        credential = resource_class(declaration.kind)(name, **args)
        pulumi.export(
            name,
            pulumi.Output.all(
                credential.status,
                credential.identity,
                credential.fingerprint,
                credential.expires_at,
            ).apply(
                lambda v: {
                    "status": v[0],
                    "identity": v[1],
                    "fingerprint": v[2],
                    "expires_at": v[3],
                }
            ),
        )


def demo_config(base_url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Plain and secret stack config for ``_program``: every kind's first sample."""
    from .core.registry import all_kinds

    plain: dict[str, str] = {}
    secret: dict[str, str] = {}
    for declaration in all_kinds():
        sample, name = declaration.samples[0], output_name(declaration.kind)
        inputs = sample.inputs_at(base_url)
        if declaration.hosts:  # reach the emulator instead of the vendor's own hosts
            inputs["base_url"] = base_url
        for field in declaration.inputs.secret_fields:
            secret[f"{name}-{field}"] = str(inputs.pop(field))
        plain[f"{name}Inputs"] = json.dumps(inputs)
    return plain, secret


def run(stack_name: str = "demo", keep: bool = False, echo: Callable[[str], Any] = print) -> int:
    """Preview, up, refresh and (unless ``keep``) destroy the demo stack; 0 on success."""
    from pulumi import automation as auto

    from .emulator import Emulator

    with Emulator() as emulator:
        echo(f"vendor emulator listening on {emulator.base_url} (demo credentials seeded)")
        stack = inline_stack(
            stack_name, _program, project="vendor-credentials", env=engine_env(demo=True)
        )
        plain, secret = demo_config(emulator.base_url)
        # the demo trusts its own emulator: previews validate against it
        plain["vendor-credentials:trustedOrigins"] = emulator.base_url
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
    echo(f"\ndemo finished: all {len(plain)} credentials were proved against the emulator")
    return 0
