"""Pulumi state in PostgreSQL for the engine tests: a private server and concurrent `up`s.

`postgres_server` (session) starts a private PostgreSQL with ``scripts/postgres.sh`` in a fresh
directory under ``.pulumi-state/postgres-tests/`` (loopback only, free port, password auth) and
stops and deletes it at the end of the session, also when tests fail. If it cannot start, every
test that asks for it fails with the command and its output: these tests are never skipped.

`ConcurrentUp` runs ``pulumi up`` of one inline-program stack in a child process (this module run
as ``python -m support.postgres``), so tests can start two updates at the same instant, as two CI
jobs would, and watch the backend's lock rows in the table meanwhile.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import gzip
import io
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from vendor_credentials.engine import ROOT, STATE_DIR

SCRIPT = ROOT / "scripts" / "postgres.sh"
TABLE = "pulumi_state"  # the DIY backend's default table (`?table=` changes it)


@dataclass(frozen=True)
class Blob:
    """One row of the state table: a path-like key and the bytes the CLI stored under it."""

    key: str
    raw: str  # the `data` column as PostgreSQL returns it: {"data": "<base64>"}
    content: bytes  # decoded (and gunzipped, when the CLI compressed it)

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass(frozen=True)
class Lock:
    key: str
    pid: int
    username: str
    hostname: str


@dataclass(frozen=True)
class PostgresServer:
    """A running private server and the backend URL the pulumi CLI logs in to."""

    url: str
    directory: Path
    psql_binary: str

    @property
    def password(self) -> str:
        return urlsplit(self.url).password or ""

    def psql_url(self) -> str:
        """The URL without its password (that goes in PGPASSWORD) and `table=` (libpq lacks it)."""
        parts = urlsplit(self.url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "table"]
        netloc = f"{parts.username}@{parts.hostname}:{parts.port}"
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))

    def psql_invocation(self, sql: str) -> tuple[list[str], dict[str, str]]:
        """Command line and environment of one query: the password only in the environment,
        since any user can read a command line (`ps`)."""
        command = [self.psql_binary, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", "-t"]
        env = {**os.environ, "PGPASSWORD": self.password}
        return [*command, "-c", sql, self.psql_url()], env

    def psql(self, sql: str) -> list[list[str]]:
        """Rows of one query, run with the real `psql` client (CSV, no header)."""
        argv, env = self.psql_invocation(sql)
        result = subprocess.run(
            argv, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        if result.returncode != 0:
            raise AssertionError(f"psql failed ({result.returncode}): {sql}\n{result.stderr}")
        return [row for row in csv.reader(io.StringIO(result.stdout)) if row]

    def blobs(self, like: str = "%") -> list[Blob]:
        """Rows of the state table whose key matches the LIKE pattern, decoded."""
        pattern = like.replace("'", "''")
        rows = self.psql(
            f"SELECT key, data::text FROM {TABLE} WHERE key LIKE '{pattern}' ORDER BY key"
        )
        return [Blob(key, raw, _decode(raw)) for key, raw in rows]

    def locks(self, stack: str | None = None) -> list[Lock]:
        """Locks held now: keys `<db>/.pulumi/locks/<org>/<project>/<stack>/<lock id>.json`."""
        found = []
        for blob in self.blobs("%.pulumi/locks/%"):
            if stack is not None and blob.key.split("/")[-2] != stack:
                continue
            content = blob.json()
            found.append(Lock(blob.key, content["pid"], content["username"], content["hostname"]))
        return found


def _decode(raw: str) -> bytes:
    content = base64.b64decode(json.loads(raw)["data"])
    if content[:2] == b"\x1f\x8b":  # PULUMI_DIY_BACKEND_GZIP
        content = gzip.decompress(content)
    return content


def _psql_binary() -> str | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/psql"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return str(candidates[-1])
    return shutil.which("psql")


def _run(command: list[str], timeout: float) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of a command (a timeout is a failure, not an exception)."""
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=ROOT
        )
    except subprocess.TimeoutExpired as exc:
        out, err = (
            s.decode(errors="replace") if isinstance(s, bytes) else s or ""
            for s in (exc.stdout, exc.stderr)
        )
        return -1, out, f"{err}\n(timed out after {timeout:.0f}s)"
    return result.returncode, result.stdout, result.stderr


