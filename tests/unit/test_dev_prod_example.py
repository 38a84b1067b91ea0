"""examples/dev-prod/make_stacks.py builds its stacks' config from the emulator's seeds (no engine):
the README's audit example starts there."""

from __future__ import annotations

import runpy
from pathlib import Path

from vendor_credentials.emulator import Emulator

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "dev-prod" / "make_stacks.py"


def test_make_stacks_config_names_every_input_the_program_reads() -> None:
    module = runpy.run_path(str(SCRIPT), run_name="make_stacks")
    program = (SCRIPT.parent / "__main__.py").read_text()
    with Emulator() as emulator:
        config = module["_config"](emulator)
    assert set(config) == {"dev", "prod"}
    for plain, secret in config.values():
        assert all(isinstance(v, str) and v for v in {**plain, **secret}.values())
        for key in {**plain, **secret}:
            assert f'"{key}"' in program, key  # the program reads each key it is given
