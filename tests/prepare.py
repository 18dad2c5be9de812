"""Install what the test suite needs beyond Python packages: Debian's chromium and
redis-server.

Run by the README's test command (and so by ``.ci/run``) before pytest. Playwright drives the
system chromium; it never downloads a browser of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def ensure_packages() -> None:
    """Debian's chromium (browser tests) and redis-server (the shared-cache tests)."""
    missing = [
        pkg
        for pkg, binary in (("chromium", "chromium"), ("redis-server", "redis-server"))
        if not shutil.which(binary)
    ]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            f"tests.prepare: missing {', '.join(missing)}; install the Debian packages "
            "(those tests are skipped locally)",
            file=sys.stderr,
        )
        return
    print(f"tests.prepare: installing {', '.join(missing)} for the tests…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        check=True,
        env=env,
    )


if __name__ == "__main__":
    ensure_packages()
