"""``storefront emulators serve``: every emulated outside service and the content lake in a
process of their own, as the real services are to a deployed shop.

Stripe, PayPal, Gelato, Mailchimp and the lake (loaded with the demo catalog on first start,
in ``DATA_DIR``) answer under ``/_emulators/<service>`` on one port, and send their signed
webhooks to ``--shop-url``. The shop is pointed at them by base URLs only
(:func:`shop_settings`); nothing in it knows it talks to emulators.

Served by gunicorn with one worker (the emulators keep their state in memory, so one process
holds it) and threads, with keep-alive, like the real APIs.
"""

from __future__ import annotations

from typing import Any

import click
from gunicorn.app.base import BaseApplication
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Request, Response

from devstack.embedded import build_embedded
from storefront import observability
from storefront.config import EMULATOR_PREFIXES, load_settings


def shop_settings(emulators_url: str) -> dict[str, str]:
    """The settings that point a shop at emulators served at ``emulators_url``."""
    base = emulators_url.rstrip("/")
    return {
        "SANITY_API_URL": base + EMULATOR_PREFIXES["sanity"],
        "STRIPE_API_BASE": base + EMULATOR_PREFIXES["stripe"],
        "PAYPAL_API_BASE": base + EMULATOR_PREFIXES["paypal"],
        "PAYPAL_CERT_HOSTS": "paypal.com,127.0.0.1",
        "GELATO_API_BASE": base + EMULATOR_PREFIXES["gelato"],
        "MAILCHIMP_API_BASE": base + EMULATOR_PREFIXES["mailchimp"] + "/3.0",
    }


@Request.application
def _root(request: Request) -> Response:
    """``/healthz`` for whoever waits for the process to be up; 404 for anything else."""
    if request.path == "/healthz":
        return Response("ok\n", mimetype="text/plain")
    return Response("no emulator here\n", status=404, mimetype="text/plain")


class _Server(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured in code; the app is built in the worker (after the fork), so the
    emulators' threads and the lake's file handle belong to the process that serves them."""

    def __init__(self, options: dict[str, Any], shop_url: str, here: str) -> None:
        self.options, self.shop_url, self.here = options, shop_url, here
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        settings = load_settings(
            # The shop's secrets from the environment; its production rules are not ours.
            storefront_env="development",
            base_url=self.shop_url,
            sanity_api_url=self.here + EMULATOR_PREFIXES["sanity"],
        )
        observability.log_to_stderr(settings.log_level)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return DispatcherMiddleware(_root, build_embedded(settings, served_at=self.here).mounts())


@click.group("emulators")
def emulators() -> None:
    """The emulated outside services (Stripe, PayPal, Gelato, Mailchimp, Sanity)."""


@emulators.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8010, show_default=True, type=int)
@click.option(
    "--shop-url", default=None, help="Where webhooks go (default: BASE_URL of the settings)."
)
@click.option("--threads", default=16, show_default=True, type=int)
def serve(host: str, port: int, shop_url: str | None, threads: int) -> None:
    """Serve every emulator and the content lake on HOST:PORT until SIGTERM/SIGINT."""
    here = f"http://{host}:{port}"
    shop = (shop_url or load_settings().base_url).rstrip("/")
    click.echo(f"emulators on {here} for the shop at {shop}; give the shop these settings:")
    for key, value in shop_settings(here).items():
        click.echo(f"  {key}={value}")
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "keepalive": 30,
            "timeout": 120,
            "graceful_timeout": 5,  # a request held by an injected fault must not hold us
            "accesslog": None,
            "loglevel": "warning",
        },
        shop,
        here,
    ).run()
