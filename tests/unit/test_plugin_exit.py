"""The plugin process freezes its heap as it exits, so Python's final collections skip it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str) -> str:
    """Run ``code`` in a fresh interpreter; its atexit handlers report on stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "provider"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_configure_freezes_the_heap_once_when_the_process_exits() -> None:
    out = run(
        """
        import atexit, gc
        # Registered first, so it runs last: after every handler registered later.
        atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > frozen))
        from pulumi.dynamic import Config, ConfigureRequest
        from vendor_credentials.core.provider import CredentialProvider
        # Some Pythons (3.12) start with objects already frozen: compare with this count.
        frozen = gc.get_freeze_count()
        before = atexit._ncallbacks()
        for kind in ("intercom.AccessToken", "talkdesk.ClientCredential"):
            CredentialProvider(kind).configure(ConfigureRequest(Config({}, "p")))
        print("frozen before exit:", gc.get_freeze_count() > frozen)
        print("handlers added:", atexit._ncallbacks() - before)
        """
    )
    assert "frozen before exit: False" in out  # nothing changes while the plugin serves
    assert "frozen at exit: True" in out
    assert "handlers added: 1" in out  # ours once, however many kinds are configured


def test_a_process_that_never_configures_a_provider_is_left_alone() -> None:
    out = run(
        """
        import atexit, gc
        atexit.register(lambda: print("frozen at exit:", gc.get_freeze_count() > frozen))
        import vendor_credentials.core.provider
        frozen = gc.get_freeze_count()
        """
    )
    assert "frozen at exit: False" in out
