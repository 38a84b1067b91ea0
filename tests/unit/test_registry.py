"""The registry finds every kind from its kind string alone, whether its vendor is one module or a
package with one module per kind, and hands out the resource class users import."""

from __future__ import annotations

import importlib

import pytest

from vendor_credentials.core import registry
from vendor_credentials.core.registry import all_kinds, kind_for, resource_class

KINDS = [declaration.kind for declaration in all_kinds()]


@pytest.mark.parametrize("kind", KINDS)
def test_kind_for_finds_each_kind_from_its_string_alone(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "_kinds", {})  # as in a fresh provider process
    assert kind_for(kind).kind == kind


@pytest.mark.parametrize("kind", KINDS)
def test_resource_class_is_the_one_users_import_from_the_vendor(kind: str) -> None:
    vendor, _, name = kind.partition(".")
    cls = resource_class(kind)
    assert cls.kind_name == kind and cls.__name__ == name
    assert getattr(importlib.import_module(f"vendor_credentials.{vendor}"), name) is cls


def test_every_vendor_module_or_package_declares_a_kind() -> None:
    assert {kind.partition(".")[0] for kind in KINDS} == set(registry.vendor_names())
