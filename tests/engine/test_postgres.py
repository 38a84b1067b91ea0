"""Stack state in PostgreSQL (the DIY backend's `postgres://` URL), through the real `pulumi` CLI.

A private server (`postgres_server`, scripts/postgres.sh) holds the state; the tests read its table
with `psql` to prove the state is there, encrypted where it must be. They use the Intercom case
with the `us` and `au` seeds, which no other test rotates or revokes, so they can share the
emulator with the lifecycle tests. Tests run in file order on one shared stack, like
test_lifecycle.py.

How the backend locks (pkg/backend/diy/lock.go, v3.274.1): before `up`, `refresh`, `destroy`
(and stack init/rename/rm; not `preview`) the CLI lists `<db>/.pulumi/locks/<org>/<project>/
<stack>/`, fails if another lock is there, writes its own `<lock id>.json` (pid, user, host, time),
lists again and backs off if it is not alone; it deletes its lock when done. Nothing waits or
retries: a second writer is refused at once with "the stack is currently locked by 1 lock(s)".
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from support.cases import case_for
from support.postgres import ConcurrentUp, PostgresServer
from support.stacks import EngineStack
from vendor_credentials.emulator import DEMO_CREDENTIALS, Emulator

INTERCOM = case_for("intercom.AccessToken")
US_TOKEN = DEMO_CREDENTIALS["intercom_us"]["access_token"]
AU_TOKEN = DEMO_CREDENTIALS["intercom_au"]["access_token"]
PROJECT = "vendor-credentials-tests"  # EngineStack's project
STACK = "pg-lifecycle"
LATENCY = 6.0  # seconds per vendor request while two updates must overlap
SECRET_FIELDS = ("app_secret", "api_key", "access_token", "client_secret")
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # marks an encrypted value in Pulumi state

T = TypeVar("T")


def demo_secrets() -> dict[str, str]:
    return {
        f"{seed}.{name}": value
        for seed, fields in DEMO_CREDENTIALS.items()
        for name, value in fields.items()
        if name in SECRET_FIELDS
    }


def wait_for(what: str, probe: Callable[[], T], timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


def stack_blob_key(stack: str) -> str:
    return f"%/.pulumi/stacks/{PROJECT}/{stack}.json"


def checkpoint(server: PostgresServer, stack: str) -> dict[str, Any]:
    blobs = server.blobs(stack_blob_key(stack))
    assert len(blobs) == 1, [b.key for b in blobs]
    return dict(blobs[0].json()["checkpoint"])


def credentials_in(chk: dict[str, Any]) -> list[dict[str, Any]]:
    resources = (chk.get("latest") or {}).get("resources") or []
    return [r for r in resources if "vendor-credentials:" in r.get("type", "")]


@pytest.fixture(scope="module", autouse=True)
def _restore_environ() -> Iterator[None]:
    """inline_stack copies the env (backend URL included) into os.environ: undo it afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def pg_env(engine: dict[str, str], postgres_url: str) -> dict[str, str]:
    return {**engine, "PULUMI_BACKEND_URL": postgres_url}


def stack_config(emulator: Emulator, region: str, **extra: str) -> dict[str, str]:
    return INTERCOM.config(emulator.base_url, region=region, **extra)


@pytest.fixture(scope="module")
def stack(pg_env: dict[str, str], emulator: Emulator) -> EngineStack:
    made = EngineStack(STACK, INTERCOM.program(), pg_env, project=PROJECT)
    made.set_config({"access_token": US_TOKEN}, secret=True)
    made.set_config(stack_config(emulator, "us"))
    return made


