"""Generated SDKs: ``pulumi package gen-sdk`` for TypeScript and Go from ``provider/schema.json``,
built (``tsc``, ``go build``), and a TypeScript Automation API inline program that declares a
credential through the TypeScript SDK and proves it against the emulator.

The CLI's gen-sdk asks the language's host to generate; ``scripts/ensure-engine.sh`` installs
stand-ins built from pulumi's own generators (the proxy refuses the real hosts). Node packages come
from the npm registry through ``scripts/ensure-node-sdk.sh`` (cached in ``.tools/node-sdk``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from support.cases import CASES
from vendor_credentials.emulator import Emulator
from vendor_credentials.engine import ROOT, TOOLS_BIN
from vendor_credentials.native.kinds import native_kinds
from vendor_credentials.native.schema import SCHEMA_FILE

NODE_DEPS = ROOT / ".tools" / "node-sdk" / "node_modules"
# Checksums of the Pulumi Go SDK and its dependencies, from our own Go builds: the engine's (when
# it was built here) or the SDK generators' (always built, also beside a `pulumi` found on PATH).
GO_SUMS = [ROOT / ".tools" / "engine-src" / "go.sum", ROOT / ".tools" / "codegen-src" / "go.sum"]
INTERCOM = next(c for c in CASES if c.kind == "intercom.AccessToken")

PROGRAM = """\
import * as pulumi from "@pulumi/pulumi";
import * as auto from "@pulumi/pulumi/automation";
import * as intercom from "./intercom";

// An inline program: the Automation API runs it in this process, no language host needed.
async function main(): Promise<void> {
    const program = async () => {
        const cred = new intercom.AccessToken("ts-intercom", {
            accessToken: pulumi.secret(process.env.INTERCOM_TOKEN!),
            region: "eu",
            baseUrl: process.env.EMULATOR_URL!,
        });
        return { status: cred.status, identity: cred.identity, token: cred.accessToken };
    };
    const stack = await auto.LocalWorkspace.createOrSelectStack(
        { stackName: "ts", projectName: "vendor-credentials-ts", program },
        // its own directory: by default the workspace is a new /tmp/automation-* left behind
        { secretsProvider: "passphrase", workDir: process.env.WORK_DIR! },
    );
    const up = await stack.up();
    const destroyed = await stack.destroy();
    console.log(JSON.stringify({
        status: up.outputs.status.value,
        identity: up.outputs.identity.value,
        tokenIsSecret: up.outputs.token.secret,
        created: up.summary.resourceChanges?.create,
        deleted: destroyed.summary.resourceChanges?.delete,
    }));
}

main().catch((err) => { console.error(err); process.exit(1); });
"""


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args[:4])} failed:\n{output[-4000:]}"
    return output


@pytest.fixture(scope="module")
def env(engine: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **engine}


@pytest.fixture(scope="module")
def sdks(env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdks")
    for language in ("nodejs", "go"):
        args = ["package", "gen-sdk", str(SCHEMA_FILE), "--language", language, "--out", str(out)]
        run([str(TOOLS_BIN / "pulumi"), *args], out, env)
    return out


@pytest.fixture(scope="module")
def typescript(sdks: Path, env: dict[str, str]) -> Path:
    """The TypeScript SDK and the program compiled with tsc (package.json as a release has it)."""
    run(["bash", str(ROOT / "scripts" / "ensure-node-sdk.sh")], ROOT, env)
    sdk = sdks / "nodejs"
    (sdk / "node_modules").symlink_to(NODE_DEPS, target_is_directory=True)
    package = json.loads((sdk / "package.json").read_text())
    package["version"] = "0.1.0"  # gen-sdk leaves ${VERSION} for the release to fill in
    (sdk / "program.ts").write_text(PROGRAM)
    config = {"extends": "./tsconfig.json", "files": ["program.ts", "index.ts"]}
    (sdk / "tsconfig.program.json").write_text(json.dumps(config))
    tsc = str(NODE_DEPS / "typescript" / "bin" / "tsc")
    run(["node", tsc, "-p", "tsconfig.json"], sdk, env)
    run(["node", tsc, "-p", "tsconfig.program.json"], sdk, env)
    (sdk / "bin" / "package.json").write_text(json.dumps(package))
    return sdk


def _module_file(directory: Path, name: str, suffix: str) -> Path:
    """The generated file of a resource named ``name`` (matched without regard to case)."""
    found = [p for p in directory.glob(f"*{suffix}") if p.stem.lower() == name.lower()]
    assert len(found) == 1, (name, sorted(p.name for p in directory.iterdir()))
    return found[0]


def test_gen_sdk_writes_one_class_per_kind_in_both_languages(sdks: Path) -> None:
    for info in native_kinds():
        name = info.kind.split(".", 1)[1]
        # The generators camelCase the name their own way (OAuth2Client -> oauth2Client).
        ts = _module_file(sdks / "nodejs" / info.vendor, name, ".ts")
        go = _module_file(sdks / "go" / "vendorcredentials" / info.vendor, name, ".go")
        assert f"'{info.token}'" in ts.read_text(), info.kind
        assert f'"{info.token}"' in go.read_text(), info.kind
    token_ts = (sdks / "nodejs" / "intercom" / "accessToken.ts").read_text()
    assert 'additionalSecretOutputs: ["accessToken"]' in token_ts
    assert 'replaceOnChanges: ["region"]' in token_ts


def test_typescript_sdk_compiles_with_tsc(typescript: Path) -> None:
    for info in native_kinds():
        assert (typescript / "bin" / info.vendor / "index.d.ts").exists(), info.kind


def test_go_sdk_builds(sdks: Path, env: dict[str, str]) -> None:
    module = sdks / "go"
    (module / "go.mod").write_text(
        "module example.com/vendor-credentials/sdk/go\n\ngo 1.26\n\n"
        "require github.com/pulumi/pulumi/sdk/v3 v3.274.1\n"
    )
    shutil.copy(next(path for path in GO_SUMS if path.exists()), module / "go.sum")
    run(["nice", "-n", "10", "go", "mod", "tidy"], module, env)
    run(["nice", "-n", "10", "go", "build", "./..."], module, env)
    run(["go", "vet", "./vendorcredentials/intercom/"], module, env)


def test_typescript_automation_program_proves_a_credential(
    typescript: Path, env: dict[str, str], emulator: Emulator, tmp_path: Path
) -> None:
    program_env = {
        **env,
        "INTERCOM_TOKEN": INTERCOM.secret,
        "EMULATOR_URL": emulator.base_url,
        "WORK_DIR": str(tmp_path),
    }
    output = run(["node", "bin/program.js"], typescript, program_env)
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    assert result["status"] == "valid", output
    assert result["identity"]["region"] == "eu"
    assert result["tokenIsSecret"] is True
    assert result["created"] == 2 and result["deleted"] == 2  # the stack and the credential
    assert INTERCOM.secret not in output
