"""Running the installed ``storefront`` console script the way a person does.

Each command runs in its own process with a scratch ``DATA_DIR`` and an environment scrubbed
of every shop setting the test run may have inherited, from a folder with no ``.env``.
Servers (``storefront dev``, ``content serve``, ``sync run``) are waited for by polling
what they serve; the deadline is only a safety net, never what a test measures.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from storefront.config import Settings

#: The console script pip installed next to the interpreter running the tests.
STOREFRONT = Path(sys.executable).parent / "storefront"
#: Safety net for a process that should finish or answer; not a speed limit.
DEADLINE_S = 120.0


def console_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The caller's environment without shop settings, plus ``DATA_DIR`` and ``settings``."""
    assert STOREFRONT.exists(), f"{STOREFRONT} is missing: pip install -e . first"
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in Settings.model_fields and not k.startswith("FLASK_")
    }
    env["DATA_DIR"] = str(data_dir)
    env.update(settings)
    return env


def storefront(
    *args: str, env: Mapping[str, str], cwd: Path, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(STOREFRONT), *args],
        env=dict(env),
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def json_lines(text: str) -> list[str]:
    """Lines that look like the JSON log: they belong in the log file, not on the console."""
    return [line for line in text.splitlines() if line.lstrip().startswith("{")]


class Server:
    """A ``storefront`` server command in a subprocess; ``stop()`` signals it and waits."""

    def __init__(self, *args: str, env: Mapping[str, str], cwd: Path) -> None:
        cwd.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [str(STOREFRONT), *args],
            env=dict(env),
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out = self.err = ""

    def wait_until(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise AssertionError(f"exited {self.proc.returncode} before {what}:\n{out}{err}")
            if ready():
                return
            time.sleep(0.1)
        raise AssertionError(f"still not {what} after {DEADLINE_S}s")

    def wait_for_http(self, url: str) -> None:
        def answers() -> bool:
            try:
                return httpx.get(url, timeout=5).status_code < 500
            except httpx.TransportError:
                return False

        self.wait_until(answers, f"answering {url}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.out, self.err = self.proc.communicate(timeout=DEADLINE_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.out, self.err = self.proc.communicate()
        return self.proc.returncode