def test_up_stores_the_stack_in_postgres_not_on_disk(
    stack: EngineStack, postgres_server: PostgresServer, engine: dict[str, str]
) -> None:
    outcome = stack.up()
    assert outcome.ok, outcome
    assert outcome.outputs["status"] == "valid"
    assert outcome.outputs["identity"]["region"] == "us"

    keys = [b.key for b in postgres_server.blobs()]
    assert f"pulumi/.pulumi/stacks/{PROJECT}/{STACK}.json" in keys, keys  # <db>/ prefixes keys
    assert "pulumi/.pulumi/meta.yaml" in keys, keys
    assert any(k.startswith(f"pulumi/.pulumi/history/{PROJECT}/{STACK}/") for k in keys), keys
    (credential,) = credentials_in(checkpoint(postgres_server, STACK))
    assert credential["outputs"]["fingerprint"] == outcome.outputs["fingerprint"]
    assert credential["outputs"]["status"] == "valid"
    # and nothing went to the file backend the other engine tests use
    file_backend = Path(engine["PULUMI_BACKEND_URL"].removeprefix("file://"))
    assert list(file_backend.glob(f"**/{STACK}.json")) == []


def test_no_secret_is_in_the_table_in_plain_text(
    stack: EngineStack, postgres_server: PostgresServer
) -> None:
    blobs = postgres_server.blobs()
    assert blobs
    for label, secret in {**demo_secrets(), "database password": postgres_server.password}.items():
        for blob in blobs:
            assert secret not in blob.raw, (label, blob.key)
            assert secret.encode() not in blob.content, (label, blob.key)
    # The token is in state, encrypted: the resource's secret output is a ciphertext.
    (credential,) = credentials_in(checkpoint(postgres_server, STACK))
    token = credential["outputs"]["access_token"]
    assert token[SECRET_SIG] == "1b47061264138c4ac30d75fd1eb44270", token
    assert token["ciphertext"], token


def test_refresh_reads_and_writes_state_in_postgres(
    stack: EngineStack, postgres_server: PostgresServer
) -> None:
    history = f"pulumi/.pulumi/history/{PROJECT}/{STACK}/%.history.json"
    before = len(postgres_server.blobs(history))
    outcome = stack.refresh()
    assert outcome.ok, outcome
    assert set(outcome.changes) == {"same"}, outcome.changes
    assert len(postgres_server.blobs(history)) == before + 1
    assert postgres_server.locks() == []