def _shown(command: list[str], out: str, err: str) -> str:
    return f"$ {' '.join(command)}\n{out}{err}".rstrip()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for this test session; fails (never skips) when it cannot run."""
    directory = STATE_DIR / "postgres-tests" / f"session-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    start = ["bash", str(SCRIPT), "start", str(directory)]
    stop = ["bash", str(SCRIPT), "stop", str(directory), "--purge"]
    code, out, err = _run(start, timeout=180)
    url = out.strip()  # `start` prints only the URL on stdout, its log on stderr
    psql = _psql_binary()
    if code != 0 or not url.startswith("postgres://") or psql is None:
        stopped = _run(stop, timeout=60)
        with contextlib.suppress(OSError):
            directory.parent.rmdir()
        reason = "psql not found" if code == 0 and psql is None else f"exit status {code}"
        pytest.fail(
            "PostgreSQL could not be started for the postgres:// backend tests "
            f"({reason}; as root, `bash scripts/postgres.sh install` installs it).\n"
            f"{_shown(start, out, err)}\n{_shown(stop, *stopped[1:])}",
            pytrace=False,
        )
    server = PostgresServer(url=url, directory=directory, psql_binary=psql)
    try:
        yield server
    finally:
        code, out, err = _run(stop, timeout=90)
        with contextlib.suppress(OSError):
            directory.parent.rmdir()  # postgres-tests/, when no other session uses it
        if code != 0:
            pytest.fail(f"PostgreSQL did not stop cleanly.\n{_shown(stop, out, err)}")


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """The backend URL (``postgres://pulumi:…@127.0.0.1:<port>/pulumi?sslmode=disable``)."""
    return postgres_server.url


# ------------------------------------------------------------------------- concurrent `up`s


@dataclass
class UpResult:
    ok: bool
    text: str
    changes: dict[str, int]
    outputs: dict[str, Any]
    started: float  # time.time() just before `up`
    ended: float

    def __str__(self) -> str:
        return f"ok={self.ok} changes={self.changes}\n{self.text[-4000:]}"


class ConcurrentUp:
    """`up` of one stack in a child process: prepare (select, config), wait for `go()`, update.

    The child builds the stack with `support.stacks.EngineStack` and the program of a
    `support.cases` case, in its own temporary Automation workspace, exactly as a second CI job
    would. The spec (env, config, secret) travels over stdin, never on the command line.
    """

    def __init__(
        self,
        stack: str,
        case_id: str,
        env: Mapping[str, str],
        config: Mapping[str, str],
        secret_config: Mapping[str, str],
    ) -> None:
        self.stack = stack
        child_env = dict(os.environ)
        child_env.update(env)
        tests_dir = str(Path(__file__).resolve().parents[1])
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (tests_dir, child_env.get("PYTHONPATH", "")) if p
        )
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "support.postgres"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env,
            cwd=ROOT,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: list[str] = []
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()
        spec = {
            "stack": stack,
            "case": case_id,
            "env": dict(env),
            "config": dict(config),
            "secret_config": dict(secret_config),
        }
        self._send(json.dumps(spec))

    def _pump_stdout(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def _pump_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)

    def _send(self, line: str) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()

    def _expect(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(
                    f"{self.stack}: no {prefix!r} within {timeout:.0f}s\n{''.join(self._stderr)}"
                ) from None
            if line is None:
                self._proc.wait(timeout=10)
                raise AssertionError(
                    f"{self.stack}: child exited ({self._proc.returncode}) before {prefix!r}\n"
                    + "".join(self._stderr)
                )
            if line.startswith(prefix):
                return line[len(prefix) :]

    def wait_ready(self, timeout: float = 120) -> None:
        """Block until the child selected the stack and set its config."""
        self._expect("READY", timeout)

    def go(self) -> None:
        self._send("GO")

    def result(self, timeout: float = 300) -> UpResult:
        data = json.loads(self._expect("RESULT ", timeout))
        self._proc.wait(timeout=30)
        return UpResult(**data)

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)


def _child() -> int:
    """The child side of `ConcurrentUp`."""
    from support.cases import CASES
    from support.stacks import EngineStack

    spec = json.loads(sys.stdin.readline())
    case = next(c for c in CASES if c.id == spec["case"])
    stack = EngineStack(spec["stack"], case.program(), spec["env"])
    stack.set_config(spec["secret_config"], secret=True)
    stack.set_config(spec["config"])
    print("READY", flush=True)
    if sys.stdin.readline().strip() != "GO":
        return 1
    started = time.time()
    outcome = stack.up()
    ended = time.time()
    result = {
        "ok": outcome.ok,
        "text": outcome.text,
        "changes": outcome.changes,
        "outputs": outcome.outputs,
        "started": started,
        "ended": ended,
    }
    print("RESULT " + json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child())
