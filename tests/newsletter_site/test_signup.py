import re

from flask import Flask

from storefront.container import services
from storefront.newsletter import services as subscriptions
from tests.accounts.conftest import csrf_from, outbox_mails


def _signup(client, email: str):  # type: ignore[no-untyped-def]
    """The footer form of the home page: a first-time visitor's page carries no token (caches
    may share it); their browser's Origin header says the post comes from the shop."""
    assert 'name="csrf_token"' not in client.get("/").get_data(as_text=True)
    return client.post("/newsletter", data={"email": email}, headers={"Origin": "http://localhost"})


def _link(mail: str) -> str:
    return re.search(r"http://\S+", mail).group(0).removeprefix("http://127.0.0.1:8000")  # type: ignore[union-attr]


def test_double_opt_in(app: Flask, client) -> None:  # type: ignore[no-untyped-def]
    services(app).mail_delivery = "sync"
    resp = _signup(client, "Eve@Example.com")
    assert resp.status_code == 200
    assert "We sent a confirmation link" in resp.get_data(as_text=True)
    with services(app).db.session_scope() as session:
        assert subscriptions.find(session, "eve@example.com").status == "pending"  # type: ignore[union-attr]
    (mail,) = outbox_mails(app)
    assert "Confirm your subscription" in mail or "confirm your subscription" in mail
    page = client.get(_link(mail))
    assert "You are subscribed" in page.get_data(as_text=True)
    with services(app).db.session_scope() as session:
        sub = subscriptions.find(session, "eve@example.com")
        assert sub is not None
        assert sub.status == "subscribed"
        assert sub.consent_at is not None
        assert sub.consent_source == "site-form"
    unsubscribe = re.search(
        r'href="([^"]+/newsletter/unsubscribe/[^"]+)"', page.get_data(as_text=True)
    ).group(1)  # type: ignore[union-attr]
    path = unsubscribe.removeprefix("http://127.0.0.1:8000")
    assert "Unsubscribe eve@example.com?" in client.get(path).get_data(as_text=True)
    token = csrf_from(client, path)
    done = client.post(path, data={"csrf_token": token})
    assert "will get no more newsletters" in done.get_data(as_text=True)
    with services(app).db.session_scope() as session:
        assert subscriptions.find(session, "eve@example.com").status == "unsubscribed"  # type: ignore[union-attr]


def test_bad_email_is_a_422_with_the_field(client) -> None:  # type: ignore[no-untyped-def]
    resp = _signup(client, "not-an-address")
    assert resp.status_code == 422
    assert "Enter an e-mail address" in resp.get_data(as_text=True)


def test_tampered_links_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    assert "damaged" in client.get("/newsletter/unsubscribe/nope", follow_redirects=True).get_data(
        as_text=True
    )
    assert "invalid" in client.get("/newsletter/confirm/nope", follow_redirects=True).get_data(
        as_text=True
    )


def test_left_at_provider_is_never_resubscribed_by_us(app: Flask) -> None:
    with services(app).db.session_scope() as session:
        subscriptions.sign_up(session, "leaver@example.com", source="t", confirm_link="x")
        subscriptions.confirm(session, "leaver@example.com")
        assert subscriptions.mark_left_at_provider(session, "leaver@example.com", "unsubscribed")
        assert not subscriptions.mark_left_at_provider(
            session, "leaver@example.com", "unsubscribed"
        )
        assert subscriptions.find(session, "leaver@example.com").status == "unsubscribed"  # type: ignore[union-attr]
