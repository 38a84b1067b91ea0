"""scripts/postgres.sh in a clone under a private directory, its file modes and its restarts.

A clone made in `mktemp -d` (mode 0700) is a directory the `postgres` OS user cannot enter; the
script must still start a server (data elsewhere, private to postgres), keep every file it makes
unreadable by other users, survive a first start interrupted before the role existed without
logging a failing statement (and the password in it), and the tests' own `psql` calls must keep
the password off the command line.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.postgres import SCRIPT, PostgresServer, _psql_binary
from vendor_credentials.engine import ROOT


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=ROOT,
    )


def private_mode(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


@pytest.fixture(scope="module")
def private_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="pg-private-") as name:
        base = Path(name)
        base.chmod(0o700)  # as `mktemp -d` makes it: only its owner can enter
        yield base / "clone" / ".pulumi-state" / "postgres"


@pytest.fixture(scope="module")
def started(private_dir: Path) -> Iterator[PostgresServer]:
    done = script("start", str(private_dir))
    try:
        assert done.returncode == 0, done.stderr
        psql = _psql_binary()
        assert psql is not None
        yield PostgresServer(url=done.stdout.strip(), directory=private_dir, psql_binary=psql)
    finally:
        stopped = script("stop", str(private_dir), "--purge")
        assert stopped.returncode == 0, stopped.stderr


def run_dir(server: PostgresServer) -> Path:
    rundir = server.directory / "rundir"
    return Path(rundir.read_text().strip()) if rundir.exists() else server.directory


def test_starts_in_a_directory_the_postgres_user_cannot_enter(started: PostgresServer) -> None:
    assert started.psql("SELECT current_user") == [["pulumi"]]
    if os.geteuid() == 0:  # the server runs as `postgres`: its data had to move
        assert run_dir(started) != started.directory
        assert (run_dir(started) / "data" / "PG_VERSION").exists()


def test_no_file_it_makes_is_readable_by_other_users(started: PostgresServer) -> None:
    server_dir = run_dir(started)
    paths = [
        started.directory / "connection.env",
        server_dir / "server.log",
        server_dir / "data",
        server_dir / "data" / "postgresql.conf",
    ]
    assert {str(p): private_mode(p) for p in paths} == {str(p): True for p in paths}


def test_an_interrupted_first_start_can_be_run_again_without_logging_the_password(
    started: PostgresServer,
) -> None:
    # What a start interrupted after the role existed leaves: the marker that the role and
    # database are still to be created. The next start runs the creation again.
    assert script("stop", str(started.directory)).returncode == 0
    (started.directory / ".needs-database").touch()
    again = script("start", str(started.directory))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == started.url
    assert not (started.directory / ".needs-database").exists()
    assert started.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'pulumi'") == [["1"]]
    log = (run_dir(started) / "server.log").read_text()
    assert started.password not in log
    assert "ERROR" not in log, log


def test_psql_gets_the_password_from_the_environment_not_the_command_line(
    started: PostgresServer,
) -> None:
    argv, env = started.psql_invocation("SELECT 1")
    assert [a for a in argv if started.password in a] == []
    assert env["PGPASSWORD"] == started.password


def test_stop_purge_removes_the_data_wherever_it_lives(private_dir: Path) -> None:
    scratch = private_dir.parent / "scratch"
    assert script("start", str(scratch)).returncode == 0
    server_dir = run_dir(PostgresServer(url="", directory=scratch, psql_binary=""))
    stopped = script("stop", str(scratch), "--purge")
    assert stopped.returncode == 0, stopped.stderr
    assert not scratch.exists()
    assert not server_dir.exists()
