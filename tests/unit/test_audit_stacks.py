"""Which stacks the audit reads when `pulumi stack ls` fails (a unit test on a fake CLI)."""

from __future__ import annotations

import json

import pytest

from vendor_credentials.audit.stacks import AuditError, CliFailure, PulumiCli, resolve_stacks


class FakeCli(PulumiCli):
    """`stack ls` answers ``listing``, or fails with ``failure``."""

    def __init__(self, listing: list[str] | None = None, failure: str = "") -> None:
        super().__init__("pulumi", {"PULUMI_BACKEND_URL": "file:///state"})
        self.listing, self.failure = listing or [], failure

    def run(self, *args: str) -> str:
        assert args[:2] == ("stack", "ls")
        if self.failure:
            raise CliFailure(self.failure)
        return json.dumps([{"name": name} for name in self.listing])


def test_listed_stacks_resolve_to_their_references() -> None:
    cli = FakeCli(["organization/app/dev", "organization/app/prod"])
    assert resolve_stacks(cli, ["dev", "prod"], None) == (
        "app",
        [("dev", "organization/app/dev"), ("prod", "organization/app/prod")],
    )


def test_an_unlistable_backend_still_reads_stacks_named_with_their_project(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One stack whose checkpoint cannot be read makes `stack ls` fail for all: the stacks the
    user named (with --project, or as project/stack) are read directly, with a warning."""
    cli = FakeCli(failure="EOF")
    assert resolve_stacks(cli, ["dev", "app/prod"], "app") == (
        "app",
        [("dev", "organization/app/dev"), ("app/prod", "organization/app/prod")],
    )
    warning = capsys.readouterr().err
    assert "could not list the stacks" in warning and "reading the named stacks directly" in warning
    assert ".json.attrs" in warning  # a bare EOF: the empty sidecar, and its fix


def test_an_unlistable_backend_without_a_project_is_an_error_that_says_what_to_do() -> None:
    with pytest.raises(AuditError) as raised:
        resolve_stacks(FakeCli(failure="EOF"), ["dev"], None)
    message = str(raised.value)
    assert "could not list the stacks on backend file:///state: EOF" in message
    assert "delete that empty file" in message and "PULUMI_BACKEND_URL" in message


def test_other_listing_failures_carry_no_sidecar_hint() -> None:
    with pytest.raises(AuditError) as raised:
        resolve_stacks(FakeCli(failure="unauthorized"), ["dev"], None)
    assert ".json.attrs" not in str(raised.value)


def test_stacks_of_two_projects_are_not_read_directly() -> None:
    with pytest.raises(AuditError):
        resolve_stacks(FakeCli(failure="EOF"), ["a/dev", "b/dev"], None)
