"""Fifty shoppers press "Pay" at once for a five-unit limited edition — over real HTTP.

The door a shopper uses: the whole dev shop on a threaded server, each shopper with their
own cookies and address (``X-Forwarded-For`` behind one trusted proxy), carts filled and
checkout forms fetched through the pages, then every "Pay" released by one barrier.
Every shopper must be sent to the payment page or told the shirt sold out; exactly as many
units are sold as exist; nobody who was refused holds a reservation; no 5xx.

No wall-clock assertion: the slowest response is printed (``-s``); ``bench/checkout.py``
reports it as a figure.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from storefront.container import services
from storefront.orders.models import Order
from storefront.stock.models import Reservation, StockCounter
from tests.support.devstack import DevStack, dev_stack

SHOPPERS = 50
LIMITED_SLUG = "last-glacier-tour"


@dataclass
class Outcome:
    status: int
    location: str
    body: str
    seconds: float


@pytest.fixture
def stack(db_url: str, tmp_path: Path) -> Iterator[DevStack]:
    with dev_stack(db_url, tmp_path / "var", proxy_hops=1) as running:
        yield running


def _token(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def _limited_variant(client: httpx.Client) -> tuple[str, str]:
    """The product id and the key of a variant the page says is limited ("only N left")."""
    html = client.get(f"/products/{LIMITED_SLUG}").text
    size = r'name="variant_key" value="([^"]+)"[^<]*(?:<[^>]*>[^<]*){5}only \d+ left'
    limited = re.findall(size, html)
    assert limited, "the demo's limited edition shows no 'only N left' size"
    return _token(html, "product_id"), limited[0]


def _shopper(url: str, n: int) -> httpx.Client:
    return httpx.Client(
        base_url=url,
        headers={"X-Forwarded-For": f"198.51.100.{n + 1}", "Origin": url},
        timeout=60.0,
        follow_redirects=False,
    )


def _prepare(client: httpx.Client, product_id: str, variant_key: str, n: int) -> dict[str, str]:
    added = client.post(
        "/cart/add",
        data={  # an anonymous page carries no token: the browser's Origin vouches for it
            "product_id": product_id,
            "variant_key": variant_key,
            "quantity": "1",
        },
    )
    assert added.status_code == 303, added.text
    form = client.get("/checkout").text
    return {
        "csrf_token": _token(form, "csrf_token"),
        "checkout_key": _token(form, "checkout_key"),
        "email": f"shopper{n}@example.com",
        "first_name": "Ada",
        "last_name": f"Shopper{n}",
        "address_line1": "Kastanienallee 1",
        "city": "Berlin",
        "post_code": "10435",
        "country": "DE",
        "shipping_method": _checked(form, "shipping_method"),
        "provider": "stripe",
    }


def _checked(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)" checked', html)
    assert match, f"no {name} chosen on the page"
    return match.group(1)


@pytest.mark.slow
def test_fifty_pay_presses_for_a_five_unit_edition(stack: DevStack) -> None:
    with _shopper(stack.url, 999) as browser:
        product_id, variant_key = _limited_variant(browser)
    clients = [_shopper(stack.url, n) for n in range(SHOPPERS)]
    try:
        forms = [_prepare(c, product_id, variant_key, n) for n, c in enumerate(clients)]
        barrier = threading.Barrier(SHOPPERS)
        outcomes: list[Outcome | BaseException] = [RuntimeError("not run")] * SHOPPERS

        def press(i: int) -> None:
            barrier.wait()
            started = time.perf_counter()
            try:
                r = clients[i].post("/checkout", data=forms[i])
                outcomes[i] = Outcome(
                    r.status_code,
                    r.headers.get("location", ""),
                    r.text,
                    time.perf_counter() - started,
                )
            except BaseException as exc:  # reported below, never swallowed
                outcomes[i] = exc

        threads = [threading.Thread(target=press, args=(i,)) for i in range(SHOPPERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for c in clients:
            c.close()

    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert not failures, failures[:3]
    done = [o for o in outcomes if isinstance(o, Outcome)]
    print(f"\nslowest Pay response: {max(o.seconds for o in done):.2f} s")
    assert [o.status for o in done if o.status >= 500] == []
    paid = [o for o in done if o.status == 303 and "/_emulators/stripe/" in o.location]
    refused = [o for o in done if o not in paid]
    with stack.app.app_context():
        db = services(stack.app).db
        with db.session_scope() as session:
            counter = session.execute(
                select(StockCounter).where(
                    StockCounter.product_id == product_id, StockCounter.variant_key == variant_key
                )
            ).scalar_one()
            limit = counter.limit
            orders = session.scalar(select(func.count()).select_from(Order))
            held = session.execute(select(Reservation).where(Reservation.status == "held")).all()
            reserved = counter.reserved
    assert len(paid) == limit, [(o.status, o.location, o.body[:200]) for o in refused[:3]]
    assert orders == limit
    assert len(held) == limit and reserved == limit
    for o in refused:
        assert o.status == 409, (o.status, o.body[:300])
        assert "sold out" in o.body
