"""First-user messages: a choice in the wrong case, a base_url without scheme, --version."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from vendor_credentials.core.inputs import input_failures
from vendor_credentials.core.registry import kind_for
from vendor_credentials.engine import ROOT

INTERCOM = {"access_token": "dG9rOmFiY2RlZmdoaWprbG1ub3A="}
TALKDESK = {"account_name": "acme", "client_id": "cid", "client_secret": "s" * 32}


@pytest.mark.parametrize(
    ("kind", "inputs", "given", "suggested"),
    [
        ("intercom.AccessToken", INTERCOM, "EU", "eu"),
        ("intercom.AccessToken", INTERCOM, " Au", "au"),
        ("talkdesk.ClientCredential", TALKDESK, "CA", "ca"),
    ],
)
def test_a_region_in_the_wrong_case_is_answered_with_did_you_mean(
    kind: str, inputs: dict[str, str], given: str, suggested: str
) -> None:
    failures = input_failures(kind_for(kind).inputs, {**inputs, "region": given})
    assert len(failures) == 1
    field, reason = failures[0]
    assert field == "region"
    assert reason.startswith("region must be one of 'us', ")
    assert reason.endswith(f"; did you mean '{suggested}'?")


def test_an_unknown_region_gets_the_choices_but_no_guess() -> None:
    failures = input_failures(
        kind_for("intercom.AccessToken").inputs, {**INTERCOM, "region": "mars"}
    )
    assert failures == [("region", "region must be one of 'us', 'eu' or 'au'")]


@pytest.mark.parametrize("base_url", ["127.0.0.1:8080", "localhost:8080", "gateway.example.com"])
def test_a_base_url_without_scheme_says_the_scheme_is_missing(base_url: str) -> None:
    failures = input_failures(
        kind_for("intercom.AccessToken").inputs, {**INTERCOM, "base_url": base_url}
    )
    assert len(failures) == 1
    reason = failures[0][1]
    assert reason.startswith("base_url has no scheme: write https://host[:port]")
    assert "http://127.0.0.1:8080" in reason
    assert "must use https" not in reason


def test_version_flag_prints_the_package_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vendor_credentials.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert (done.returncode, done.stdout) == (0, f"vendor-credentials {version}\n")
