"""Drive real stacks through the real `pulumi` CLI (Automation API, inline programs).

Every operation captures all the text the CLI printed, so tests can assert on messages and grep
for secrets. Nothing here fakes the engine: a missing CLI fails loudly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from vendor_credentials.engine import inline_stack


@dataclass
class Outcome:
    """What one engine operation did: success, everything it printed, its change summary."""

    ok: bool
    text: str
    changes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:  # pytest shows this on failure
        return f"ok={self.ok} changes={self.changes}\n{self.text[-4000:]}"


class EngineStack:
    """One stack of an inline program on a local file backend."""

    def __init__(
        self,
        name: str,
        program: Callable[[], None],
        env: Mapping[str, str],
        *,
        project: str = "vendor-credentials-tests",
    ) -> None:
        self.name = name
        self.env = dict(env)
        self.stack = inline_stack(name, program, project=project, env=self.env)
        self.transcript: list[str] = []  # every byte printed by every operation, for leak checks

    def set_config(self, values: Mapping[str, str], *, secret: bool = False) -> None:
        for key, value in values.items():
            self.stack.set_config(key, auto.ConfigValue(value, secret=secret))

    def _run(self, operation: Callable[..., Any], **kwargs: Any) -> Outcome:
        lines: list[str] = []
        try:
            result = operation(on_output=lines.append, on_error=lines.append, **kwargs)
        except auto.errors.CommandError as exc:
            text = "\n".join(lines) + "\n" + str(exc)
            self.transcript.append(text)
            return Outcome(False, text)
        text = "\n".join(lines)
        self.transcript.append(text)
        changes = dict(getattr(result, "change_summary", None) or {})
        summary = getattr(result, "summary", None)
        if summary is not None and summary.resource_changes:
            changes = dict(summary.resource_changes)
        outputs = {k: v.value for k, v in (getattr(result, "outputs", None) or {}).items()}
        return Outcome(True, text, changes, outputs)

    def preview(self, **kwargs: Any) -> Outcome:
        return self._run(self.stack.preview, diff=True, **kwargs)

    def up(self, **kwargs: Any) -> Outcome:
        return self._run(self.stack.up, diff=True, show_secrets=False, **kwargs)

    def refresh(self, **kwargs: Any) -> Outcome:
        return self._run(self.stack.refresh, show_secrets=False, **kwargs)

    def destroy(self, **kwargs: Any) -> Outcome:
        return self._run(self.stack.destroy, show_secrets=False, **kwargs)

    def cli(self, *args: str) -> Outcome:
        """Run the real `pulumi` CLI against this stack (for commands Automation lacks)."""
        import subprocess

        from vendor_credentials.engine import TOOLS_BIN

        done = subprocess.run(
            [str(TOOLS_BIN / "pulumi"), *args, "--stack", self.name, "--non-interactive"],
            cwd=self.stack.workspace.work_dir,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        text = done.stdout + done.stderr
        self.transcript.append(text)
        return Outcome(done.returncode == 0, text)

    def export(self) -> dict[str, Any]:
        deployment = self.stack.export_stack()
        return dict(deployment.deployment or {})

    def state_file(self) -> Path:
        backend = Path(self.env["PULUMI_BACKEND_URL"].removeprefix("file://"))
        matches = list(backend.glob(f".pulumi/stacks/**/{self.name}.json"))
        assert matches, f"no state file for stack {self.name} under {backend}"
        return matches[0]

    def credentials(self) -> list[dict[str, Any]]:
        """Our resources in state (type token contains 'vendor-credentials')."""
        resources = self.export().get("resources") or []
        return [r for r in resources if "vendor-credentials:" in r.get("type", "")]

    def outputs_of(self, resource: dict[str, Any]) -> dict[str, Any]:
        return dict(resource.get("outputs") or {})


def plain_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
