"""The import layers and the no-cycle rule (.importlinter), as `make lint` checks them: adapters
(web and commands, above the API) above services, above the store, above the core packages, above the model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), str(config)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_layer_and_cycle_contracts_are_kept() -> None:
    done = lint(ROOT / ".importlinter")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 kept, 0 broken" in done.stdout


def test_an_import_against_the_layers_is_found(tmp_path: Path) -> None:
    # The same layers upside down: today's imports break them, so the check can fail.
    config = (ROOT / ".importlinter").read_text(encoding="utf-8")
    upside_down = config.replace("    web : commands\n", "    model\n", 1).replace(
        "    model\n\n", "    web : commands\n\n", 1
    )
    assert upside_down != config
    path = tmp_path / "upside_down.ini"
    path.write_text(upside_down, encoding="utf-8")
    done = lint(path)
    assert done.returncode != 0
    assert "is not allowed to import openiru.model" in done.stdout
