"""Constructing many credentials in one program (pulumi mocks: constructor behaviour only)."""

from __future__ import annotations

import pickle
from typing import Any

import pulumi
import pytest


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        return {}, []


@pytest.fixture
def mocked() -> None:
    pulumi.runtime.set_mocks(_Mocks(), preview=False)


@pytest.mark.usefixtures("mocked")
def test_a_thousand_credentials_do_not_exhaust_the_pickler() -> None:
    """The SDK's serialize_provider wraps pickle._Pickler._batch_setitems on every call; without
    our restore, the 975th resource of a program failed with RecursionError."""
    from vendor_credentials import intercom

    before = vars(pickle._Pickler).get("_batch_setitems")
    for index in range(1100):
        intercom.AccessToken(f"token-{index}", access_token=f"tok_{index:08d}_abcdefgh")
    assert vars(pickle._Pickler).get("_batch_setitems") is before
