"""The payment gateways of an app, built once from settings (tests may inject their own)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from storefront.errors import NotFound


def gateways(app: Flask) -> dict[str, Any]:
    registry = app.extensions.get("payment_gateways")
    if registry is None:
        from storefront.gateways.paypal_gateway import PayPalGateway
        from storefront.gateways.stripe_gateway import StripeGateway

        settings = app.extensions["settings"]
        breakers = app.extensions["breakers"]
        registry = app.extensions["payment_gateways"] = {
            "stripe": StripeGateway.from_settings(settings, breaker=breakers("stripe")),
            "paypal": PayPalGateway.from_settings(settings, breaker=breakers("paypal")),
        }
    return registry


def gateway(app: Flask, provider: str) -> Any:
    try:
        return gateways(app)[provider]
    except KeyError:
        raise NotFound(f"Unknown payment provider {provider!r}.") from None
