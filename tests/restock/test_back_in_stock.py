"""Back in stock through the real doors: the form on a sold-out size, the double opt-in, the
inventory job flipping the size back (lake + Gelato emulator), exactly one e-mail per
request however often the reconcile runs or however many sync processes race."""

import re
import threading
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from emulators.gelato import GelatoEmulator
from storefront.container import services
from storefront.gelato.client import GelatoClient
from storefront.restock.links import product_url
from storefront.restock.models import RestockRequest
from storefront.restock.services import notify_available
from sync.registry import load_jobs
from sync.runner import run_job
from tests.reviews.support import customer, login
from tests.support.mail import mails
from tests.support.services import use_gelato

UID = "apparel_product_gca_t-shirt_gsc_crewneck_gcu_unisex_gqa_classic_gsi_m_gco_black_gpr_4-0"
PRODUCT, SLUG, VARIANT = "product-extinct-is-forever", "extinct-is-forever", "black-m"
PAGE = f"/products/{SLUG}?variant={VARIANT}"


@pytest.fixture
def gelato(app: Flask):  # type: ignore[no-untyped-def]
    emulator = GelatoEmulator(api_key="k")
    http = httpx.Client(transport=httpx.WSGITransport(app=emulator))
    use_gelato(
        app,
        GelatoClient(
            api_key="k",
            order_base="http://gelato.test",
            product_base="http://gelato.test",
            shipment_base="http://gelato.test",
            http=http,
        ),
    )
    load_jobs()
    assert run_job(app, "inventory").ok
    emulator.set_stock(UID, "out-of-stock")
    assert run_job(app, "inventory").ok
    yield emulator
    http.close()


def ask(client: FlaskClient, app: Flask, email: str | None, variant: str = VARIANT, **kw):  # type: ignore[no-untyped-def]
    data = {"product_id": PRODUCT, "variant_key": variant}
    if email is not None:
        data["email"] = email
    headers = {"Origin": services(app).settings.base_url, **kw.pop("headers", {})}
    return client.post("/back-in-stock", data=data, headers=headers, **kw)


def statuses(app: Flask) -> dict[str, str]:
    with services(app).db.session_scope() as session:
        return {r.email: r.status for r in session.execute(select(RestockRequest)).scalars()}


