"""The operator dashboard over a real paid order: refund (partial, full, double click),
cancel, the lists, and who may see any of it."""

import re

import httpx
from flask.testing import FlaskClient
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.newsletter import services as newsletter
from storefront.orders.models import Order
from storefront.payments.models import Refund
from tests.checkout.conftest import Shop, add_to_cart, checkout, press, shop_path
from tests.support.timing import ANSWERED_TIMEOUT


def login_as(shop: Shop, email: str, role: str) -> FlaskClient:
    with services(shop.app).db.session_scope() as session:
        user = accounts.register(session, email, "correct horse battery", role=role)
        uid, version = user.id, accounts.session_version(user)
    client = shop.app.test_client()
    with client.session_transaction() as sess:
        sess["uid"], sess["av"] = uid, version
    return client


def paid_stripe_order(shop: Shop) -> str:
    add_to_cart(shop.client)
    pay_url = checkout(shop.client).headers["Location"]
    with httpx.Client(timeout=ANSWERED_TIMEOUT) as browser:
        done = press(browser, pay_url, "pay")
    shop.client.get(shop_path(done.headers["Location"]))
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.status == "paid"
        return order.number


def form_fields(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(csrf_token|key)" value="([^"]+)"', page))


def test_partial_then_full_refund_idempotent_on_double_click(shop: Shop) -> None:
    number = paid_stripe_order(shop)
    operator = login_as(shop, "op@example.com", "operator")
    page = operator.get(f"/admin/orders/{number}/refund").get_data(as_text=True)
    fields = form_fields(page)
    for _ in range(2):  # double click: the same key twice
        resp = operator.post(
            f"/admin/orders/{number}/refund", data={**fields, "amount": "10.00", "reason": "late"}
        )
        assert resp.status_code == 303
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.refunded_amount == 1000
        assert len(session.execute(select(Refund)).scalars().all()) == 1
    assert len(shop.stripe.refunds) == 1

    fields = form_fields(operator.get(f"/admin/orders/{number}/refund").get_data(as_text=True))
    operator.post(f"/admin/orders/{number}/refund", data={**fields, "amount": ""})
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.refunded_amount == order.total_amount
        assert order.status == "refunded"
        kinds = [e.kind for e in order.events]
    assert kinds.count("refunded") == 2
    detail = operator.get(f"/admin/orders/{number}").get_data(as_text=True)
    assert "refunded in full" in detail


def test_refund_more_than_paid_is_refused(shop: Shop) -> None:
    number = paid_stripe_order(shop)
    operator = login_as(shop, "op@example.com", "operator")
    fields = form_fields(operator.get(f"/admin/orders/{number}/refund").get_data(as_text=True))
    resp = operator.post(
        f"/admin/orders/{number}/refund", data={**fields, "amount": "999.00"}, follow_redirects=True
    )
    assert "Refund between" in resp.get_data(as_text=True)
    bad = operator.post(
        f"/admin/orders/{number}/refund", data={**fields, "amount": "12,5x"}, follow_redirects=True
    )
    assert "is not an amount" in bad.get_data(as_text=True)


def test_cancel_paid_order_before_printing_refunds_it(shop: Shop) -> None:
    number = paid_stripe_order(shop)
    operator = login_as(shop, "op@example.com", "operator")
    fields = form_fields(operator.get(f"/admin/orders/{number}/cancel").get_data(as_text=True))
    resp = operator.post(
        f"/admin/orders/{number}/cancel",
        data={**fields, "reason": "customer asked"},
        follow_redirects=True,
    )
    assert "Order cancelled" in resp.get_data(as_text=True)
    with services(shop.app).db.session_scope() as session:
        order = session.execute(select(Order)).scalar_one()
        assert order.status == "refunded"
        assert order.refunded_amount == order.total_amount


def test_lists_filters_and_csv(shop: Shop) -> None:
    number = paid_stripe_order(shop)
    with services(shop.app).db.session_scope() as session:
        newsletter.sign_up(session, "=cmd@example.com", source="t", confirm_link="x")
    operator = login_as(shop, "op@example.com", "operator")
    assert number in operator.get("/admin/orders?status=paid").get_data(as_text=True)
    assert number not in operator.get("/admin/orders?status=shipped").get_data(as_text=True)
    assert number in operator.get(f"/admin/orders?q={number.lower()}").get_data(as_text=True)
    # by a whole e-mail address in any case (its blind index); part of one finds nothing
    assert number in operator.get("/admin/orders?q=ADA@example.com").get_data(as_text=True)
    assert number not in operator.get("/admin/orders?q=ada@example").get_data(as_text=True)
    assert number not in operator.get("/admin/orders?q=bob@example.com").get_data(as_text=True)
    assert number in operator.get("/admin/orders?provider=stripe&since=2020-01-01").get_data(
        as_text=True
    )
    dashboard = operator.get("/admin").get_data(as_text=True)
    assert "<svg" in dashboard
    assert "Compost Happens" in dashboard
    assert operator.get("/admin/jobs").status_code == 200
    csv_text = operator.get("/admin/subscribers.csv").get_data(as_text=True)
    assert "'=cmd@example.com" in csv_text


def test_customers_and_strangers_are_kept_out(shop: Shop) -> None:
    number = paid_stripe_order(shop)
    customer = login_as(shop, "c@example.com", "customer")
    for path in (
        "/admin",
        "/admin/orders",
        f"/admin/orders/{number}",
        "/admin/jobs",
        "/admin/subscribers.csv",
    ):
        assert customer.get(path).status_code == 403, path
        assert shop.app.test_client().get(path).status_code == 302, path
    token = form_fields(customer.get("/cart").get_data(as_text=True))["csrf_token"]
    assert (
        customer.post(
            f"/admin/orders/{number}/refund", data={"csrf_token": token, "key": "k"}
        ).status_code
        == 403
    )


def test_operator_creates_and_revokes_an_api_token(shop: Shop) -> None:
    operator = login_as(shop, "op@example.com", "operator")
    token = form_fields(operator.get("/admin/tokens").get_data(as_text=True))["csrf_token"]
    page = operator.post(
        "/admin/tokens", data={"csrf_token": token, "name": "script", "role": "operator"}
    ).get_data(as_text=True)
    plain = re.search(r'<code class="token">([^<]+)</code>', page).group(1)  # type: ignore[union-attr]
    api = shop.app.test_client(use_cookies=False)
    assert (
        api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    )
    too_high = operator.post(
        "/admin/tokens",
        data={"csrf_token": token, "name": "x", "role": "admin"},
        follow_redirects=True,
    )
    assert "admin" not in re.findall(
        r"<td>(customer|operator|admin)</td>", too_high.get_data(as_text=True)
    )
    token_id = re.search(r'name="revoke" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    operator.post("/admin/tokens", data={"csrf_token": token, "revoke": token_id})
    assert (
        api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    )


def test_operator_exports_and_erases_a_customer_on_request(shop: Shop) -> None:
    with services(shop.app).db.session_scope() as session:
        ada = accounts.register(session, "ada.request@example.com", "correct horse battery")
        ada_id = ada.id
    operator = login_as(shop, "op@example.com", "operator")
    found = operator.get("/admin/customers?q=Ada.Request@example.com").get_data(as_text=True)
    assert "ada.request@example.com" in found
    export = operator.get(f"/admin/customers/{ada_id}/export").get_json()
    assert export["account"]["email"] == "ada.request@example.com"
    token = form_fields(found)["csrf_token"]
    operator.post(
        f"/admin/customers/{ada_id}/forget", data={"csrf_token": token, "confirm": "forget"}
    )
    with services(shop.app).db.session_scope() as session:
        from storefront.accounts.models import Customer

        assert session.get_one(Customer, ada_id).email.startswith("deleted-")
    assert operator.get("/admin/customers/999999/export").status_code == 404
