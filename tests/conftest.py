"""Shared fixtures: the vendor emulator and an isolated local backend for the real engine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from vendor_credentials.emulator import Emulator
from vendor_credentials.engine import TOOLS_BIN, engine_env


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark engine tests, so ``-m "not engine"`` runs the unit tests alone.

    The suite runs with ``--dist loadscope``: each engine module (and its shared stacks) stays on
    one xdist worker, in file order, while other modules run on the other worker.
    """
    for item in items:
        if "tests/engine/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """The vendor emulator on 127.0.0.1, fresh for each module (tests revoke and rotate)."""
    with Emulator() as server:
        yield server


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for the real CLI with a fresh file backend; fails if the CLI is not built."""
    pulumi = TOOLS_BIN / "pulumi"
    if not pulumi.exists():
        pytest.fail(
            f"{pulumi} is missing: run scripts/ensure-engine.sh (engine tests need the real CLI)"
        )
    root: Path = tmp_path_factory.mktemp("engine")
    return engine_env(root / "backend", home=root / "home", passphrase="test-passphrase")
