"""`vendor-credentials login helpscout` end to end: the emulator's consent page, a stand-in browser
($BROWSER) or a pasted URL, the code exchange, and the secret written by the real `pulumi` CLI.
Every failure (denied, forged state, timeout, refused code) writes nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support.ports import free_port
from vendor_credentials.emulator import Emulator
from vendor_credentials.engine import TOOLS_BIN

BROWSER = Path(__file__).resolve().parents[1] / "support" / "browser.py"
APP_ID = "login-app-7f3a"
APP_SECRET = "login-secret-SENTINEL-5d1c0e9b"
KEY = "hsRefresh"


@dataclass
class Project:
    """A Pulumi project directory with one stack, and the app registered in the emulator."""

    cwd: Path
    stack: str
    env: dict[str, str]
    emulator: Emulator
    callback: str

    def login(
        self, *extra: str, browser: bool = True, stdin: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in {**self.env, **env}.items() if k != "DISPLAY"}
        environ.pop("BROWSER", None)
        if browser:
            environ["BROWSER"] = f"{sys.executable} {BROWSER} %s"
        args = ["login", "helpscout", APP_ID, "--stack", self.stack, "--config-key", KEY]
        args += ["--cwd", str(self.cwd), "--base-url", self.emulator.base_url]
        args += ["--callback-url", self.callback, *extra]
        return subprocess.run(
            [sys.executable, "-m", "vendor_credentials.cli", *args],
            env=environ,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def stored(self) -> str | None:
        done = subprocess.run(
            [str(TOOLS_BIN / "pulumi"), "config", "get", KEY, "--stack", self.stack],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() if done.returncode == 0 else None


@pytest.fixture
def project(tmp_path: Path, engine: dict[str, str], emulator: Emulator) -> Iterator[Project]:
    (tmp_path / "Pulumi.yaml").write_text("name: login-e2e\nruntime: python\n")
    env = {**os.environ, **engine, "HELPSCOUT_APP_SECRET": APP_SECRET}
    stack = f"login{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [str(TOOLS_BIN / "pulumi"), "stack", "init", stack, "--non-interactive"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    callback = f"http://127.0.0.1:{free_port()}/callback"
    emulator.add("helpscout_mailbox", app_id=APP_ID, app_secret=APP_SECRET, redirect_url=callback)
    emulator.set_option("helpscout_consent", "approve")
    yield Project(tmp_path, stack, env, emulator, callback)
    emulator.set_option("helpscout_consent", "page")
    emulator.set_option("helpscout_code_ttl", 600)


def _refresh(emulator: Emulator, token: str) -> httpx.Response:
    return httpx.post(
        f"{emulator.base_url}/v2/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
        },
    )


def test_scripted_consent_writes_a_working_refresh_token_as_secret(project: Project) -> None:
    done = project.login()
    assert done.returncode == 0, done.stderr
    token = project.stored()
    assert token, "the refresh token is in the stack's config"
    stack_file = (project.cwd / f"Pulumi.{project.stack}.yaml").read_text()
    assert f"login-e2e:{KEY}" in stack_file and "secure: v1:" in stack_file
    assert token not in stack_file
    out = done.stdout + done.stderr
    assert re.search(
        r"Authorised by Demo Owner <owner-\w+@example\.com>, user \d+, role owner", out
    )
    assert re.search(r"code was exchanged \d+\.\ds after", out)
    for secret in (token, APP_SECRET, *project.emulator.issued_tokens()):
        assert secret not in out
    assert _refresh(project.emulator, token).status_code == 200  # the vendor accepts it


def test_pasted_redirect_without_browser_as_another_user(project: Project) -> None:
    project.emulator.set_option("helpscout_consent", "approve:grace@acme-demo.example")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vendor_credentials.cli",
            "login",
            "helpscout",
            APP_ID,
            "--stack",
            project.stack,
            "--config-key",
            KEY,
            "--cwd",
            str(project.cwd),
            "--base-url",
            project.emulator.base_url,
            "--callback-url",
            project.callback,
            "--no-browser",
        ],
        env={k: v for k, v in project.env.items() if k not in ("DISPLAY", "BROWSER")},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    url = ""
    for line in proc.stdout:
        if "authorizeClientApplication" in line:
            url = line.strip()
            break
    redirect = httpx.get(url, follow_redirects=False).headers["location"]
    out, err = proc.communicate(redirect + "\n", timeout=60)
    assert proc.returncode == 0, err
    assert "Authorised by Grace User <grace@acme-demo.example>" in out
    assert project.stored()


@pytest.mark.parametrize(
    ("setup", "env", "words"),
    [
        ({"helpscout_consent": "deny"}, {}, "consent was denied"),
        ({}, {"FAKE_BROWSER_STATE": "forged"}, "does not match the one this login sent"),
        ({"helpscout_code_ttl": 0}, {}, "refused the authorization code"),
    ],
    ids=["denied", "wrong-state", "expired-code"],
)
def test_failures_say_why_and_write_nothing(
    project: Project, setup: dict[str, object], env: dict[str, str], words: str
) -> None:
    for name, value in setup.items():
        project.emulator.set_option(name, value)
    done = project.login(**env)
    assert done.returncode == 1
    assert words in done.stderr and "login failed:" in done.stderr
    assert project.stored() is None


def test_timeout_names_the_redirect_url_rule(project: Project) -> None:
    project.emulator.set_option("helpscout_consent", "page")  # nobody clicks
    done = project.login("--timeout", "2", browser=False)
    assert done.returncode == 1
    assert "no callback within 2s" in done.stderr and "Redirection URL" in done.stderr
    assert project.stored() is None


def test_wrong_stack_fails_before_the_browser_opens(project: Project) -> None:
    before = project.emulator.count(path="/authentication/authorizeClientApplication")
    project.stack = "no-such-stack"
    done = project.login()
    assert done.returncode == 1 and "cannot read the config of stack" in done.stderr
    assert project.emulator.count(path="/authentication/authorizeClientApplication") == before


@pytest.mark.parametrize(
    ("path", "fault", "said"),
    [
        ("/v2/users/me", "truncated_json", "The access token it came with"),
        ("/v2/oauth2/token", "missing_access_token", "the first `pulumi up` exchanges it"),
        ("/v2/oauth2/token", "bad_expires_in", "the first `pulumi up` exchanges it"),
    ],
    ids=["identity-lookup-failed", "no-access-token", "bad-expires-in"],
)
def test_a_spent_code_keeps_its_refresh_token_whatever_follows(
    project: Project, path: str, fault: str, said: str
) -> None:
    """The code is spent once answered, and its refresh token is all `pulumi up` needs: a failed
    identity lookup, or an answer without a usable access token, only warns."""
    project.emulator.inject(fault, path=path)
    done = project.login()
    assert done.returncode == 0, done.stderr
    assert "warning: could not confirm who authorised" in done.stderr
    assert "Authorised by" not in done.stdout and said in done.stdout
    token = project.stored()
    assert token, "the refresh token is in the stack's config"
    out = done.stdout + done.stderr
    for secret in (token, APP_SECRET, *project.emulator.issued_tokens()):
        assert secret not in out
    assert _refresh(project.emulator, token).status_code == 200
