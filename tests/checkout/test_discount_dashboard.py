"""Operators create and pause codes on /admin/discounts (a customer is turned away)."""

from __future__ import annotations

import re

from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.discounts.models import DiscountCode
from tests.checkout.conftest import Shop


def _login(shop: Shop, email: str, role: str) -> None:
    with services(shop.app).db.session_scope(write=True) as session:
        person = accounts.register(session, email, "correct horse battery", role=role)
        version = accounts.session_version(person)
    with shop.client.session_transaction() as cookie:
        cookie["uid"], cookie["av"] = person.id, version


def _csrf(shop: Shop) -> str:
    page = shop.client.get("/admin/discounts").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def test_an_operator_creates_and_pauses_a_code(shop: Shop) -> None:
    _login(shop, "olive@example.com", "operator")
    token = _csrf(shop)
    wrong = shop.client.post(
        "/admin/discounts",
        data={"csrf_token": token, "code": "X", "kind": "fixed", "amounts": "EUR 5,005"},
    )
    assert wrong.status_code == 422
    made = shop.client.post(
        "/admin/discounts",
        data={
            "csrf_token": token,
            "code": "winter-5",
            "kind": "fixed",
            "amounts": "EUR 5.00, GBP 4,50",
            "min_subtotal": "EUR 30",
            "max_uses": "100",
            "ends_at": "2027-02-28T23:59",
        },
    )
    assert made.status_code == 303, made.get_data(as_text=True)
    page = shop.client.get("/admin/discounts").get_data(as_text=True)
    assert "WINTER-5" in page and "€5.00, £4.50" in page and "0 / 100" in page
    shop.client.post("/admin/discounts/WINTER-5/state", data={"csrf_token": token, "paused": "1"})
    with services(shop.app).db.session_scope() as session:
        code = session.execute(select(DiscountCode)).scalar_one()
        assert (code.amounts, code.min_subtotal, code.paused) == (
            {"EUR": 500, "GBP": 450},
            {"EUR": 3000},
            True,
        )
        assert code.ends_at is not None and code.ends_at.isoformat() == "2027-02-28T23:59:00+00:00"


def test_a_customer_may_not_see_the_codes(shop: Shop) -> None:
    _login(shop, "ada@example.com", "customer")
    assert shop.client.get("/admin/discounts").status_code in (403, 404)
