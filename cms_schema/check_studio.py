"""Validate the generated Studio with Sanity's own CLI (needs Node and npm; not part of the
default test run):

    python -m cms_schema.check_studio

Copies ``cms_schema/studio`` to a temporary folder, installs its npm dependencies there
(never in the repository) and runs ``sanity schema validate``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cms_schema.studio_gen import STUDIO


def main() -> int:
    if not shutil.which("npm") or not shutil.which("npx"):
        print("npm/npx are not on this machine: cannot run sanity schema validate")
        return 2
    work = Path(tempfile.mkdtemp(prefix="storefront-studio-"))
    try:
        shutil.copytree(STUDIO, work / "studio")
        folder = work / "studio"
        print(f"installing the Studio's npm dependencies in {folder} …", flush=True)
        install = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent"],
            cwd=folder,
            check=False,
            timeout=1200,
        )
        if install.returncode != 0:
            print("npm install failed")
            return 1
        env = {
            **os.environ,
            "SANITY_STUDIO_PROJECT_ID": "abc123xy",
            "DO_NOT_TRACK": "1",
            "SANITY_STUDIO_DATASET": "production",
        }
        result = subprocess.run(
            ["npx", "sanity", "schema", "validate", "--level", "warning"],
            cwd=folder,
            env=env,
            check=False,
            timeout=600,
        )
        return result.returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
