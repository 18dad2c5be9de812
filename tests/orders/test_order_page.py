import re

from flask import Flask
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.orders.links import order_path
from storefront.orders.models import Order
from storefront.orders.states import FULFILLMENT_RANK, OrderStatus
from storefront.web.shop.orders import STEP_LABELS


def make_order(app: Flask, number: str, customer_id: int | None = None) -> None:
    with services(app).db.session_scope() as session:
        session.add(
            Order(
                number=number,
                email="ada@example.com",
                status="paid",
                currency="EUR",
                subtotal_amount=2900,
                shipping_amount=495,
                total_amount=3395,
                shipping_address={
                    "first_name": "Ada",
                    "last_name": "L",
                    "address_line1": "Street 1",
                    "city": "Berlin",
                    "post_code": "10435",
                    "country": "DE",
                },
                customer_id=customer_id,
                shipping_method="normal",
            )
        )


def test_signed_link_opens_the_order(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    make_order(app, "SF-AAAA2222")
    with app.test_request_context():
        path = order_path("SF-AAAA2222")
    resp = client.get(path)
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "Order SF-AAAA2222" in body
    assert "€33.95" in body
    assert 'aria-current="step"' in body


def test_number_alone_or_a_foreign_token_is_not_enough(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    make_order(app, "SF-AAAA2222")
    make_order(app, "SF-BBBB3333")
    with app.test_request_context():
        other = order_path("SF-BBBB3333").split("t=")[1]
    assert client.get("/orders/SF-AAAA2222").status_code == 404
    assert client.get(f"/orders/SF-AAAA2222?t={other}").status_code == 404
    assert client.get("/orders/SF-AAAA2222?t=garbage").status_code == 404
    missing = client.get("/orders/SF-NOPE9999", headers={"Accept": "application/json"})
    assert missing.status_code == 404
    assert "Use the link from your e-mail" in missing.get_json()["error"]["message"]


def test_owner_sees_it_and_another_customer_does_not(app: Flask) -> None:
    with services(app).db.session_scope() as session:
        ada = accounts.register(session, "ada@example.com", "correct horse battery")
        bob = accounts.register(session, "bob@example.com", "correct horse battery")
        ids = {c.email: (c.id, accounts.session_version(c)) for c in (ada, bob)}
    make_order(app, "SF-CCCC4444", customer_id=ids["ada@example.com"][0])

    def client_for(email: str):  # type: ignore[no-untyped-def]
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["uid"], sess["av"] = ids[email]
        return client

    assert client_for("ada@example.com").get("/orders/SF-CCCC4444").status_code == 200
    assert client_for("bob@example.com").get("/orders/SF-CCCC4444").status_code == 404


def test_progress_follows_the_one_fulfillment_ranking(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    """The page's steps are the stages of ``FULFILLMENT_RANK``, done up to the order's own."""
    assert set(STEP_LABELS) == set(FULFILLMENT_RANK)
    make_order(app, "SF-CCCC4444")
    with services(app).db.session_scope(write=True) as session:
        order = session.execute(select(Order).where(Order.number == "SF-CCCC4444")).scalar_one()
        order.status = OrderStatus.IN_PRODUCTION
    with app.test_request_context():
        path = order_path("SF-CCCC4444")
    body = client.get(path).get_data(as_text=True)
    steps = re.findall(r'<li class="(done)?"( aria-current="step")?>([^<]+)</li>', body)
    assert [(done, current != "", label) for done, current, label in steps] == [
        ("done", False, "Paid"),
        ("done", False, "Sent to the printer"),
        ("done", True, "Printing"),
        ("", False, "Shipped"),
        ("", False, "Delivered"),
    ]
