"""Install what the test suite needs beyond Python packages: Debian's chromium.

Run by the README's test command (and so by ``.ci/run``) before pytest. Playwright drives the
system chromium; it never downloads a browser of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def ensure_chromium() -> None:
    if shutil.which("chromium"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            "tests.prepare: chromium is missing; install Debian's 'chromium' package "
            "(browser tests will be skipped locally)",
            file=sys.stderr,
        )
        return
    print("tests.prepare: installing Debian's chromium for the browser tests…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
        check=True,
        env=env,
    )


if __name__ == "__main__":
    ensure_chromium()
