"""The order page and the order history in words a person understands: the date, a thank-you
for a fresh paid order, the country's name, the shipping label checkout showed, human status
names, links to each order and its tracking, and the status the pending page polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.fulfillment.models import Parcel
from storefront.orders.links import order_path
from storefront.orders.models import Order
from storefront.orders.states import LABELS, OrderStatus, status_label
from tests.orders.test_order_page import make_order


def _set(app: Flask, number: str, **values: object) -> None:
    with services(app).db.session_scope(write=True) as session:
        order = session.execute(select(Order).where(Order.number == number)).scalar_one()
        for key, value in values.items():
            setattr(order, key, value)


def _page(app: Flask, client, number: str) -> str:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        path = order_path(number)
    resp = client.get(path)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_every_status_has_a_name_for_people() -> None:
    assert set(LABELS) == set(OrderStatus)
    assert status_label("submitted") == "Sent to the printer"
    assert status_label("pending_payment") == "Waiting for payment"
    assert all("_" not in label for label in LABELS.values())


def test_the_page_shows_date_country_name_shipping_label_and_says_thank_you(
    app: Flask, client
) -> None:  # type: ignore[no-untyped-def]
    make_order(app, "SF-WORD1111")
    placed = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    _set(
        app,
        "SF-WORD1111",
        created_at=placed,
        paid_at=datetime.now(UTC) - timedelta(minutes=2),
        shipping_label="Standard (3–6 working days)",
    )
    body = _page(app, client, "SF-WORD1111")
    assert 'Placed on <time datetime="2026-11-28T09:30:00+00:00">28 November 2026</time>' in body
    assert "Thank you, Ada!" in body
    assert "10435 Berlin<br>Germany</address>" in body
    assert "<br>DE</address>" not in body
    assert "Shipping: Standard (3–6 working days)" in body
    assert "Shipping (normal)" not in body
    assert '<span class="order-status">Paid</span>' in body


def test_no_thank_you_for_an_old_order_and_older_orders_take_the_label_from_the_table(
    app: Flask, client
) -> None:  # type: ignore[no-untyped-def]
    make_order(app, "SF-WORD2222")  # shipping_method "normal", no label kept
    _set(app, "SF-WORD2222", paid_at=datetime.now(UTC) - timedelta(days=3), status="submitted")
    body = _page(app, client, "SF-WORD2222")
    assert "Thank you" not in body
    assert "Shipping: Standard (3–6 working days)" in body  # the table's wording for DE
    assert '<span class="order-status">Sent to the printer</span>' in body
    assert "submitted" not in body


def test_a_pending_order_polls_its_status_with_a_script_file_not_inline(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    make_order(app, "SF-WORD3333")
    _set(app, "SF-WORD3333", status="pending_payment", payment_provider="stripe")
    with app.test_request_context():
        path = order_path("SF-WORD3333")
    resp = client.get(path)
    body = resp.get_data(as_text=True)
    assert '<script src="/static/order-status.js" defer></script>' in body
    assert "<script>" not in body
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    token = path.split("t=")[1]
    assert f'data-status-url="/orders/SF-WORD3333/status?t={token}"' in body
    assert "This page updates by itself" in body

    status = client.get(f"/orders/SF-WORD3333/status?t={token}")
    assert status.status_code == 200
    assert status.get_json() == {
        "number": "SF-WORD3333",
        "status": "pending_payment",
        "label": "Waiting for payment",
    }
    assert "no-store" in status.headers["Cache-Control"]
    # The same door as the page: the number alone reveals nothing.
    assert client.get("/orders/SF-WORD3333/status").status_code == 404
    _set(app, "SF-WORD3333", status="paid", paid_at=datetime.now(UTC))
    assert client.get(f"/orders/SF-WORD3333/status?t={token}").get_json()["status"] == "paid"
    assert "order-status.js" not in _page(app, client, "SF-WORD3333")


def test_the_history_links_each_order_and_its_tracking_with_human_statuses(app: Flask) -> None:
    with services(app).db.session_scope(write=True) as session:
        ada = accounts.register(session, "ada@example.com", "correct horse battery")
        uid, version = ada.id, accounts.session_version(ada)
    make_order(app, "SF-HIST1111", customer_id=uid)
    make_order(app, "SF-HIST2222", customer_id=uid)
    _set(app, "SF-HIST2222", status="shipped")
    with services(app).db.session_scope(write=True) as session:
        order_id = session.execute(
            select(Order.id).where(Order.number == "SF-HIST2222")
        ).scalar_one()
        session.add(
            Parcel(
                order_id=order_id,
                gelato_order_id="g-1",
                tracking_code="TRK123",
                tracking_url="https://track.example/TRK123",
            )
        )
        session.flush()
        session.add(  # a second parcel, its link not known yet
            Parcel(order_id=order_id, gelato_order_id="g-2", tracking_code="TRK456")
        )
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["uid"], sess["av"] = uid, version
    body = client.get("/account").get_data(as_text=True)
    assert '<a href="/orders/SF-HIST1111">SF-HIST1111</a>' in body
    assert '<a href="/orders/SF-HIST2222">SF-HIST2222</a>' in body
    assert (
        '<a href="https://track.example/TRK123" rel="noopener noreferrer">Track parcel 1'
        '<span class="visually-hidden"> of order SF-HIST2222</span></a><br>TRK456</td>'
    ) in body
    assert body.count("<td>—</td>") == 1  # SF-HIST1111 has no parcel yet
    assert "<td>Shipped</td>" in body and "<td>Paid</td>" in body
    assert client.get("/orders/SF-HIST2222").status_code == 200  # the link opens for the owner
