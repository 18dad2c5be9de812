"""The review-invite job through the sync runner: only with consent, only after the delay,
once per order, and never again after the one-click opt-out."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from storefront.container import services
from storefront.db import utcnow
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus
from storefront.outbox.models import OutboxEntry
from sync.registry import load_jobs
from sync.runner import run_job
from tests.reviews.support import PRODUCT, customer, login, order
from tests.support.mail import mails

LONG_AGO = timedelta(days=8)  # the default delay is 7 days


def invites(app: Flask) -> list[str]:
    return [m.to for m in mails(app, "review_invite")]


def test_invites_go_once_only_with_consent_and_after_the_delay(app: Flask) -> None:
    load_jobs()
    past = utcnow() - LONG_AGO
    checkout_yes = order(
        app, customer_id=None, email="yes@example.com", review_invites=True, delivered_at=past
    )
    order(app, customer_id=None, email="no@example.com", delivered_at=past)  # no consent
    pref = customer(app, "pref@example.com", invites=True)
    order(app, customer_id=pref, email="pref@example.com", delivered_at=past)
    order(  # consent, but delivered yesterday
        app,
        customer_id=None,
        email="soon@example.com",
        review_invites=True,
        delivered_at=utcnow() - timedelta(days=1),
    )
    order(  # consent, but not delivered yet
        app,
        customer_id=None,
        email="shipped@example.com",
        review_invites=True,
        status=OrderStatus.SHIPPED,
    )

    dry = run_job(app, "review-invites", dry_run=True)
    assert dry.ok and dry.counts.read == 2
    assert invites(app) == []

    first = run_job(app, "review-invites")
    assert first.ok and first.counts.changed == 2
    assert sorted(invites(app)) == ["pref@example.com", "yes@example.com"]
    again = run_job(app, "review-invites")
    assert again.ok and again.counts.changed == 0
    assert len(invites(app)) == 2

    mail = next(m for m in mails(app, "review_invite") if m.to == "yes@example.com")
    assert checkout_yes in mail.subject
    review_link, optout_link = mail.links
    assert urlsplit(review_link).path == f"/orders/{checkout_yes}/review/{PRODUCT}"
    assert "/reviews/opt-out/" in optout_link and optout_link in mail.html


def test_one_click_opt_out_stops_the_invites(app: Flask) -> None:
    load_jobs()
    past = utcnow() - LONG_AGO
    order(app, customer_id=None, email="ada@example.com", review_invites=True, delivered_at=past)
    run_job(app, "review-invites")
    (mail,) = mails(app, "review_invite")
    path = urlsplit(mail.links[-1]).path
    visitor = app.test_client()
    page = visitor.get(path)  # a mail scanner following the link changes nothing
    assert page.status_code == 200 and "Stop asking me" in page.get_data(as_text=True)
    with services(app).db.session_scope() as session:
        assert session.execute(select(Order.review_invites)).scalar_one() is True
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    done = visitor.post(path, data={"csrf_token": token})
    assert done.status_code == 200 and "not ask you" in done.get_data(as_text=True)
    with services(app).db.session_scope() as session:
        assert session.execute(select(Order.review_invites)).scalar_one() is False
    # a later delivery to the same address, given no new consent: no invite
    order(app, customer_id=None, email="ada@example.com", delivered_at=past)
    run_job(app, "review-invites")
    assert len(mails(app, "review_invite")) == 1
    tampered = visitor.get(path[:-3] + "abc")
    assert tampered.status_code == 302  # told the link is damaged, on the home page


def test_account_preference_turns_invites_on_and_off(app: Flask) -> None:
    load_jobs()
    ada = customer(app, "ada@example.com")
    client = login(app, ada)
    page = client.get("/account").get_data(as_text=True)
    assert 'name="review_invites"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/account/review-invites", data={"csrf_token": token, "review_invites": "yes"})
    order(app, customer_id=ada, email="ada@example.com", delivered_at=utcnow() - LONG_AGO)
    client.post("/account/review-invites", data={"csrf_token": token})  # unticked: off
    run_job(app, "review-invites")
    assert invites(app) == []
    client.post("/account/review-invites", data={"csrf_token": token, "review_invites": "yes"})
    run_job(app, "review-invites")
    assert invites(app) == ["ada@example.com"]


def test_the_mailbox_one_click_button_opts_out_without_a_session(app: Flask) -> None:
    """RFC 8058: the invite carries List-Unsubscribe(-Post); the mailbox provider POSTs to
    the link with no cookie, no token and no Origin of ours, and that is enough."""
    load_jobs()
    order(
        app,
        customer_id=None,
        email="ada@example.com",
        review_invites=True,
        delivered_at=utcnow() - LONG_AGO,
    )
    run_job(app, "review-invites")
    with services(app).db.session_scope() as session:
        payload = session.execute(
            select(OutboxEntry.payload).where(OutboxEntry.key.startswith("review_invite:"))
        ).scalar_one()
    message = services(app).composer.compose(payload["template"], payload["to"], payload["context"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"].strip("<>")
    assert link == mails(app, "review_invite")[0].links[-1]
    resp = app.test_client().post(
        urlsplit(link).path,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert resp.status_code == 200
    with services(app).db.session_scope() as session:
        assert session.execute(select(Order.review_invites)).scalar_one() is False
