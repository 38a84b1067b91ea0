"""The schema and the YAML example are generated from the kinds' declarations and committed."""

from __future__ import annotations

import json

from vendor_credentials.native.example import EXAMPLE_FILE, render
from vendor_credentials.native.kinds import camel, kind_for_token, native_kinds
from vendor_credentials.native.schema import SCHEMA_FILE, generate, schema_json


def test_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_json(), (
        "provider/schema.json is stale: run `.venv/bin/python -m vendor_credentials.native.schema"
        " --write` and commit it"
    )


def test_committed_yaml_example_is_the_generated_one() -> None:
    assert EXAMPLE_FILE.read_text(encoding="utf-8") == render(), (
        "examples/yaml/Pulumi.yaml is stale: run `.venv/bin/python -m "
        "vendor_credentials.native.example --write` and commit it"
    )


def test_every_registered_kind_has_a_resource_token_from_its_kind_string() -> None:
    resources = generate()["resources"]
    assert len(resources) == len(native_kinds())
    for info in native_kinds():
        vendor, name = info.kind.split(".")
        token = f"vendor-credentials:{vendor}:{name}"
        assert token in resources
        assert kind_for_token(token) is info
    assert "vendor-credentials:intercom:AccessToken" in resources


def test_properties_are_camel_case_with_secret_and_replace_flags() -> None:
    resources = generate()["resources"]
    for info in native_kinds():
        spec = resources[info.token]
        assert spec["description"].strip(), info.kind
        for name in info.input_names:
            prop = spec["inputProperties"][camel(name)]
            assert prop.get("secret", False) == (name in info.secret_fields), (info.kind, name)
            assert prop.get("replaceOnChanges", False) == (name in info.replace_fields)
            assert prop["description"]
        for name in info.secret_fields:
            assert spec["properties"][camel(name)]["secret"] is True
        assert all("_" not in key for key in (*spec["inputProperties"], *spec["properties"]))
    intercom = resources["vendor-credentials:intercom:AccessToken"]
    assert set(intercom["inputProperties"]) == {"accessToken", "region", "baseUrl", "description"}
    assert intercom["inputProperties"]["region"]["default"] == "us"
    assert intercom["requiredInputs"] == ["accessToken"]
    talkdesk = resources["vendor-credentials:talkdesk:ClientCredential"]
    assert "accountName" in talkdesk["inputProperties"]
    # The requested scopes are kept apart from the granted ones (the output `scopes`).
    assert "requestedScopes" in talkdesk["properties"]


def test_outputs_are_those_of_the_dynamic_resources() -> None:
    for spec in generate()["resources"].values():
        for name in ("vendor", "kind", "status", "statusReason", "identity", "fingerprint"):
            assert name in spec["properties"]
            assert name in spec["required"]
        for name in ("validatedAt", "expiresAt", "scopes"):
            assert name in spec["properties"]


def test_provider_settings_are_the_stack_settings_and_a_worker_pool() -> None:
    schema = generate()
    expected = {
        "connectTimeout",
        "readTimeout",
        "maxAttempts",
        "maxRetryWait",
        "caBundle",
        "validateOnPreview",
        "trustedOrigins",
        "fingerprintKey",
        "workers",
    }
    assert set(schema["config"]["variables"]) == expected
    assert set(schema["provider"]["inputProperties"]) == expected
    secret = {name for name, spec in schema["config"]["variables"].items() if spec.get("secret")}
    assert secret == {"fingerprintKey"}  # a team key: encrypted in config and in SDKs
    assert json.loads(schema_json()) == schema
