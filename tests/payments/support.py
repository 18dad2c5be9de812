"""Helpers for the payment tests: a webhook inbox, a movable clock, a checkout request and
a "browser" that presses the buttons of the emulators' pages."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from storefront.gateways.port import CheckoutRequest, Line

STRIPE_SECRET = "whsec_test_secret"
PAYPAL_WEBHOOK_ID = "WH-TEST-0001"
PAYPAL_BASE = "http://127.0.0.1:9"  # never dialled: the WSGI transport answers
SHOP = "http://shop.test"


@dataclass
class Inbox:
    """A webhook receiver: records what arrives and answers ``status``."""

    status: int = 200
    received: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.received.append((url, body, dict(headers)))
        return self.status

    def types(self, key: str = "type") -> list[str]:
        return [json.loads(body)[key] for _, body, _ in self.received]

    def last(self, event_type: str, key: str = "type") -> tuple[bytes, dict[str, str]]:
        for _, body, headers in reversed(self.received):
            if json.loads(body)[key] == event_type:
                return body, headers
        raise AssertionError(f"no {event_type} webhook among {self.types(key)}")


class FakeClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


def checkout_request(**overrides: object) -> CheckoutRequest:
    values: dict[str, object] = {
        "order_id": "1042",
        "order_number": "SF-1042",
        "currency": "EUR",
        "lines": (
            Line("Existential Dread Tee", 2500, 2, "TEE-DREAD-M-BLK"),
            Line("Compost Happens Tote", 1450, 1, "TOTE-COMPOST"),
        ),
        "shipping_amount": 495,
        "customer_email": "shopper@example.com",
        "success_url": f"{SHOP}/checkout/return?session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{SHOP}/cart",
    }
    values.update(overrides)
    return CheckoutRequest(**values)  # type: ignore[arg-type]


def submit_form(
    page_url: str, page: httpx.Response, client: httpx.Client, action: str, **extra: str
) -> httpx.Response:
    """Press a button of an emulator's HTML page like a browser would."""
    match = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert match, page.text
    target = httpx.URL(page_url).join(match.group(1))
    return client.post(target, data={"action": action, **extra}, follow_redirects=False)


def approve(
    paypal_http: httpx.Client, redirect_url: str, action: str = "approve"
) -> httpx.Response:
    page = paypal_http.get(redirect_url)
    assert page.status_code == 200
    return submit_form(
        redirect_url, page, paypal_http, action, token=httpx.URL(redirect_url).params["token"]
    )


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)
