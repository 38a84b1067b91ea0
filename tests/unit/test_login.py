"""`vendor-credentials login`: the callback's checks, the loopback server, the pasted URL, and the
secret config write through the real `pulumi` CLI (value on stdin, never on the command line)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.ports import free_port
from vendor_credentials.core.redact import Redactor
from vendor_credentials.emulator import Emulator
from vendor_credentials.engine import TOOLS_BIN
from vendor_credentials.login.app import app_for
from vendor_credentials.login.callback import (
    Callback,
    CallbackServer,
    CallbackUrl,
    LoginError,
    code_from,
    read_pasted,
)
from vendor_credentials.login.stackconfig import StackConfig

STATE = "s" * 43


def test_callback_url_default_shape_is_accepted() -> None:
    target = CallbackUrl.parse("http://localhost:8765/callback", listen=True)
    assert (target.host, target.port, target.path) == ("localhost", 8765, "/callback")
    assert target.same_place("http://localhost:8765/callback?code=x&state=y")
    assert not target.same_place("http://localhost:8765/other?code=x")
    assert not target.same_place("https://app.example.com/callback?code=x")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://localhost:8765/callback", "http://localhost"),
        ("http://example.com:8765/callback", "--no-browser"),
        ("http://localhost/callback", "must name a port"),
        ("ftp://localhost:21/x", "http(s) URL"),
        ("localhost:8765", "http(s) URL"),
    ],
)
def test_callback_url_to_listen_on_must_be_loopback_http_with_a_port(url: str, words: str) -> None:
    with pytest.raises(LoginError, match=words.replace("(", r"\(").replace(")", r"\)")):
        CallbackUrl.parse(url, listen=True)


def test_pasted_callback_may_be_any_https_url() -> None:
    target = CallbackUrl.parse("https://ops.example.com/oauth/callback", listen=False)
    assert target.port == 443


def _cb(query: str) -> Callback:
    return Callback.from_url(f"http://localhost:8765/callback?{query}")


def test_code_is_returned_when_state_matches() -> None:
    assert code_from(_cb(f"code=abc123&state={STATE}"), STATE, "Help Scout") == "abc123"


def test_denied_consent_wrong_state_and_missing_code_each_say_so() -> None:
    with pytest.raises(LoginError, match=r"consent was denied.*nothing was exchanged"):
        code_from(_cb(f"error=access_denied&state={STATE}"), STATE, "Help Scout")
    with pytest.raises(LoginError, match=r"state parameter .* does not match"):
        code_from(_cb("code=abc&state=someone-elses"), STATE, "Help Scout")
    with pytest.raises(LoginError, match="state parameter"):
        code_from(_cb("code=abc"), STATE, "Help Scout")
    with pytest.raises(LoginError, match="no 'code' parameter"):
        code_from(_cb(f"state={STATE}"), STATE, "Help Scout")
    with pytest.raises(LoginError, match="error=server_error"):
        code_from(_cb(f"error=server_error&state={STATE}"), STATE, "Help Scout")


@pytest.fixture
def target() -> CallbackUrl:
    return CallbackUrl.parse(f"http://127.0.0.1:{free_port()}/callback", listen=True)


def test_server_takes_the_first_callback_and_ignores_noise(target: CallbackUrl) -> None:
    with CallbackServer(target, lambda cb: code_from(cb, STATE, "Help Scout")) as server:
        base = f"http://127.0.0.1:{target.port}"
        assert httpx.get(f"{base}/favicon.ico").status_code == 404  # no query: not the answer
        page = httpx.get(f"{base}/callback?code=the-code&state={STATE}")
        assert page.status_code == 200 and "close this tab" in page.text
        assert "the-code" not in page.text
        assert httpx.get(f"{base}/callback?code=again&state={STATE}").status_code == 409
        callback = server.wait(5, lambda _elapsed: None)
    assert server.code == "the-code" and callback.params["code"] == "the-code"


def test_server_reports_a_wrong_state_to_browser_and_terminal(target: CallbackUrl) -> None:
    with CallbackServer(target, lambda cb: code_from(cb, STATE, "Help Scout")) as server:
        page = httpx.get(f"http://127.0.0.1:{target.port}/callback?code=c&state=forged")
        assert page.status_code == 400 and "see the terminal" in page.text
        with pytest.raises(LoginError, match="does not match"):
            server.wait(5, lambda _elapsed: None)


def test_server_times_out_with_the_redirect_url_hint(target: CallbackUrl) -> None:
    ticks: list[float] = []
    with (
        CallbackServer(target, lambda cb: "x") as server,
        pytest.raises(LoginError, match=r"Redirection URL .* differs from\s+--callback-url"),
    ):
        server.wait(1.5, ticks.append)
    assert ticks, "progress is reported while waiting"


def test_port_in_use_is_a_clear_error(target: CallbackUrl) -> None:
    with (
        CallbackServer(target, lambda cb: "x"),
        pytest.raises(LoginError, match="another login or program uses that port"),
    ):
        CallbackServer(target, lambda cb: "x")


def test_pasted_url_is_read_and_parsed(capsys: pytest.CaptureFixture[str]) -> None:
    pasted = io.StringIO(f"  http://localhost:8765/callback?code=c1&state={STATE}\n")
    callback = read_pasted(5, "Paste: ", pasted)
    assert callback.params == {"code": "c1", "state": STATE}
    assert "Paste: " in capsys.readouterr().err
    with pytest.raises(LoginError, match="no URL was pasted"):
        read_pasted(5, "Paste: ", io.StringIO("\n"))


# -- the stack config write, through the real CLI ---------------------------------------------


@pytest.fixture
def project(tmp_path: Path, engine: dict[str, str]) -> Iterator[StackConfig]:
    (tmp_path / "Pulumi.yaml").write_text("name: login-tests\nruntime: python\n")
    env = {**os.environ, **engine}
    stack = f"dev{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [str(TOOLS_BIN / "pulumi"), "stack", "init", stack, "--non-interactive"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    yield StackConfig(str(TOOLS_BIN / "pulumi"), stack, "hsRefresh", tmp_path, env)


def test_refresh_token_is_written_encrypted_from_stdin(project: StackConfig) -> None:
    token = "rt-SENTINEL-0b7e51d2c9"
    project.check()
    project.set_secret(token)
    stack_file = (project.cwd / f"Pulumi.{project.stack}.yaml").read_text()
    assert "login-tests:hsRefresh" in stack_file and "secure: v1:" in stack_file
    assert token not in stack_file
    done = subprocess.run(
        [project.pulumi, "config", "get", "hsRefresh", "--stack", project.stack],
        cwd=project.cwd,
        env=project.env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == token  # exactly the value, no newline added


def test_unknown_stack_or_directory_fails_before_anything_starts(
    project: StackConfig, tmp_path: Path
) -> None:
    other = StackConfig(project.pulumi, "nope", "k", project.cwd, project.env)
    with pytest.raises(LoginError, match="cannot read the config of stack 'nope'"):
        other.check()
    elsewhere = StackConfig(project.pulumi, project.stack, "k", tmp_path / "empty", project.env)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoginError, match=r"no Pulumi\.yaml"):
        elsewhere.check()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vendor_credentials.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def test_app_secret_is_never_an_argument(project: StackConfig) -> None:
    env = {k: v for k, v in project.env.items() if k != "HELPSCOUT_APP_SECRET"}
    args = ["login", "helpscout", "app-1", "--stack", project.stack, "--config-key", "k"]
    done = _cli(*args, "--cwd", str(project.cwd), env=env)
    assert done.returncode == 1
    assert "set HELPSCOUT_APP_SECRET" in done.stderr and "never" in done.stderr
    done = _cli(*args, "--app-secret", "x", env=env)
    assert done.returncode == 2 and "unrecognized arguments" in done.stderr


def test_help_names_the_redirect_rule() -> None:
    done = _cli("login", "--help", env=dict(os.environ))
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "must be exactly --callback-url" in text and "HELPSCOUT_APP_SECRET" in text


def test_login_apps_are_found_for_exactly_the_refresh_token_kinds() -> None:
    from vendor_credentials.core.carry import RefreshTokenKind
    from vendor_credentials.core.registry import all_kinds, kind_for
    from vendor_credentials.login.app import app_for, login_vendors

    vendors = login_vendors()
    assert vendors == sorted({d.vendor for d in all_kinds() if isinstance(d, RefreshTokenKind)})
    for vendor in vendors:
        app = app_for(vendor)
        assert app.vendor == vendor
        declaration = kind_for(app.kind)
        assert isinstance(declaration, RefreshTokenKind) and declaration.vendor == vendor
    with pytest.raises(LoginError, match=f"available: {', '.join(vendors)}"):
        app_for("no-such-vendor")


def test_help_names_every_app_found() -> None:
    from vendor_credentials.login.app import app_for, login_vendors

    done = _cli("login", "--help", env=dict(os.environ))
    text = " ".join(done.stdout.split())
    for vendor in login_vendors():
        app = app_for(vendor)
        assert f"{vendor}: an app created in {app.title}" in text
        assert app.secret_env in text and f"{app.kind}(refresh_token=" in text


@pytest.mark.parametrize("fault", ["echo_secret", "echo_authorization", "echo_after_preamble"])
def test_a_refused_code_exchange_never_repeats_the_secret_or_the_code(
    emulator: Emulator, fault: str
) -> None:
    """The token endpoint's refusal is shown to the user: redacted before it is cut, like every
    other vendor text (a proxy or vendor may echo the form body it refused)."""
    app_secret, code = "LoginEchoAppSecret" + "Q7vX2mK9pL4t", "LoginEchoCode" + "R5nW8cJ3hT6y"
    emulator.add("helpscout_mailbox", app_id="login-echo-app", app_secret=app_secret)
    emulator.inject(fault, path="/v2/oauth2/token")
    app = app_for("helpscout")
    session = app.session(Redactor([app_secret, code]))
    with pytest.raises(LoginError) as refused:
        app.exchange_code(session, emulator.base_url, "login-echo-app", app_secret, code)
    text = str(refused.value)
    assert "nothing was written" in text
    assert fault == "echo_after_preamble" or "REDACTED" in text  # (that one is cut before it)
    for secret in (app_secret, code):
        for piece in (secret, secret[:12], secret[-12:]):
            assert piece not in text


def test_a_wrong_passphrase_fails_before_anything_starts(project: StackConfig) -> None:
    """Reading config never checks the passphrase; the check writes to a copy of the file."""
    project.check()
    project.set_secret("rt-first-0c1d2e3f")  # the stack's config now has its salt and a secret
    stack_file = project.cwd / f"Pulumi.{project.stack}.yaml"
    before = stack_file.read_bytes()
    wrong = StackConfig(
        project.pulumi,
        project.stack,
        "hsRefresh",
        project.cwd,
        {**project.env, "PULUMI_CONFIG_PASSPHRASE": "not-the-passphrase"},
    )
    with pytest.raises(LoginError) as failed:
        wrong.check()
    assert "incorrect passphrase" in str(failed.value)
    assert "PULUMI_CONFIG_PASSPHRASE" in str(failed.value)
    project.check()  # the right one passes
    assert stack_file.read_bytes() == before
    assert sorted(p.name for p in project.cwd.iterdir()) == sorted(["Pulumi.yaml", stack_file.name])


@pytest.mark.parametrize(
    "url",
    ["ftp://me:pw-Q8zV3kR7@gw.example.com", "http://me:pw-Q8zV3kR7@gw.example.com/?k=pw-Q8zV3kR7"],
)
def test_a_rejected_origin_is_printed_without_its_password(url: str) -> None:
    from vendor_credentials.login.flow import _checked_origin

    with pytest.raises(LoginError) as bad:
        _checked_origin("--base-url", url)
    assert "--base-url" in str(bad.value)
    assert "pw-Q8zV3kR7" not in str(bad.value)
