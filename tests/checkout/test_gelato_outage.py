"""A Gelato outage at the checkout page, through the door: the whole dev shop over HTTP.

The shipping quote fails, the table answers; after a few failed quotes the Gelato circuit
opens and the page stops asking Gelato at all — the fallback is immediate — and the log
says so once, with no traceback per request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.devstack import DevStack, dev_stack

THRESHOLD = 3


@pytest.fixture
def stack(sqlite_url: str, tmp_path: Path) -> Iterator[DevStack]:
    with dev_stack(
        sqlite_url, tmp_path / "var", circuit_failure_threshold=THRESHOLD, circuit_cooldown=600
    ) as running:
        yield running


def _field(html: str, name: str, extra: str = "") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"{extra}', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def _cart(client: httpx.Client) -> None:
    page = client.get("/products/compost-happens").text
    added = client.post(
        "/cart/add",
        data={  # an anonymous page carries no token: the browser's Origin vouches for it
            "product_id": _field(page, "product_id"),
            "variant_key": _field(page, "variant_key", " checked"),
            "quantity": "1",
        },
    )
    assert added.status_code == 303


def test_checkout_falls_back_at_once_while_gelato_is_down(
    stack: DevStack, caplog: pytest.LogCaptureFixture
) -> None:
    gelato = f"{stack.url}/_emulators/gelato/_emulator/faults"
    with httpx.Client(base_url=stack.url, timeout=30, headers={"Origin": stack.url}) as shopper:
        _cart(shopper)
        form = shopper.get("/checkout")
        assert form.status_code == 200
        armed = httpx.post(
            gelato, json={"route": "POST /v4/orders:quote", "kind": "error", "times": 1000}
        )
        assert armed.status_code == 201
        with caplog.at_level(logging.INFO):
            pages = []
            for country in ("AT", "NL", "FR", "BE", "ES", "IT", "SE", "DK", "IE", "US"):
                page = shopper.post(
                    "/checkout",
                    data={
                        "csrf_token": _field(form.text, "csrf_token"),
                        "action": "update",
                        "country": country,
                    },
                )
                pages.append(page)
    assert all(p.status_code == 200 for p in pages)
    assert all('name="shipping_method"' in p.text for p in pages)  # the table answered
    remaining = httpx.get(gelato).json()[0]["remaining"]
    reached = 1000 - remaining
    # Each failing interactive quote tries twice; once open, Gelato is not called at all.
    assert reached == THRESHOLD * 2, reached
    records = [r for r in caplog.records if r.name.startswith("storefront")]
    opened = [r for r in records if "circuit for gelato open" in r.getMessage()]
    assert len(opened) == 1
    quote_lines = [r for r in records if "shipping quote failed" in r.getMessage()]
    assert len(quote_lines) == THRESHOLD
    assert not any(r.exc_info for r in quote_lines + opened)
