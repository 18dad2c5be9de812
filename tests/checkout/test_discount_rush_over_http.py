"""Twenty shoppers press "Pay" at once with a five-use discount code — over real HTTP.

The harness of ``test_rush_over_http.py``: the whole dev shop on a threaded server, each
shopper with their own cookies, cart and address, every "Pay" released by one barrier.
Every shopper reaches the payment page (the code is a nicety: without it the checkout goes
on); exactly five orders carry the code, the code counts five uses, five redemptions are
held, and the Stripe sessions of exactly those five orders carry the discount.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from storefront.config import EMULATOR_PREFIXES
from storefront.container import services
from storefront.discounts import services as discounts
from storefront.discounts.models import DiscountCode, DiscountRedemption
from storefront.discounts.schemas import DiscountIn
from storefront.orders.models import Order
from storefront.payments.models import Payment
from tests.support.devstack import DevStack, dev_stack

SHOPPERS = 20
USES = 5
CODE = "RUSH-5"


@pytest.fixture
def stack(db_url: str, tmp_path: Path) -> Iterator[DevStack]:
    with dev_stack(db_url, tmp_path / "var", proxy_hops=1) as running:
        yield running


def _value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def _any_variant(client: httpx.Client) -> tuple[str, str]:
    home = client.get("/").text
    slug = re.search(r'href="/products/([a-z0-9-]+)"', home)
    assert slug, "the home page links no product"
    page = client.get(f"/products/{slug.group(1)}").text
    return _value(page, "product_id"), _value(page, "variant_key")


def _shopper(url: str, n: int) -> httpx.Client:
    return httpx.Client(
        base_url=url,
        headers={"X-Forwarded-For": f"198.51.100.{n + 1}", "Origin": url},
        timeout=60.0,
        follow_redirects=False,
    )


def _prepare(client: httpx.Client, product_id: str, variant_key: str, n: int) -> dict[str, str]:
    added = client.post(
        "/cart/add", data={"product_id": product_id, "variant_key": variant_key, "quantity": "1"}
    )
    assert added.status_code == 303, added.text
    form = client.get("/checkout").text
    checked = re.search(r'name="shipping_method" value="([^"]+)" checked', form)
    assert checked
    return {
        "csrf_token": _value(form, "csrf_token"),
        "checkout_key": _value(form, "checkout_key"),
        "email": f"rush{n}@example.com",
        "first_name": "Ada",
        "last_name": f"Shopper{n}",
        "address_line1": "Kastanienallee 1",
        "city": "Berlin",
        "post_code": "10435",
        "country": "DE",
        "shipping_method": checked.group(1),
        "provider": "stripe",
        "discount_code": CODE.lower(),
    }


@pytest.mark.slow
def test_twenty_pay_presses_share_a_five_use_code(stack: DevStack) -> None:
    with stack.app.app_context(), services(stack.app).db.session_scope(write=True) as session:
        discounts.create(
            session,
            DiscountIn(code=CODE, kind="percent", percent=10, max_uses=USES),
            actor="test",
        )
    with _shopper(stack.url, 999) as browser:
        product_id, variant_key = _any_variant(browser)
    clients = [_shopper(stack.url, n) for n in range(SHOPPERS)]
    try:
        forms = [_prepare(c, product_id, variant_key, n) for n, c in enumerate(clients)]
        barrier = threading.Barrier(SHOPPERS)
        outcomes: list[httpx.Response | BaseException] = [RuntimeError("not run")] * SHOPPERS

        def press(i: int) -> None:
            barrier.wait()
            try:
                outcomes[i] = clients[i].post("/checkout", data=forms[i])
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
    done = [o for o in outcomes if isinstance(o, httpx.Response)]
    assert [(o.status_code, o.text[:200]) for o in done if o.status_code != 303] == []
    assert all("/_emulators/stripe/" in o.headers["location"] for o in done)

    with stack.app.app_context(), services(stack.app).db.session_scope() as session:
        orders = session.execute(select(Order)).scalars().all()
        code = session.execute(select(DiscountCode)).scalar_one()
        held = session.execute(select(DiscountRedemption)).scalars().all()
        with_code = [o for o in orders if o.discount_code == CODE]
        without = [o for o in orders if o.discount_code is None]
        sessions = {
            p.order_id: p.provider_ref for p in session.execute(select(Payment)).scalars().all()
        }
    assert len(orders) == SHOPPERS
    assert len(with_code) == USES and len(without) == SHOPPERS - USES
    assert code.uses == USES
    assert sorted(r.order_id for r in held) == sorted(o.id for o in with_code)
    assert {r.status for r in held} == {"held"}
    for order in with_code:
        assert order.discount_amount == (order.subtotal_amount * 10 + 50) // 100 > 0
        assert order.total_amount == (
            order.subtotal_amount + order.shipping_amount - order.discount_amount
        )
    # What Stripe was asked to charge: the discount on exactly the five.
    emulator = stack.emulators[EMULATOR_PREFIXES["stripe"]]
    for order in orders:
        stripe_session = emulator.sessions[sessions[order.id]]
        assert stripe_session["amount_total"] == order.total_amount
        assert stripe_session["total_details"]["amount_discount"] == order.discount_amount
        assert bool(stripe_session["discounts"]) == (order.discount_code == CODE)
