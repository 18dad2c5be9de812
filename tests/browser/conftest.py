"""Browser tests: the whole dev shop (shop + emulators on one port) in a thread, driven by
Debian's chromium through Playwright (never a downloaded browser).

Locally, a machine without chromium skips these with the reason; in CI (``CI=true``) a
missing browser fails the run — the test command installs it (``python -m tests.prepare``).
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from devstack.server import build_dev_app
from emulators.common import LiveServer
from storefront.container import services
from tests.conftest import make_settings
from tests.support.material import missing

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveShop:
    app: Flask
    url: str


@pytest.fixture
def live_shop_overrides() -> dict[str, object]:
    """More settings for :func:`live_shop` (a test module overrides this fixture)."""
    return {}


@contextmanager
def serve_shop(folder: Path, **overrides: object) -> Iterator[LiveShop]:
    """The dev shop (shop + emulators on one port) on a free local port, its files in
    ``folder``."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        base_url=base,
        database_url=f"sqlite:///{folder / 'shop.db'}",
        data_dir=folder / "var",
        paypal_cert_hosts="paypal.com,127.0.0.1",
        gelato_order_type="order",
        **overrides,
    )
    app, wsgi = build_dev_app(settings)
    services(app).mail_delivery = "sync"
    with LiveServer(wsgi, port=port):
        yield LiveShop(app, base)
    services(app).db.dispose()


@pytest.fixture
def live_shop(tmp_path: Path, live_shop_overrides: dict[str, object]) -> Iterator[LiveShop]:
    with serve_shop(tmp_path, **live_shop_overrides) as shop:
        yield shop


@pytest.fixture(scope="module")
def module_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    """One shop for a whole module whose tests build on each other's state."""
    with serve_shop(tmp_path_factory.mktemp("shop")) as shop:
        yield shop


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    executable = shutil.which("chromium")
    if executable is None:
        missing("chromium is not installed (run `python -m tests.prepare`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)  # a safety net: each wait ends when the page is there
    yield page
    context.close()
