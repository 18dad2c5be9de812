"""Running one of the Studio's generated TypeScript modules under Node, for the tests that
hold it to the same case table as its Python twin."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.support.material import require_node, require_npm_package


def run_compiled(source: Path, runner: str, cases: Path, out: Path) -> Any:
    """Compile ``source`` with ``tsc --strict`` into ``out``, then run the JavaScript
    ``runner`` with the compiled module and the ``cases`` file; its stdout as JSON."""
    node = require_node()
    typescript = require_npm_package("typescript")
    compiled = subprocess.run(
        [
            node,
            str(typescript / "bin" / "tsc"),
            "--strict",
            "--target",
            "es2022",
            "--module",
            "commonjs",
            "--outDir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    script = out / "run.js"
    script.write_text(runner)
    module = out / source.with_suffix(".js").name
    ran = subprocess.run(
        [node, str(script), str(module), str(cases.resolve())],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout)
