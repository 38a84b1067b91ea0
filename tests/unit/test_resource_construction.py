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


def test_the_provider_is_pickled_once_per_kind_and_phase_exactly_as_the_sdk_does() -> None:
    """``__provider`` is memoized per (kind, phase): the same string the SDK's dynamic.Resource
    would store, so state written before the memo shows no difference."""
    from pulumi.dynamic.dynamic import serialize_provider

    from vendor_credentials.core.provider import CredentialProvider
    from vendor_credentials.core.resource import serialized_provider

    kind = "intercom.AccessToken"
    for is_preview in (True, False):
        expected = serialize_provider(CredentialProvider(kind, program_is_preview=is_preview))
        assert serialized_provider(kind, is_preview) == expected
    assert serialized_provider(kind, True) != serialized_provider(kind, False)
