"""The production topology as separate processes on this machine, started from the same
process definitions operators use (``deploy/Procfile``), plus a shopper's HTTP client that
talks to the web processes as a TLS-terminating proxy would hand requests on."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from storefront.config import Settings

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "deploy" / "Procfile"
VENV_BIN = Path(sys.executable).parent
PUBLIC_HOST = "shop.rehearsal.test"
PUBLIC_URL = f"https://{PUBLIC_HOST}"
#: Safety net for anything the rehearsal waits for: never what a test measures.
DEADLINE_S = 180.0
T = TypeVar("T")


def procfile() -> dict[str, str]:
    """``{process type: command}`` of ``deploy/Procfile``."""
    entries = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def production_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a production deployment (no shop setting inherited from ours)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in Settings.model_fields and not k.startswith(("FLASK_", "WEB_"))
    }
    secret = hashlib.sha256(b"rehearsal").hexdigest()
    data_key = base64.b64encode(hashlib.sha256(secret.encode()).digest()).decode()
    env.update(
        {
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
            "STOREFRONT_ENV": "production",
            "SECRET_KEY": secret,
            "BASE_URL": PUBLIC_URL,
            "PROXY_HOPS": "1",
            "DATA_DIR": str(data_dir),
            "DATA_KEYS": f"r1:{data_key}",
            "SANITY_PROJECT_ID": "rehearsal",
            "SANITY_READ_TOKEN": "rehearsal-lake-token",
            "SANITY_WRITE_TOKEN": "rehearsal-lake-token",
            "SANITY_WEBHOOK_SECRET": "rehearsal-sanity-hook",
            "STRIPE_API_KEY": "sk_test_rehearsal",
            "STRIPE_WEBHOOK_SECRET": "whsec_rehearsal",
            "PAYPAL_CLIENT_SECRET": "rehearsal-paypal",
            "PAYPAL_WEBHOOK_ID": "WH-REHEARSAL",
            "GELATO_API_KEY": "rehearsal-gelato",
            "GELATO_WEBHOOK_SECRET": "rehearsal-gelato-hook",
            "GELATO_ORDER_TYPE": "order",
            "MAILCHIMP_API_KEY": "rehearsal-us1",
            "MAILCHIMP_WEBHOOK_SECRET": "rehearsal-mailchimp-hook",
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "4",
        }
    )
    env.update(settings)
    return env


class Process:
    """One process of the topology, its output in a log file."""

    def __init__(self, name: str, command: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        logs.mkdir(parents=True, exist_ok=True)
        self.log = logs / f"{name}.log"
        with self.log.open("ab") as out:
            # As a Procfile runner does: through the shell, which then becomes the command.
            self.proc = subprocess.Popen(
                ["sh", "-c", f"exec {command}"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye — a crash."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(60)

    def stop(self) -> int:
        """SIGTERM, as systemd or a Procfile runner stops it; waits for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(60)
        return self.proc.returncode

    def running(self) -> bool:
        return self.proc.poll() is None


def wait_until(
    what: str,
    probe: Callable[[], T | None],
    *,
    logs: Callable[[], str],
    alive: Callable[[], list[Process]] = list,
) -> T:
    """Poll ``probe`` until it returns something truthy; the deadline is only a safety net.
    A process of ``alive()`` that exits meanwhile ends the wait at once."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        dead = [p.name for p in alive() if not p.running()]
        if dead:
            raise AssertionError(f"{', '.join(dead)} exited while waiting for {what}\n{logs()}")
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}\n{logs()}")


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


class Shopper:
    """A browser behind the proxy: every request carries what the proxy adds (the client's
    address, https, the public host) and what a browser sends (Origin, Referer, cookies).

    The proxy speaks TLS to the browser, so the shop's cookies are ``Secure``; behind it they
    travel over plain HTTP to the web processes, which is why this keeps its own cookies
    (httpx, like a browser, would not send Secure cookies over HTTP)."""

    def __init__(self, ip: str) -> None:
        self.http = httpx.Client(timeout=60)
        self.ip = ip
        self.cookies: dict[str, str] = {}

    def _headers(self, path: str) -> dict[str, str]:
        headers = {
            "X-Forwarded-For": self.ip,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": PUBLIC_HOST,
            "Origin": PUBLIC_URL,
            "Referer": PUBLIC_URL + path,
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, web: str, path: str) -> httpx.Response:
        return self._keep(self.http.get(web + path, headers=self._headers(path)))

    def post(self, web: str, path: str, data: dict[str, str]) -> httpx.Response:
        return self._keep(self.http.post(web + path, data=data, headers=self._headers(path)))

    def close(self) -> None:
        self.http.close()


def path_of(location: str) -> str:
    """A redirect's path and query (absolute ones name the public host, not a process)."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def form_value(html: str, name: str, suffix: str = "") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"{suffix}', html)
    assert match, f"no {name} in the page"
    return match.group(1)