def test_a_restock_sends_exactly_one_email_per_confirmed_request(
    app: Flask, gelato: GelatoEmulator
) -> None:
    page = app.test_client().get(PAGE).get_data(as_text=True)
    assert "Sold out in your size?" in page
    assert re.search(rf'<option value="{VARIANT}">M \(Black\)</option>', page)

    # a guest: double opt-in
    resp = ask(app.test_client(), app, "ada@example.com")
    assert resp.status_code == 200 and "confirmation link" in resp.get_data(as_text=True)
    (confirm,) = mails(app, "restock_confirm")
    assert confirm.to == "ada@example.com" and "Extinct Is Forever" in confirm.subject
    done = app.test_client().get(urlsplit(confirm.links[0]).path)
    assert done.status_code == 200 and "Confirmed" in done.get_data(as_text=True)
    # another guest who never confirms
    assert ask(app.test_client(), app, "lazy@example.com").status_code == 200
    # logged in: no confirmation needed, the account's address is used
    member = login(app, customer(app, "member@example.com"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', member.get(PAGE).get_data(as_text=True))
    assert token
    resp = member.post(
        "/back-in-stock",
        data={"product_id": PRODUCT, "variant_key": VARIANT, "csrf_token": token.group(1)},
    )
    assert resp.status_code == 200 and "You are on the list" in resp.get_data(as_text=True)
    assert len(mails(app, "restock_confirm")) == 2  # none for the member
    assert statuses(app) == {
        "ada@example.com": "open",
        "lazy@example.com": "pending",
        "member@example.com": "open",
    }

    assert run_job(app, "inventory").ok  # still sold out: nobody is told anything
    assert mails(app, "back_in_stock") == []

    gelato.set_stock(UID, "in-stock")
    for _ in range(3):  # the reconcile runs again and again
        assert run_job(app, "inventory").ok
    sent = mails(app, "back_in_stock")
    assert sorted(m.to for m in sent) == ["ada@example.com", "member@example.com"]
    for mail in sent:
        assert "€29.00" in mail.text
        assert mail.subject == "Extinct Is Forever in M is back"
        assert urlsplit(mail.links[0]).path == f"/products/{SLUG}"
        assert f"variant={VARIANT}" in mail.links[0]
    assert statuses(app) == {
        "ada@example.com": "notified",
        "lazy@example.com": "pending",
        "member@example.com": "notified",
    }
    # confirming late, after the restock, still gets the one e-mail on the next run
    lazy = mails(app, "restock_confirm")[1]
    app.test_client().get(urlsplit(lazy.links[0]).path)
    assert run_job(app, "inventory").ok
    assert sorted(m.to for m in mails(app, "back_in_stock")) == [
        "ada@example.com",
        "lazy@example.com",
        "member@example.com",
    ]
    # closed requests do not block a new one for the next time it sells out
    gelato.set_stock(UID, "out-of-stock")
    assert run_job(app, "inventory").ok
    assert ask(app.test_client(), app, "ada@example.com").status_code == 200


def test_two_sync_processes_racing_send_one_email_each(app: Flask, gelato: GelatoEmulator) -> None:
    members = [login(app, customer(app, f"m{i}@example.com")) for i in range(5)]
    for member in members:
        page = member.get(PAGE).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        member.post(
            "/back-in-stock",
            data={"product_id": PRODUCT, "variant_key": VARIANT, "csrf_token": token.group(1)},
        )
    barrier = threading.Barrier(2)
    found = services(app)
    sent: list[int] = []
    errors: list[BaseException] = []

    def sync_process() -> None:
        try:
            with app.app_context():
                barrier.wait()
                report = notify_available(found.db, found.catalog, [UID], product_link=product_url)
                sent.append(report.sent)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sync_process) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(sent) == 5
    recipients = [m.to for m in mails(app, "back_in_stock")]
    assert sorted(recipients) == sorted(f"m{i}@example.com" for i in range(5))


def test_failures_say_what_to_fix(app: Flask, gelato: GelatoEmulator) -> None:
    json = {"Accept": "application/json"}
    bad = ask(app.test_client(), app, "not-an-address", headers=json)
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"][0]["field"] == "email"
    missing = ask(app.test_client(), app, None, headers=json)
    assert missing.status_code == 422 and "e-mail" in missing.get_json()["error"]["message"]
    unknown = ask(app.test_client(), app, "ada@example.com", variant="purple-9xl", headers=json)
    assert unknown.status_code == 404
    in_stock = ask(app.test_client(), app, "ada@example.com", variant="black-s", headers=json)
    assert in_stock.status_code == 409 and in_stock.get_json()["error"]["code"] == "in_stock"

    assert ask(app.test_client(), app, "ada@example.com").status_code == 200
    twice = ask(app.test_client(), app, "ADA@example.com ", headers={"Accept": "text/html"})
    assert twice.status_code == 409
    assert "confirm the link we sent first" in twice.get_data(as_text=True)
    assert len(mails(app, "restock_confirm")) == 1
    tampered = app.test_client().get("/back-in-stock/confirm/not-a-token")
    assert tampered.status_code == 302
    assert statuses(app) == {"ada@example.com": "pending"}


def test_the_form_is_throttled(app: Flask, gelato: GelatoEmulator) -> None:
    codes = [ask(app.test_client(), app, "bad").status_code for _ in range(11)]
    assert codes == [422] * 10 + [429]


def test_requests_are_exported_and_erased_with_the_account(
    app: Flask, gelato: GelatoEmulator
) -> None:
    ada = customer(app, "ada@example.com", verified=True)
    assert ask(app.test_client(), app, "ada@example.com").status_code == 200  # as a guest
    client = login(app, ada)
    data = client.get("/account/data").get_json()
    assert [
        (r["product_id"], r["variant_key"], r["status"]) for r in data["back_in_stock_requests"]
    ] == [(PRODUCT, VARIANT, "pending")]
    page = client.get("/account/delete").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    client.post("/account/delete", data={"csrf_token": token.group(1), "confirm": "delete"})
    assert statuses(app) == {}