def test_audit_reads_the_stack_from_postgres(stack: EngineStack, pg_env: dict[str, str]) -> None:
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "vendor_credentials.cli", "audit", STACK, "--format", "json"],
        env={**os.environ, **pg_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    (credential,) = report["credentials"]
    assert credential["kind"] == INTERCOM.kind
    assert credential["stacks"][STACK]["status"] == "valid"
    assert US_TOKEN not in done.stdout + done.stderr


def test_second_up_of_the_same_stack_is_refused_while_the_first_holds_the_lock(
    stack: EngineStack, postgres_server: PostgresServer, pg_env: dict[str, str], emulator: Emulator
) -> None:
    writers = {
        name: ConcurrentUp(
            STACK,
            INTERCOM.id,
            pg_env,
            stack_config(emulator, "us", description=f"written by the {name} job"),
            {"access_token": US_TOKEN},
        )
        for name in ("first", "second")
    }
    first, second = writers["first"], writers["second"]
    previous = emulator.latency
    try:
        for writer in writers.values():
            writer.wait_ready()
        emulator.latency = LATENCY  # the first update's vendor call keeps its lock for seconds
        first.go()
        held = wait_for("the first job's lock", lambda: postgres_server.locks(STACK), 120)
        second.go()
        refused = second.result(timeout=180)
        still_held = postgres_server.locks(STACK)
        done = first.result(timeout=300)
    finally:
        emulator.latency = previous
        for writer in writers.values():
            writer.kill()

    print(refused.text)  # shown with -rP: the exact message the second job gets
    (lock,) = held
    assert still_held == held  # the second was refused while the first still held the lock
    assert not refused.ok, refused
    assert "the stack is currently locked by 1 lock(s)" in refused.text, refused
    assert "Either wait for the other process(es) to end" in refused.text, refused
    assert f"(pid {lock.pid})" in refused.text, refused  # names the holder
    assert lock.key.removeprefix("pulumi/") in refused.text, refused  # and the lock object
    assert "postgres://****:****@" in refused.text, refused  # the URL, credentials masked
    assert postgres_server.password not in refused.text
    assert refused.ended < done.ended

    assert done.ok, done
    assert done.changes.get("update") == 1, done.changes
    # State is intact: the first job's update, no lock left, no operation left pending.
    chk = checkpoint(postgres_server, STACK)
    (credential,) = credentials_in(chk)
    assert credential["outputs"]["description"] == "written by the first job"
    assert credential["outputs"]["status"] == "valid"
    assert not chk["latest"].get("pending_operations")
    assert postgres_server.locks() == []
    assert stack.credentials()[0]["outputs"]["description"] == "written by the first job"


def test_two_ups_of_the_same_stack_started_together_never_both_proceed(
    stack: EngineStack, postgres_server: PostgresServer, pg_env: dict[str, str], emulator: Emulator
) -> None:
    """Check, write, check again: when both write their lock before either checks again, both
    are refused; at most one ever proceeds, and the state is the winner's or unchanged."""
    (before,) = credentials_in(checkpoint(postgres_server, STACK))
    writers = {
        f"job {name}": ConcurrentUp(
            STACK,
            INTERCOM.id,
            pg_env,
            stack_config(emulator, "us", description=f"written by job {name}"),
            {"access_token": US_TOKEN},
        )
        for name in ("A", "B")
    }
    previous = emulator.latency
    try:
        for writer in writers.values():
            writer.wait_ready()
        emulator.latency = LATENCY
        for writer in writers.values():
            writer.go()
        results = {name: writer.result(timeout=300) for name, writer in writers.items()}
    finally:
        emulator.latency = previous
        for writer in writers.values():
            writer.kill()

    winners = [name for name, result in results.items() if result.ok]
    print({name: (r.ok, r.text.strip().splitlines()[-1:]) for name, r in results.items()})
    assert len(winners) <= 1, results
    for name, result in results.items():
        if not result.ok:
            assert "the stack is currently locked by" in result.text, (name, result)
    (after,) = credentials_in(checkpoint(postgres_server, STACK))
    expected = f"written by {winners[0]}" if winners else before["outputs"]["description"]
    assert after["outputs"]["description"] == expected
    assert after["outputs"]["status"] == "valid"
    assert postgres_server.locks() == []


def test_updates_of_two_different_stacks_at_the_same_time_both_succeed(
    postgres_server: PostgresServer, pg_env: dict[str, str], emulator: Emulator
) -> None:
    jobs = {
        "pg-parallel-us": ConcurrentUp(
            "pg-parallel-us",
            INTERCOM.id,
            pg_env,
            stack_config(emulator, "us"),
            {"access_token": US_TOKEN},
        ),
        "pg-parallel-au": ConcurrentUp(
            "pg-parallel-au",
            INTERCOM.id,
            pg_env,
            stack_config(emulator, "au"),
            {"access_token": AU_TOKEN},
        ),
    }
    previous = emulator.latency
    try:
        for job in jobs.values():
            job.wait_ready()
        emulator.latency = LATENCY
        for job in jobs.values():
            job.go()
        both = wait_for(
            "both stacks locked at once",
            lambda: {lock.key.split("/")[-2] for lock in postgres_server.locks()} >= set(jobs),
            120,
        )
        results = {name: job.result(timeout=300) for name, job in jobs.items()}
    finally:
        emulator.latency = previous
        for job in jobs.values():
            job.kill()

    assert both  # each stack has its own lock: neither waited for the other
    for name, result in results.items():
        assert result.ok, (name, result)
        assert result.changes.get("create") == 2, (name, result.changes)  # stack + credential
        assert result.outputs["identity"]["region"] == name.rsplit("-", 1)[1]
        (credential,) = credentials_in(checkpoint(postgres_server, name))
        assert credential["outputs"]["status"] == "valid"
    us, au = results.values()
    assert us.started < au.ended and au.started < us.ended  # the updates overlapped
    assert postgres_server.locks() == []


def test_destroy_empties_the_stack_in_postgres(
    stack: EngineStack, postgres_server: PostgresServer
) -> None:
    outcome = stack.destroy()
    assert outcome.ok, outcome
    assert credentials_in(checkpoint(postgres_server, STACK)) == []
    assert stack.credentials() == []
    assert postgres_server.locks() == []
