"""Load and faults through the real engine: a rate-limited fleet, a vendor outage in the middle of
an `up`, the provider process killed inside a request, and two `up`s of one stack at once.

Each test has its own emulator (stopped, restarted, slowed or rate-limited without disturbing
other tests) and its own stack on the session's file backend. The emulator's request log is the
witness of what the provider did; the exported state is the witness of what the engine kept.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest

from support.stacks import EngineStack, Outcome
from vendor_credentials import helpscout, intercom, talkdesk
from vendor_credentials.emulator import Emulator

KIND_ORDER = ("mailbox", "docs", "intercom", "talkdesk")
# Requests one successful validation makes (token + identity probe for the exchanges).
REQUESTS_PER_VALIDATION = {"mailbox": 2, "docs": 1, "intercom": 1, "talkdesk": 2}


@dataclass(frozen=True)
class Cred:
    """One credential of a test fleet: how the program declares it, how the emulator knows it."""

    name: str
    kind: str
    secret: str

    def declare(self, base_url: str) -> None:
        index = self.name.rsplit("-", 1)[1]
        if self.kind == "mailbox":
            helpscout.MailboxCredential(
                self.name, app_id=f"app-{index}", app_secret=self.secret, base_url=base_url
            )
        elif self.kind == "docs":
            helpscout.DocsApiKey(self.name, api_key=self.secret, base_url=base_url)
        elif self.kind == "intercom":
            intercom.AccessToken(
                self.name, access_token=self.secret, region="eu", base_url=base_url
            )
        else:
            talkdesk.ClientCredential(
                self.name,
                account_name=f"acct-{index}",
                client_id=f"client-{index}",
                client_secret=self.secret,
                base_url=base_url,
            )

    def register(self, emulator: Emulator) -> None:
        index = self.name.rsplit("-", 1)[1]
        if self.kind == "mailbox":
            emulator.add("helpscout_mailbox", app_id=f"app-{index}", app_secret=self.secret)
        elif self.kind == "docs":
            emulator.add("helpscout_docs", api_key=self.secret)
        elif self.kind == "intercom":
            emulator.add("intercom", access_token=self.secret, region="eu")
        else:
            emulator.add(
                "talkdesk",
                account=f"acct-{index}",
                client_id=f"client-{index}",
                client_secret=self.secret,
            )


def fleet(size: int, prefix: str) -> list[Cred]:
    """``size`` credentials, the four kinds in turn, each with its own secret."""
    creds = []
    for index in range(size):
        kind = KIND_ORDER[index % len(KIND_ORDER)]
        creds.append(Cred(f"{kind}-{index:03d}", kind, f"{prefix}-{kind}-secret-{index:03d}-x7"))
    return creds


def program_of(creds: list[Cred]) -> Callable[[], None]:
    def program() -> None:
        base_url = pulumi.Config().require("base_url")
        for cred in creds:
            cred.declare(base_url)

    return program


def emulator_with(creds: list[Cred], **knobs: Any) -> Emulator:
    emulator = Emulator(**knobs).start()
    for cred in creds:
        cred.register(emulator)
    return emulator


def stack_for(
    name: str, creds: list[Cred], engine: dict[str, str], emulator: Emulator, **config: str
) -> EngineStack:
    stack = EngineStack(name, program_of(creds), engine)
    stack.set_config(
        {
            "base_url": emulator.base_url,
            "vendor-credentials:trustedOrigins": emulator.base_url,
            **config,
        }
    )
    return stack


def in_state(stack: EngineStack) -> dict[str, dict[str, Any]]:
    """Credentials in state by resource name; fails on a name seen twice."""
    found: dict[str, dict[str, Any]] = {}
    for resource in stack.credentials():
        name = resource["urn"].rsplit("::", 1)[1]
        assert name not in found, f"{name} is in state twice"
        found[name] = resource
    return found


def statuses(emulator: Emulator) -> Counter[int | None]:
    return Counter(record.status for record in emulator.requests)


def wait_for(what: str, condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


class ChildUp:
    """`up` of a fleet stack in a child Python process.

    A test that makes the engine fail abruptly runs the update there: the Automation API then
    leaves the inline program's coroutine unfinished, and its finaliser, run whenever the garbage
    collector gets to it, can land inside another ``ast.parse`` and break CPython 3.11's AST
    recursion counter for every later import through pytest's rewriter. In a child, whatever the
    SDK leaves behind ends with the child.
    """

    def __init__(
        self, stack: str, creds: list[Cred], engine: dict[str, str], config: dict[str, Any]
    ) -> None:
        here = Path(__file__).resolve().parent
        code = (
            "import sys; sys.path[:0] = sys.argv[1:3]; import test_faults; test_faults.child_up()"
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code, str(here), str(here.parent)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **engine},
        )
        spec = {
            "stack": stack,
            "creds": [[c.name, c.kind, c.secret] for c in creds],
            "env": engine,
            "config": {key: value.value for key, value in config.items()},
        }
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(spec) + "\n")  # a line: the child reads no more
        self._proc.stdin.flush()

    def result(self, timeout: float = 300) -> Outcome:
        try:
            out, err = self._proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            raise
        found = [line for line in out.splitlines() if line.startswith("RESULT ")]
        assert found, f"the child printed no result (exit {self._proc.returncode}):\n{err}"
        data = json.loads(found[-1].removeprefix("RESULT "))
        return Outcome(data["ok"], data["text"], data["changes"])


def child_up() -> None:
    """The child side of `ChildUp`: read the spec from stdin, run `up`, print the outcome."""
    spec = json.loads(sys.stdin.readline())
    creds = [Cred(name, kind, secret) for name, kind, secret in spec["creds"]]
    stack = EngineStack(spec["stack"], program_of(creds), spec["env"])
    stack.set_config(spec["config"])  # full keys, as the parent's stack has them
    outcome = stack.up()
    print("RESULT " + json.dumps({"ok": outcome.ok, "text": outcome.text, "changes": {}}))


class Background:
    """One engine operation on a thread, so the test can act while it runs."""

    def __init__(self, operation: Callable[[], Outcome]) -> None:
        self._outcome: Outcome | None = None
        self._thread = threading.Thread(target=self._run, args=(operation,), daemon=True)
        self._thread.start()

    def _run(self, operation: Callable[[], Outcome]) -> None:
        self._outcome = operation()

    def running(self) -> bool:
        return self._thread.is_alive()

    def result(self, timeout: float = 300) -> Outcome:
        self._thread.join(timeout)
        assert self._outcome is not None, f"the operation did not end within {timeout:.0f}s"
        return self._outcome


@pytest.fixture
def stopper() -> Iterator[list[Emulator]]:
    """Emulators a test starts; stopped at the end whatever happened."""
    started: list[Emulator] = []
    yield started
    for emulator in started:
        emulator.stop()


# -- (a) load ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_hundred_credentials_under_a_rate_limit_all_become_valid(
    engine: dict[str, str], stopper: list[Emulator]
) -> None:
    creds = fleet(100, "load")
    emulator = emulator_with(creds, rate_limit=10)  # 10 vendor requests a second, 429 beyond
    stopper.append(emulator)
    stack = stack_for("faults-load", creds, engine, emulator)

    started = time.monotonic()
    outcome = stack.up()
    elapsed = time.monotonic() - started

    assert outcome.ok, outcome
    state = in_state(stack)
    assert sorted(state) == sorted(cred.name for cred in creds)
    assert {r["outputs"]["status"] for r in state.values()} == {"valid"}
    seen = statuses(emulator)
    answered = sum(REQUESTS_PER_VALIDATION[cred.kind] for cred in creds)  # one validation each
    print(
        f"\n100 credentials under 10 requests/s: up took {elapsed:.1f}s; the emulator answered "
        f"{seen[429]} x 429 and {seen[200]} x 200 (one validation per credential needs "
        f"{answered}); {seen[429]} retries, every 429 retried once"
    )
    assert seen[429] > 0  # the limit was reached: the retries were exercised
    assert set(seen) == {200, 429}
    assert seen[200] >= answered


# -- (b) the vendor goes away in the middle of an up ---------------------------------------------


@pytest.mark.slow
def test_an_outage_mid_up_fails_clearly_and_a_rerun_converges(
    engine: dict[str, str], stopper: list[Emulator]
) -> None:
    creds = fleet(24, "outage")
    first = emulator_with(creds, latency=0.15)
    stopper.append(first)
    port = first.port
    stack = stack_for(
        "faults-outage",
        creds,
        engine,
        first,
        **{"vendor-credentials:maxAttempts": "2", "vendor-credentials:maxRetryWait": "2"},
    )

    running = Background(stack.up)
    wait_for("a third of the answers", lambda: statuses(first)[200] >= 12, 120)
    first.stop()  # the vendor (or the network to it) disappears mid-update
    failed = running.result()

    assert not failed.ok
    assert "could not connect" in failed.text
    assert f"http://127.0.0.1:{port}" in failed.text  # the endpoint is named
    before = in_state(stack)
    assert 0 < len(before) < len(creds)
    assert {r["outputs"]["status"] for r in before.values()} == {"valid"}

    second = emulator_with(creds, port=port)  # back, on the same address
    stopper.append(second)
    rerun = stack.up()

    assert rerun.ok, rerun
    after = in_state(stack)
    assert sorted(after) == sorted(cred.name for cred in creds)  # nothing lost, nothing twice
    assert {r["outputs"]["status"] for r in after.values()} == {"valid"}
    for name, resource in before.items():  # created once: the first run's ids are kept
        assert after[name]["id"] == resource["id"]
    assert rerun.changes.get("create") == len(creds) - len(before), rerun.changes
    assert not stack.export().get("pending_operations")
    told = next(line for line in failed.text.splitlines() if "could not connect" in line)
    print(f"\noutage: {len(before)} of {len(creds)} created before it, the rest on the rerun")
    print(f"the failed up said: {told.strip()}")


# -- (c) the provider process is killed inside a request -----------------------------------------


def lock_files(engine: dict[str, str], stack: str) -> list[Path]:
    backend = Path(engine["PULUMI_BACKEND_URL"].removeprefix("file://"))
    return [p for p in (backend / ".pulumi" / "locks").glob(f"**/{stack}/*.json") if p.is_file()]


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            pid = _parent_of(pid)
        except (OSError, ValueError, IndexError):
            return False
    return False


def our_processes(matches: Callable[[list[bytes]], bool]) -> list[int]:
    """Processes under this test process (never another engineer's) whose argv ``matches``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if matches(argv) and _descends_from(int(entry.name), os.getpid()):
            found.append(int(entry.name))
    return found


def is_dynamic_provider(argv: list[bytes]) -> bool:
    """The engine's plugin: `python -u -m pulumi.dynamic ...`."""
    return b"pulumi.dynamic" in argv


def is_pulumi_up(argv: list[bytes]) -> bool:
    """The CLI running an update: `.../pulumi up ...`."""
    return bool(argv) and argv[0].endswith(b"/pulumi") and b"up" in argv


def checkpoint_settled(stack: EngineStack, credentials: int) -> Callable[[], bool]:
    """True once the checkpoint file holds ``credentials`` of ours and has not changed for a
    second. The kill must not land inside a checkpoint write: the file backend replaces the
    checkpoint atomically, but rewrites its `.json.attrs` sidecar in place (gocloud fileblob's
    setAttrs), so a CLI killed there leaves an empty sidecar and every later read fails with
    "failed to load checkpoint: EOF" (seen in CI; the README's recovery for a killed job)."""
    last: tuple[int, int, int] | None = None  # checkpoint mtime, sidecar mtime and size
    since = time.monotonic()

    def settled() -> bool:
        nonlocal last, since
        try:
            path = stack.state_file()
            sidecar = path.with_name(path.name + ".attrs").stat()
            mark = (path.stat().st_mtime_ns, sidecar.st_mtime_ns, sidecar.st_size)
            latest = json.loads(path.read_text())["checkpoint"].get("latest") or {}
        except (AssertionError, OSError, ValueError, KeyError):
            return False
        ours = [r for r in latest.get("resources") or [] if "vendor-credentials:" in r["type"]]
        if len(ours) < credentials or sidecar.st_size == 0:
            return False
        if mark != last:
            last, since = mark, time.monotonic()
        return time.monotonic() - since >= 1.0

    return settled


def hang_started(emulator: Emulator) -> Callable[[], bool]:
    return lambda: any(record.fault == "hang" for record in emulator.requests)


@pytest.mark.slow
def test_a_provider_killed_inside_a_request_is_recovered_by_the_next_up(
    engine: dict[str, str], stopper: list[Emulator]
) -> None:
    """The engine survives its plugin: the interrupted create is recorded as failed (the
    journal closes the operation, so no pending CREATE is left in state), the update fails, and
    the next `up` starts a new plugin and creates what is missing."""
    creds = fleet(4, "plugin-killed")
    emulator = emulator_with(creds)
    stopper.append(emulator)
    stack = stack_for(  # the recovery runs here; the first up runs in a child process
        "faults-plugin-kill",
        creds,
        engine,
        emulator,
        **{"vendor-credentials:validateOnPreview": "false", "vendor-credentials:readTimeout": "90"},
    )
    emulator.inject("hang", times=1, seconds=60)

    running = ChildUp("faults-plugin-kill", creds, engine, stack.stack.get_all_config())
    wait_for("the hung request", hang_started(emulator), 120)
    plugins = our_processes(is_dynamic_provider)
    assert plugins, "no pulumi.dynamic process found under this test"
    for pid in plugins:
        os.kill(pid, signal.SIGKILL)
    killed = running.result()

    assert not killed.ok
    # The engine's words for a plugin that died; which one depends on when the socket closed.
    assert re.search(r"error reading from server: (EOF|connection reset by peer)", killed.text)
    assert "update failed" in killed.text
    assert not stack.export().get("pending_operations")
    assert lock_files(engine, "faults-plugin-kill") == []
    before = in_state(stack)
    assert len(before) < len(creds)
    assert {r["outputs"]["status"] for r in before.values()} <= {"valid"}

    emulator.clear_faults()
    recovered = stack.up()

    assert recovered.ok, recovered
    after = in_state(stack)
    assert sorted(after) == sorted(cred.name for cred in creds)
    assert {r["outputs"]["status"] for r in after.values()} == {"valid"}
    for name, resource in before.items():
        assert after[name]["id"] == resource["id"]
    assert not stack.export().get("pending_operations")


@pytest.mark.slow
def test_a_cli_killed_mid_create_leaves_a_pending_create_that_refresh_clears(
    engine: dict[str, str], stopper: list[Emulator]
) -> None:
    """When the CLI itself dies, the state keeps the interrupted create as a pending CREATE
    operation and the lock stays. `up` alone would only warn and carry the pending CREATE
    along (the engine wants a person to decide); for these resources the decision is always
    the same, because a create only validates and leaves nothing at the vendor: `cancel` the
    stale lock, `refresh(clear_pending_creates=True)`, then `up` creates what is missing."""
    creds = fleet(4, "cli-killed")
    emulator = emulator_with(creds)
    stopper.append(emulator)
    name = "faults-cli-kill"
    stack = stack_for(
        name,
        creds,
        engine,
        emulator,
        **{"vendor-credentials:validateOnPreview": "false", "vendor-credentials:readTimeout": "90"},
    )
    emulator.inject("hang", times=1, seconds=60)

    running = ChildUp(name, creds, engine, stack.stack.get_all_config())
    wait_for("the hung request", hang_started(emulator), 120)
    wait_for("the other creates' checkpoint", checkpoint_settled(stack, len(creds) - 1), 120)
    clis, plugins = our_processes(is_pulumi_up), our_processes(is_dynamic_provider)
    assert clis and plugins
    for pid in clis + plugins:  # the plugin too: it would outlive its CLI as an orphan
        os.kill(pid, signal.SIGKILL)
    assert not running.result().ok

    pending = stack.export().get("pending_operations") or []
    assert pending  # at least the hung create; others may have been in flight too
    assert {op["type"] for op in pending} == {"creating"}
    interrupted = {op["resource"]["urn"].rsplit("::", 1)[1] for op in pending}
    assert not interrupted & set(in_state(stack))
    assert lock_files(engine, name)  # a dead CLI cannot unlock
    refused = stack.up()
    assert not refused.ok
    assert "the stack is currently locked" in refused.text

    stack.stack.cancel()  # removes the stale lock of the file backend
    emulator.clear_faults()
    cleared = stack.refresh(clear_pending_creates=True)
    assert cleared.ok, cleared
    assert not stack.export().get("pending_operations")
    assert not interrupted & set(in_state(stack))  # cleared, not imported

    recovered = stack.up()

    assert recovered.ok, recovered
    after = in_state(stack)
    assert sorted(after) == sorted(cred.name for cred in creds)
    assert {r["outputs"]["status"] for r in after.values()} == {"valid"}
    assert not stack.export().get("pending_operations")
    assert lock_files(engine, name) == []


# -- (d) two ups of one stack at the same time ---------------------------------------------------


@pytest.mark.slow
def test_a_second_up_while_the_first_runs_is_refused_and_state_stays_intact(
    engine: dict[str, str], stopper: list[Emulator]
) -> None:
    creds = fleet(2, "locked")
    emulator = emulator_with(creds, latency=2.0)  # keeps the first update (and its lock) going
    stopper.append(emulator)
    name = "faults-lock"
    first = stack_for(name, creds, engine, emulator)
    second = EngineStack(name, program_of(creds), engine)  # another job selecting the same stack

    running = Background(first.up)
    wait_for("the first up's lock", lambda: bool(lock_files(engine, name)), 120)
    held = lock_files(engine, name)
    wait_for("the first vendor request", lambda: emulator.count() > 0, 60)
    refused = second.up()
    first_still_running = running.running()
    still_held = lock_files(engine, name)
    done = running.result()

    print(f"\nthe second up was told: {refused.text.strip().splitlines()[-3:]}")
    assert not refused.ok
    assert "the stack is currently locked by 1 lock(s)" in refused.text
    assert "Either wait for the other process(es) to end" in refused.text
    assert held[0].name in refused.text  # names the lock, and who holds it
    assert "(pid " in refused.text
    assert first_still_running
    assert still_held == held  # refused while the first update held the lock; it was untouched
    assert done.ok, done
    assert done.changes.get("create") == len(creds) + 1, done.changes  # and the stack
    state = in_state(first)
    assert sorted(state) == sorted(cred.name for cred in creds)
    assert {r["outputs"]["status"] for r in state.values()} == {"valid"}
    assert not first.export().get("pending_operations")
    assert lock_files(engine, name) == []
