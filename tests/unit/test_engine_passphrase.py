"""`vendor_credentials.engine` never hands a stack the public demo passphrase silently: only the
demo's own stacks may fall back to it, and they say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from vendor_credentials.engine import DEMO_PASSPHRASE, PassphraseMissing, engine_env


@pytest.fixture
def no_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)


@pytest.mark.usefixtures("no_passphrase")
def test_without_a_passphrase_stacks_get_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PassphraseMissing) as failure:
        engine_env(tmp_path / "backend", home=tmp_path / "home")
    assert "PULUMI_CONFIG_PASSPHRASE" in str(failure.value.code)


@pytest.mark.usefixtures("no_passphrase")
def test_the_demo_falls_back_to_the_demo_passphrase_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = engine_env(tmp_path / "backend", home=tmp_path / "home", demo=True)
    assert env["PULUMI_CONFIG_PASSPHRASE"] == DEMO_PASSPHRASE
    assert "public demo passphrase" in capsys.readouterr().err


def test_a_passphrase_from_the_environment_wins_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "from-the-ci-secret-store")
    env = engine_env(tmp_path / "backend", home=tmp_path / "home", demo=True)
    assert env["PULUMI_CONFIG_PASSPHRASE"] == "from-the-ci-secret-store"
    assert capsys.readouterr().err == ""


@pytest.mark.usefixtures("no_passphrase")
def test_a_passphrase_file_is_left_to_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(tmp_path / "passphrase"))
    env = engine_env(tmp_path / "backend", home=tmp_path / "home")
    assert "PULUMI_CONFIG_PASSPHRASE" not in env
