"""The engine's floor: a dynamic resource whose provider does nothing.

``NoopProvider`` is importable as ``benchmarks.noop.NoopProvider``, so dill pickles it by
reference exactly like ``CredentialProvider``; the plugin imports this module (the benchmark puts
the repository root on the plugin's ``PYTHONPATH``). Its resources carry the same kind of props
as a credential (a plain input, a secret input, a few outputs) so that serialization costs are
comparable, but no method calls anything.
"""

from __future__ import annotations

import uuid
from typing import Any

import pulumi
from pulumi import dynamic


class NoopProvider(dynamic.ResourceProvider):
    """Check, diff, create, read, update and delete that only echo their inputs."""

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        return dynamic.CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = any(olds.get(k) != news.get(k) for k in ("value", "secret"))
        return dynamic.DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(f"noop-{uuid.uuid4().hex}", {**props, "status": "valid"})

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        return dynamic.ReadResult(id_, props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult({**news, "status": "valid"})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to delete."""


class NoopResource(dynamic.Resource, module="vendor-credentials-bench", name="Noop"):
    """One no-op resource: a plain ``value`` and a secret ``secret`` input."""

    status: pulumi.Output[str]

    def __init__(self, name: str, value: str, secret: str) -> None:
        props: dict[str, Any] = {
            "value": value,
            "secret": pulumi.Output.secret(secret),
            "status": None,
        }
        opts = pulumi.ResourceOptions(additional_secret_outputs=["secret"])
        super().__init__(NoopProvider(), name, props, opts)
