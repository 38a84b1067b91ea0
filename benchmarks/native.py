"""The native provider path side by side with the dynamic path and the no-op floor, in one run.

    .venv/bin/python benchmarks/run.py native [--n 100] [--repeats 1] [--workers 16]

N credentials (the four kinds in turn) at 100 ms per vendor request (+50 ms per new connection):
``preview`` (validating, on an empty stack), ``up``, ``refresh`` and ``destroy`` through the real
engine, for the no-op floor (``benchmarks.noop``), the Python dynamic resources and the same
credentials declared as native provider resources (``vendor-credentials:<vendor>:<Kind>``,
served by ``pulumi-resource-vendor-credentials``); and the provider once more against a vendor
that answers at once (``provider 0 ms``): the most a wider pool could ever save. Interleaved per
repeat, like ``suite.py``.
Checks the issue's targets: provider ``up`` at least 2x faster than dynamic ``up``; a validating
provider ``preview`` within 1.25x of floor + ceil(N/P) x requests x latency (P = workers).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from benchmarks.emulator_host import EmulatorProcess
from benchmarks.fleet import Credential, fleet, requests_for
from benchmarks.suite import (
    DESTROY,
    NOOP,
    PREVIEW,
    PROJECT,
    REFRESH,
    ROOT,
    SLOW,
    UP,
    ZERO,
    Bench,
    fmt,
    machine,
    median,
    uptime,
)
from vendor_credentials.engine import TOOLS_BIN, engine_env, inline_stack

NATIVE = "provider 100 ms"
# The same provider stack with a vendor that answers at once: what the provider path costs with
# no vendor waits at all, so dynamic / this is the most any provider could reach on this machine.
NATIVE_AT_ZERO = "provider 0 ms"
DYNAMIC = SLOW.subject  # "creds 100 ms"
SUBJECTS = (NOOP, DYNAMIC, NATIVE, NATIVE_AT_ZERO)
NATIVE_STACKS = {NATIVE: "bench-native", NATIVE_AT_ZERO: "bench-native-0ms"}
CYCLE = (PREVIEW, UP, REFRESH, DESTROY)


def native_inputs(credential: Credential, base_url: str) -> tuple[str, dict[str, Any]]:
    """The credential as a native resource: type token and camelCase inputs."""
    import pulumi

    secret = pulumi.Output.secret(credential.secret)
    if credential.kind == "helpscout-mailbox":
        token = "helpscout:MailboxCredential"
        props: dict[str, Any] = {"appId": credential.ident, "appSecret": secret}
    elif credential.kind == "helpscout-docs":
        token, props = "helpscout:DocsApiKey", {"apiKey": secret}
    elif credential.kind == "intercom":
        token = "intercom:AccessToken"
        props = {"accessToken": secret, "region": credential.region}
    else:
        token = "talkdesk:ClientCredential"
        props = {
            "accountName": credential.ident,
            "clientId": credential.ident,
            "clientSecret": secret,
            "scopes": ["account:read"],
        }
    return f"vendor-credentials:{token}", {**props, "baseUrl": base_url}


def native_program(n: int, base_url: str) -> Callable[[], None]:
    def program() -> None:
        import pulumi

        for credential in fleet(n):
            token, props = native_inputs(credential, base_url)
            pulumi.CustomResource(token, credential.name, props)

    return program


class NativeBench(Bench):
    """``Bench`` with one more subject: the same fleet through the native provider."""

    def stack(self, subject: str, n: int) -> auto.Stack:
        if subject not in NATIVE_STACKS or (subject, n) in self._stacks:
            return super().stack(subject, n)
        name = f"{NATIVE_STACKS[subject]}-n{n}"
        work_dir = Path(self.env["PULUMI_HOME"]).parent / "work" / name
        work_dir.mkdir(parents=True, exist_ok=True)
        program = native_program(n, self.emulator.base_url)
        self._stacks[(subject, n)] = inline_stack(
            name, program, project=PROJECT, env=self.env, work_dir=work_dir
        )
        self.trust_emulator(self._stacks[(subject, n)])
        return self._stacks[(subject, n)]

    def cycle(self, subject: str, n: int, *, record: bool) -> None:
        scenario = ZERO if subject == NATIVE_AT_ZERO else SLOW
        self.emulator.configure(latency=scenario.latency, connect_cost=scenario.connect_cost)
        for operation in CYCLE:
            self.timed(subject, operation, n, record=record)


def report(bench: NativeBench, n: int, workers: int) -> list[str]:
    def med(subject: str, operation: str) -> float:
        return median([m.seconds for m in bench.samples[(subject, operation, n)]])

    def peak(subject: str, operation: str) -> str:
        peaks = [m.peak for m in bench.samples[(subject, operation, n)]]
        return str(max(peaks)) if peaks else "-"

    lines = [
        f"| operation (N={n}) | no-op floor | dynamic 100 ms | provider 100 ms | "
        "dynamic / provider | peak in flight (dyn / prov) | provider 0 ms | "
        "dynamic / provider 0 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for operation in CYCLE:
        dyn, nat = med(DYNAMIC, operation), med(NATIVE, operation)
        instant = med(NATIVE_AT_ZERO, operation)
        lines.append(
            f"| {operation} | {fmt(med(NOOP, operation))} s | {fmt(dyn)} s | {fmt(nat)} s | "
            f"{fmt(dyn / nat if nat else math.nan)}x | "
            f"{peak(DYNAMIC, operation)} / {peak(NATIVE, operation)} | {fmt(instant)} s | "
            f"{fmt(dyn / instant if instant else math.nan)}x |"
        )
    per_validation = requests_for(n) / n
    ideal = math.ceil(n / workers) * per_validation * SLOW.latency
    limit = 1.25 * (med(NOOP, PREVIEW) + ideal)
    preview = med(NATIVE, PREVIEW)
    speedup = med(DYNAMIC, UP) / med(NATIVE, UP)
    bound = med(DYNAMIC, UP) / med(NATIVE_AT_ZERO, UP)
    lines += [
        "",
        f"- provider `up` vs dynamic `up`: {fmt(speedup)}x faster (target >= 2x): "
        + ("met" if speedup >= 2 else "NOT met"),
        f"- with a vendor that answers at once the provider's `up` takes "
        f"{fmt(med(NATIVE_AT_ZERO, UP))} s (no-op floor {fmt(med(NOOP, UP))} s): even with no "
        f"vendor waits at all it would be {fmt(bound)}x faster than dynamic `up` on this machine",
        f"- provider validating `preview`: {fmt(preview)} s; limit 1.25 x (floor "
        f"{fmt(med(NOOP, PREVIEW))} s + ceil({n}/{workers}) x {fmt(per_validation)} requests x "
        f"{SLOW.latency:.1f} s = {fmt(ideal)} s) = {fmt(limit)} s: "
        + ("met" if preview <= limit else "NOT met"),
    ]
    return lines + [f"- warning: {w}" for w in bench.warnings]


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=".venv/bin/python benchmarks/run.py native")
    parser.add_argument("--n", type=int, default=100, help="credentials per stack (default 100)")
    parser.add_argument("--repeats", type=int, default=1, help="cycles per subject (default 1)")
    parser.add_argument("--workers", type=int, default=16, help="vendor-credentials:workers")
    parser.add_argument(
        "--skip-checkpoints",
        action="store_true",
        help="PULUMI_SKIP_CHECKPOINTS=true for every subject: the engine writes the state once at "
        "the end instead of after every step (what dominates the floor at N=100 on 2 cores)",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        default=None,
        help="the engine's --parallel for every subject (default: the provider's workers; the "
        "CLI's own default is 4 x CPUs, 8 on 2 cores, which would cap the provider's pool)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse(argv)
    args.parallel = args.parallel or args.workers
    if not (TOOLS_BIN / "pulumi-resource-vendor-credentials").exists():
        raise SystemExit("the provider plugin's launcher is missing: run scripts/ensure-engine.sh")
    load_before, info, started = uptime(), machine(), time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="vendor-credentials-bench-native-"))
    env = engine_env(root / "backend", home=root / "home", passphrase="benchmark")
    # The dynamic-provider plugin must import benchmarks.noop to unpickle the no-op provider.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    if args.skip_checkpoints:
        env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    try:
        with EmulatorProcess() as emulator:
            for credential in fleet(args.n):
                credential.register(emulator)
            bench = NativeBench(emulator, env, planned=len(SUBJECTS) * len(CYCLE) * args.repeats)
            bench.parallel = args.parallel
            bench.progress(f"load: {load_before}")
            for subject in NATIVE_STACKS:
                bench.stack(subject, args.n).set_config(
                    "vendor-credentials:workers", auto.ConfigValue(str(args.workers))
                )
            for subject in SUBJECTS:  # warm-up, not recorded
                bench.cycle(subject, 1, record=False)
            for _ in range(args.repeats):
                for subject in SUBJECTS:
                    bench.cycle(subject, args.n, record=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    header = [
        "## Native provider benchmark",
        "",
        f"- command: `.venv/bin/python benchmarks/run.py native {' '.join(argv)}`".rstrip()
        + f" ({(time.monotonic() - started) / 60:.1f} min)",
        f"- machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} RAM; "
        f"pulumi {info['pulumi']}",
        f"- load before: `{load_before}`; after: `{uptime()}`",
        f"- emulator: 100 ms per request + 50 ms per new connection; {args.n} credentials, "
        f"{requests_for(args.n)} requests to validate all; provider workers: {args.workers}; "
        f"engine --parallel: {args.parallel} (every subject)"
        + ("; PULUMI_SKIP_CHECKPOINTS=true" if args.skip_checkpoints else ""),
        "",
    ]
    print("\n".join(header + report(bench, args.n, args.workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
