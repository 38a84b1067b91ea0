"""The plugin's gRPC protocol, spoken to the real plugin process (as the engine does).

The engine's own behaviour is tested through the CLI in tests/engine/test_yaml.py; these tests pin
down the protocol answers the engine relies on: configure flags, offline check with camelCase
failures, detailed diffs, secrets wrapped on the way out, unknowns in previews.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from google.protobuf import empty_pb2, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto.provider_pb2_grpc import ResourceProviderStub

from support.cases import CASES
from vendor_credentials.core.inputs import UNKNOWN
from vendor_credentials.emulator import Emulator
from vendor_credentials.native.kinds import camel
from vendor_credentials.native.schema import schema_json
from vendor_credentials.native.wire import SECRET_SIG, SECRET_SIG_KEY

INTERCOM = "vendor-credentials:intercom:AccessToken"
URN = f"urn:pulumi:dev::proj::{INTERCOM}::token"
TOKEN = next(c for c in CASES if c.kind == "intercom.AccessToken")


def secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    bag = struct_pb2.Struct()
    bag.update(values)
    return bag


def plain(bag: struct_pb2.Struct) -> dict[str, Any]:
    from google.protobuf import json_format

    return dict(json_format.MessageToDict(bag))


@pytest.fixture(scope="module")
def plugin() -> Iterator[Any]:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "vendor_credentials.native", "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield ResourceProviderStub(channel)
    finally:
        channel.close()
        process.terminate()
        process.wait(timeout=10)


def configure(plugin: Any, **variables: str) -> Any:
    return plugin.Configure(
        pb.ConfigureRequest(
            variables={f"vendor-credentials:{k}": v for k, v in variables.items()},
            acceptSecrets=True,
        )
    )


def inputs(emulator: Emulator, **extra: Any) -> dict[str, Any]:
    return {
        "accessToken": secret(TOKEN.secret),
        "region": TOKEN.plain["region"],
        "baseUrl": emulator.base_url,
        **extra,
    }


def test_plugin_serves_the_committed_schema(plugin: Any) -> None:
    assert plugin.GetSchema(pb.GetSchemaRequest()).schema == schema_json()


def test_configure_accepts_secrets_and_supports_preview(plugin: Any) -> None:
    answer = configure(plugin, readTimeout="5", workers="32")
    assert answer.acceptSecrets and answer.supportsPreview


def test_bad_settings_fail_configure_and_check_config(plugin: Any) -> None:
    with pytest.raises(grpc.RpcError) as failed:
        configure(plugin, workers="many")
    assert "vendor-credentials:workers" in failed.value.details()
    checked = plugin.CheckConfig(pb.CheckRequest(news=struct({"readTimeout": "soon"})))
    assert [f.property for f in checked.failures] == ["readTimeout"]
    checked = plugin.CheckConfig(pb.CheckRequest(news=struct({"trustedOrigins": "[https://x]"})))
    assert [f.property for f in checked.failures] == ["trustedOrigins"]
    assert "JSON list of quoted origins" in checked.failures[0].reason
    configure(plugin)


def test_check_is_offline_and_names_camel_case_properties(plugin: Any, emulator: Emulator) -> None:
    emulator.clear_log()
    bad = inputs(emulator, accessToken=secret(TOKEN.secret + " "), region="mars")
    answer = plugin.Check(pb.CheckRequest(urn=URN, news=struct(bad)))
    reasons = {f.property: f.reason for f in answer.failures}
    assert set(reasons) == {"accessToken", "region"}
    assert reasons["accessToken"].startswith("accessToken has leading or trailing white space")
    assert TOKEN.secret not in str(reasons)
    good = plugin.Check(pb.CheckRequest(urn=URN, news=struct(inputs(emulator))))
    assert list(good.failures) == []
    assert emulator.count() == 0  # check never calls the vendor


def test_check_keeps_secret_inputs_secret_even_when_sent_plain(
    plugin: Any, emulator: Emulator
) -> None:
    news = inputs(emulator, accessToken=TOKEN.secret)
    answer = plain(plugin.Check(pb.CheckRequest(urn=URN, news=struct(news))).inputs)
    assert answer["accessToken"] == secret(TOKEN.secret)
    assert answer["region"] == "eu"


def test_create_returns_secret_outputs_as_secrets(plugin: Any, emulator: Emulator) -> None:
    created = plugin.Create(pb.CreateRequest(urn=URN, properties=struct(inputs(emulator))))
    outs = plain(created.properties)
    assert created.id.startswith("intercom.AccessToken-")
    assert outs["accessToken"] == secret(TOKEN.secret)
    assert outs["status"] == "valid" and outs["statusReason"] == ""
    assert outs["identity"]["region"] == "eu"
    assert "__provider" not in outs


def test_preview_create_validates_and_answers_unknowns(plugin: Any, emulator: Emulator) -> None:
    configure(plugin, trustedOrigins=emulator.base_url)  # previews prove only at trusted origins
    emulator.clear_log()
    answer = plugin.Create(
        pb.CreateRequest(urn=URN, properties=struct(inputs(emulator)), preview=True)
    )
    outs = plain(answer.properties)
    assert emulator.count() >= 1  # proved during the preview
    assert answer.id == ""
    assert outs["status"] == UNKNOWN and outs["identity"] == UNKNOWN
    assert outs["kind"] == "intercom.AccessToken"
    rejected = inputs(emulator, accessToken=secret("Wrong" + TOKEN.secret[5:]))
    with pytest.raises(grpc.RpcError) as failed:
        plugin.Create(pb.CreateRequest(urn=URN, properties=struct(rejected), preview=True))
    assert "preview validation failed: accessToken" in failed.value.details()
    assert TOKEN.secret[5:] not in failed.value.details()


def test_preview_with_validation_off_calls_no_vendor(plugin: Any, emulator: Emulator) -> None:
    configure(plugin, validateOnPreview="false")
    emulator.clear_log()
    news = inputs(emulator, accessToken=secret("Fresh" + TOKEN.secret[5:]))
    plugin.Create(pb.CreateRequest(urn=URN, properties=struct(news), preview=True))
    configure(plugin)
    assert emulator.count() == 0


def test_diff_reports_each_changed_property_as_update_or_replace(
    plugin: Any, emulator: Emulator
) -> None:
    created = plugin.Create(pb.CreateRequest(urn=URN, properties=struct(inputs(emulator))))
    olds = created.properties
    same = plugin.Diff(
        pb.DiffRequest(id=created.id, urn=URN, olds=olds, news=struct(inputs(emulator)))
    )
    assert same.changes == pb.DiffResponse.DIFF_NONE
    news = inputs(emulator, accessToken=secret("Other" + TOKEN.secret[5:]), region="au")
    diff = plugin.Diff(pb.DiffRequest(id=created.id, urn=URN, olds=olds, news=struct(news)))
    assert diff.changes == pb.DiffResponse.DIFF_SOME and diff.hasDetailedDiff
    kinds = {name: d.kind for name, d in diff.detailedDiff.items()}
    assert kinds == {
        "accessToken": pb.PropertyDiff.UPDATE,
        "region": pb.PropertyDiff.UPDATE_REPLACE,
    }
    assert list(diff.replaces) == ["region"]


def test_read_of_a_revoked_credential_answers_invalid(plugin: Any, emulator: Emulator) -> None:
    created = plugin.Create(pb.CreateRequest(urn=URN, properties=struct(inputs(emulator))))
    emulator.revoke(TOKEN.emulator_key)
    try:
        read = plugin.Read(pb.ReadRequest(id=created.id, urn=URN, properties=created.properties))
    finally:
        emulator.restore(TOKEN.emulator_key)
    outs = plain(read.properties)
    assert read.id == created.id
    assert outs["status"] == "invalid" and outs["statusReason"]
    assert outs["accessToken"] == secret(TOKEN.secret)


def test_the_diff_after_a_refreshing_read_marks_the_status_it_found_once(
    plugin: Any, emulator: Emulator
) -> None:
    """The engine's refresh Diff holds no outputs from before the Read: the plugin marks what that
    Read changed, as output diffs, in the next Diff for the URN only (not in `up`'s after it)."""
    urn = URN + "-refreshed"
    created = plugin.Create(pb.CreateRequest(urn=urn, properties=struct(inputs(emulator))))
    emulator.revoke(TOKEN.emulator_key)
    try:
        read = plugin.Read(pb.ReadRequest(id=created.id, urn=urn, properties=created.properties))
    finally:
        emulator.restore(TOKEN.emulator_key)
    request = pb.DiffRequest(
        id=created.id, urn=urn, olds=read.properties, news=struct(inputs(emulator))
    )
    refresh = plugin.Diff(request)
    assert refresh.changes == pb.DiffResponse.DIFF_SOME
    marked = {name: (d.kind, d.inputDiff) for name, d in refresh.detailedDiff.items()}
    assert marked == {
        "status": (pb.PropertyDiff.UPDATE, False),
        "statusReason": (pb.PropertyDiff.UPDATE, False),
    }
    up = plugin.Diff(request)  # revalidation planned, nothing marked
    assert up.changes == pb.DiffResponse.DIFF_SOME and dict(up.detailedDiff) == {}
    back = plugin.Read(pb.ReadRequest(id=created.id, urn=urn, properties=read.properties))
    request.olds.CopyFrom(back.properties)
    assert set(plugin.Diff(request).detailedDiff) == {"status", "statusReason"}  # valid again
    assert plugin.Diff(request).changes == pb.DiffResponse.DIFF_NONE
    plugin.Read(pb.ReadRequest(id=created.id, urn=urn, inputs=struct(inputs(emulator))))
    assert plugin.Diff(request).changes == pb.DiffResponse.DIFF_NONE  # a get: no refresh


def test_delete_calls_no_vendor_and_unknown_types_are_named(
    plugin: Any, emulator: Emulator
) -> None:
    emulator.clear_log()
    plugin.Delete(pb.DeleteRequest(id="x", urn=URN, properties=struct({})))
    assert emulator.count() == 0
    assert plugin.Cancel(empty_pb2.Empty()) == empty_pb2.Empty()
    with pytest.raises(grpc.RpcError) as failed:
        plugin.Check(
            pb.CheckRequest(
                urn="urn:pulumi:dev::p::vendor-credentials:acme:Key::k", news=struct({})
            )
        )
    assert "unknown resource type 'vendor-credentials:acme:Key'" in failed.value.details()
    assert camel("base_url") == "baseUrl"


def test_plugin_exits_when_the_process_that_started_it_is_gone(tmp_path: Any) -> None:
    """A killed CLI leaves no plugin behind: the plugin notices it was reparented and exits."""
    pid_file, port_file = tmp_path / "plugin.pid", tmp_path / "port"
    starter = (  # start the plugin, wait until it serves, then go away like a killed CLI
        f"{sys.executable} -u -m vendor_credentials.native 127.0.0.1:1 > {port_file} & "
        f"echo $! > {pid_file}; while [ ! -s {port_file} ]; do sleep 0.1; done"
    )
    subprocess.run(["sh", "-c", starter], check=True, timeout=60)
    pid = int(pid_file.read_text())
    for _ in range(100):
        if not _running(pid):
            return
        time.sleep(0.1)
    os.kill(pid, 9)
    raise AssertionError("the plugin outlived the process that started it by 10 s")


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited process its new parent has not reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_engine_address_is_the_last_host_port_argument() -> None:
    from vendor_credentials.native.engine_log import engine_address

    assert engine_address(["-v=9", "--logtostderr", "127.0.0.1:40123"]) == "127.0.0.1:40123"
    assert engine_address(["--tracing", "x", "localhost:5"]) == "localhost:5"
    assert engine_address(["[::1]:7000"]) == "[::1]:7000"
    assert engine_address(["--logflow", "-v=9"]) is None


def test_fingerprint_key_arrives_as_a_secret_argument_and_keys_fingerprints(
    plugin: Any, emulator: Emulator
) -> None:
    from vendor_credentials.core.fingerprint import key_id

    team_key = "team-key-7c1e0b9f4d2a8e6b3f5a"
    plugin.Configure(
        pb.ConfigureRequest(args=struct({"fingerprintKey": secret(team_key)}), acceptSecrets=True)
    )
    try:
        created = plugin.Create(pb.CreateRequest(urn=URN, properties=struct(inputs(emulator))))
    finally:
        configure(plugin)
    assert plain(created.properties)["fingerprint"].startswith(f"fp2:{key_id(team_key)}:")
    assert key_id(team_key) != key_id(None)


def test_a_new_fingerprint_key_is_a_fingerprint_diff_that_up_applies_without_the_vendor(
    plugin: Any, emulator: Emulator
) -> None:
    """The audit's fix for incomparable fingerprints ('set the same key, then `pulumi up`')
    works for the native face too, whose inputs carry no fingerprint."""
    from vendor_credentials.core.fingerprint import key_id

    news = struct(inputs(emulator))
    created = plugin.Create(pb.CreateRequest(urn=URN, properties=news))
    olds = created.properties
    unchanged = plugin.Diff(pb.DiffRequest(id=created.id, urn=URN, olds=olds, news=news))
    assert unchanged.changes == pb.DiffResponse.DIFF_NONE
    team_key = "team-key-0e4b7d1a9c3f5e2b8d6a"
    plugin.Configure(
        pb.ConfigureRequest(args=struct({"fingerprintKey": secret(team_key)}), acceptSecrets=True)
    )
    try:
        diff = plugin.Diff(pb.DiffRequest(id=created.id, urn=URN, olds=olds, news=news))
        assert diff.changes == pb.DiffResponse.DIFF_SOME
        assert list(diff.diffs) == ["fingerprint"]
        emulator.clear_log()
        updated = plugin.Update(pb.UpdateRequest(id=created.id, urn=URN, olds=olds, news=news))
        assert emulator.count() == 0
    finally:
        configure(plugin)
    assert plain(updated.properties)["fingerprint"].startswith(f"fp2:{key_id(team_key)}:")
