"""Storing the refresh token: ``pulumi config set --secret`` with the value on stdin.

``pulumi config set KEY`` without a value reads it from stdin when the session is not
interactive (``--non-interactive``), so the token is never on a command line (visible in ``ps``
and shell history) and never printed. Before the browser flow starts, ``check`` reads the stack's
config and writes a secret to a copy of its config file, so a wrong stack, project directory or
passphrase fails before a code is spent (reading config never checks the passphrase).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .callback import LoginError


@dataclass(frozen=True)
class StackConfig:
    """One stack's config, through the pulumi CLI, run in the project directory."""

    pulumi: str
    stack: str
    key: str
    cwd: Path
    env: dict[str, str]

    def _run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.pulumi, *args, "--stack", self.stack, "--non-interactive"],
            cwd=self.cwd,
            env=self.env,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def check(self) -> None:
        """Fail now, before any code is spent, if the stack's config cannot be read or written."""
        if not (self.cwd / "Pulumi.yaml").exists() and not (self.cwd / "Pulumi.yml").exists():
            raise LoginError(
                f"no Pulumi.yaml in {self.cwd}: run login in the project directory or pass --cwd"
            )
        done = self._run("config", "--json")
        if done.returncode != 0:
            raise LoginError(
                f"cannot read the config of stack '{self.stack}' ({_first_error(done)}): nothing "
                "was started. Check --stack, --cwd, the backend (PULUMI_BACKEND_URL) and "
                "PULUMI_CONFIG_PASSPHRASE"
            )
        self._check_secrets_provider()

    def _check_secrets_provider(self) -> None:
        """Write the key, with a dummy value, to a copy of the stack's config file: the CLI then
        checks the passphrase against the file's encryption salt (or calls the stack's secrets
        provider), as the real write will; the project's own file is never touched."""
        source = self._config_file()
        if not source.exists():
            return  # a stack with no config file yet: any passphrase starts its salt
        with tempfile.TemporaryDirectory(prefix="vendor-credentials-login-") as scratch:
            copy = Path(scratch) / source.name
            shutil.copyfile(source, copy)
            args = ("config", "set", "--secret", self.key, "--config-file", str(copy))
            done = self._run(*args, stdin="login-check")
        if done.returncode != 0:
            raise LoginError(
                f"cannot store a secret in '{self.key}' of stack '{self.stack}' "
                f"({_first_error(done)}): nothing was started. Check PULUMI_CONFIG_PASSPHRASE "
                "(or the stack's secrets provider) and --config-key"
            )

    def _config_file(self) -> Path:
        """``Pulumi.<stack>.yaml``, in the project's ``stackConfigDir`` when it names one."""
        project = next(
            (self.cwd / n for n in ("Pulumi.yaml", "Pulumi.yml") if (self.cwd / n).exists()),
            self.cwd / "Pulumi.yaml",
        )
        found = re.search(
            r"^stackConfigDir:\s*['\"]?([^'\"\n#]+?)['\"]?\s*$", project.read_text(), re.M
        )
        folder = self.cwd / found.group(1) if found else self.cwd
        return folder / f"Pulumi.{self.stack.rsplit('/', 1)[-1]}.yaml"

    def set_secret(self, value: str) -> None:
        """``pulumi config set --secret KEY`` with the value on stdin."""
        done = self._run("config", "set", "--secret", self.key, stdin=value)
        if done.returncode != 0:
            raise LoginError(
                f"the authorization succeeded but the refresh token could not be stored in "
                f"'{self.key}' of stack '{self.stack}' ({_first_error(done)}). The token was not "
                "shown or kept: fix the cause and run login again"
            )


def _first_error(done: subprocess.CompletedProcess[str]) -> str:
    """The CLI's error line (its output names no secret: the value went to stdin)."""
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    text = (errors or lines or [f"exit code {done.returncode}"])[0]
    return text[:300]
