"""The whole dev shop (app + every emulator under ``/_emulators``) on a real threaded server.

What ``storefront dev`` serves, built from hermetic test settings on a database of the
test's choosing, so tests and benchmarks go through the same door as a shopper: real HTTP,
one thread per request, the Stripe SDK and our httpx clients talking to the emulators over
loopback, and the emulators' signed webhooks coming back over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask

from devstack.server import build_dev_app
from emulators.common import LiveServer
from storefront.config import Settings
from storefront.container import services
from tests.conftest import make_settings


@dataclass
class DevStack:
    url: str
    app: Flask
    settings: Settings
    #: The emulators served under ``/_emulators`` (prefix -> WSGI app), to drive them directly.
    emulators: dict[str, Any]


class _Late:
    """A WSGI app whose target is set after the server socket is bound (so the URL is known
    before the settings that contain it are built)."""

    def __init__(self) -> None:
        self.target: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.target(environ, start_response)


@contextmanager
def dev_stack(database_url: str, data_dir: Path, **overrides: object) -> Iterator[DevStack]:
    late = _Late()
    server = LiveServer(late)
    values: dict[str, object] = {
        "base_url": server.url,
        "database_url": database_url,
        "data_dir": data_dir,
        "paypal_cert_hosts": "paypal.com,127.0.0.1",
        "sanity_read_token": "local-lake-token",
        "sanity_write_token": "local-lake-token",
        "gelato_order_type": "order",
    }
    values.update(overrides)
    settings = make_settings(**values)
    data_dir.mkdir(parents=True, exist_ok=True)
    app, wsgi = build_dev_app(settings)
    late.target = wsgi
    with server:
        try:
            yield DevStack(server.url, app, services(app).settings, dict(wsgi.mounts))
        finally:
            services(app).db.dispose()
