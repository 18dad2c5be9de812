"""Install what the test suite needs beyond Python packages: Debian's chromium and
redis-server, and the npm packages the tests run (into a cache folder outside the
repository, see ``tests.support.material.NPM_CACHE``).

Run by the README's test command (and so by ``.ci/run``) before pytest. Playwright drives the
system chromium; it never downloads a browser of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.support.material import NPM_CACHE, NPM_PACKAGES, npm_version


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


def ensure_npm_packages() -> None:
    """``npm install --prefix NPM_CACHE`` the pinned packages that are not there yet."""
    wanted = [
        f"{name}@{version}"
        for name, version in NPM_PACKAGES.items()
        if npm_version(NPM_CACHE / "node_modules" / name) != version
    ]
    if not wanted:
        return
    if not shutil.which("npm"):
        print(
            f"tests.prepare: npm is missing; cannot install {', '.join(wanted)} "
            "(the tests that need them are skipped locally)",
            file=sys.stderr,
        )
        return
    print(f"tests.prepare: npm install {' '.join(wanted)} into {NPM_CACHE}…", flush=True)
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    installed = subprocess.run(
        ["npm", "install", "--prefix", str(NPM_CACHE), "--no-audit", "--no-fund", *wanted],
        check=False,
    )
    if installed.returncode != 0:
        # Locally the tests that need them skip with the reason; under CI they fail anyway.
        print(f"tests.prepare: npm install {' '.join(wanted)} failed", file=sys.stderr)


if __name__ == "__main__":
    ensure_packages()
    ensure_npm_packages()
