"""Reviews at their doors: the buyer's form, every refusal, moderation, and what the product
page (cached or not), the listing, the JSON-LD, the API, the export and erasure show."""

import json
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from storefront.container import services
from storefront.orders.states import OrderStatus
from storefront.reviews.models import Review
from tests.reviews.support import PRODUCT, SLUG, customer, login, order

GOOD = {"rating": "4", "display_name": "Ada L.", "body": "Soft, and the skull survived the wash."}
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


def write_path(number: str, product: str = PRODUCT) -> str:
    return f"/orders/{number}/review/{product}"


def token_of(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, "no CSRF token on " + path
    return match.group(1)


def post_review(client: FlaskClient, number: str, data: dict[str, str], **kw):  # type: ignore[no-untyped-def]
    token = token_of(client, "/account")
    return client.post(write_path(number), data={**data, "csrf_token": token}, **kw)


def approve_all(app: Flask) -> FlaskClient:
    operator = login(app, customer(app, "op@example.com", role="operator"))
    token = token_of(operator, "/admin/reviews")
    with services(app).db.session_scope() as session:
        ids = list(session.execute(select(Review.id)).scalars())
    for review_id in ids:
        resp = operator.post(
            f"/admin/reviews/{review_id}", data={"csrf_token": token, "decision": "approve"}
        )
        assert resp.status_code == 303
    return operator


def ld_product(page: str) -> dict:  # type: ignore[type-arg]
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert block
    return json.loads(block.group(1))  # type: ignore[no-any-return]


def test_buyer_reviews_operator_approves_and_every_page_shows_it(app: Flask) -> None:
    buyer_id = customer(app, "ada@example.com")
    number = order(app, customer_id=buyer_id, email="ada@example.com")
    buyer = login(app, buyer_id)
    account = buyer.get("/account").get_data(as_text=True)
    assert write_path(number) in account  # the account page links to the form
    assert buyer.get(write_path(number)).status_code == 200
    resp = post_review(buyer, number, GOOD)
    assert resp.status_code == 303
    assert write_path(number) not in buyer.get("/account").get_data(as_text=True)

    anonymous = app.test_client()
    before = anonymous.get(f"/products/{SLUG}", headers=HTML)
    assert "survived the wash" not in before.get_data(as_text=True)  # pending: not shown
    assert "aggregateRating" not in before.get_data(as_text=True)
    etag = before.headers["ETag"]

    approve_all(app)

    # the cached copy a CDN holds is stale: revalidating gets the new page, not a 304
    after = anonymous.get(f"/products/{SLUG}", headers={**HTML, "If-None-Match": etag})
    assert after.status_code == 200
    page = after.get_data(as_text=True)
    assert "survived the wash" in page and "Ada L." in page
    assert 'aria-label="4 out of 5, 1 review"' in page
    assert "ada@example.com" not in page  # the display name only
    ld = ld_product(page)
    assert ld["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": 4.0,
        "reviewCount": 1,
        "bestRating": 5,
        "worstRating": 1,
    }
    assert ld["review"][0]["author"] == {"@type": "Person", "name": "Ada L."}
    assert ld["review"][0]["reviewRating"]["ratingValue"] == 4

    listing = anonymous.get("/shop", headers=HTML).get_data(as_text=True)
    assert 'aria-label="4 out of 5, 1 review"' in listing

    api = anonymous.get(f"/api/v1/products/{SLUG}/reviews").get_json()
    assert api["total"] == 1
    assert api["items"][0]["display_name"] == "Ada L."
    assert set(api["items"][0]) == {"id", "display_name", "rating", "body", "reply", "created_at"}
    product = anonymous.get(f"/api/v1/products/{SLUG}").get_json()
    assert product["rating"] == {"average": 4.0, "count": 1, "label": "4 out of 5, 1 review"}


def test_reject_and_reply_show_on_the_cached_page(app: Flask) -> None:
    buyer_id = customer(app, "ada@example.com")
    number = order(app, customer_id=buyer_id, email="ada@example.com")
    post_review(login(app, buyer_id), number, GOOD)
    operator = approve_all(app)
    anonymous = app.test_client()
    etag = anonymous.get(f"/products/{SLUG}", headers=HTML).headers["ETag"]
    with services(app).db.session_scope() as session:
        review_id = session.execute(select(Review.id)).scalar_one()
    token = token_of(operator, "/admin/reviews?status=approved")
    operator.post(
        f"/admin/reviews/{review_id}",
        data={"csrf_token": token, "decision": "reply", "reply": "Thanks, Ada!"},
    )
    page = anonymous.get(f"/products/{SLUG}", headers={**HTML, "If-None-Match": etag})
    assert page.status_code == 200 and "Thanks, Ada!" in page.get_data(as_text=True)
    operator.post(f"/admin/reviews/{review_id}", data={"csrf_token": token, "decision": "reject"})
    page = anonymous.get(f"/products/{SLUG}", headers=HTML).get_data(as_text=True)
    assert "survived the wash" not in page and "aggregateRating" not in page
    bad = operator.post(f"/admin/reviews/{review_id}", data={"csrf_token": token, "decision": "x"})
    assert bad.status_code == 400
    assert "approve, reject or reply" in bad.get_data(as_text=True)
    empty = operator.post(
        f"/admin/reviews/{review_id}", data={"csrf_token": token, "decision": "reply"}
    )
    assert empty.status_code == 422


def test_not_delivered_is_refused_with_a_reason(app: Flask) -> None:
    buyer_id = customer(app, "ada@example.com")
    number = order(app, customer_id=buyer_id, email="ada@example.com", status=OrderStatus.SHIPPED)
    buyer = login(app, buyer_id)
    page = buyer.get(write_path(number), headers=HTML)
    assert page.status_code == 409
    assert "once the order has been delivered" in page.get_data(as_text=True)
    resp = post_review(buyer, number, GOOD, headers=JSON)
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "not_delivered"
    with services(app).db.session_scope() as session:
        assert session.execute(select(Review)).first() is None


def test_someone_else_cannot_review_the_order(app: Flask) -> None:
    buyer_id = customer(app, "ada@example.com")
    number = order(app, customer_id=buyer_id, email="ada@example.com")
    other = login(app, customer(app, "eve@example.com"))
    assert other.get(write_path(number), headers=HTML).status_code == 404
    resp = post_review(other, number, GOOD, headers=JSON)
    assert resp.status_code == 404
    assert "could not find that order" in resp.get_json()["error"]["message"]
    # a product the order does not hold
    buyer = login(app, buyer_id)
    assert buyer.get(write_path(number, "product-extinct-is-forever")).status_code == 404
    # nobody logged in: sent to log in first
    anonymous = app.test_client().get(write_path(number), headers=HTML)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_twice_is_refused(app: Flask) -> None:
    buyer_id = customer(app, "ada@example.com")
    number = order(app, customer_id=buyer_id, email="ada@example.com")
    buyer = login(app, buyer_id)
    assert post_review(buyer, number, GOOD).status_code == 303
    again = post_review(buyer, number, {**GOOD, "rating": "1"}, headers=HTML)
    assert again.status_code == 409
    assert "already reviewed" in again.get_data(as_text=True)
    with services(app).db.session_scope() as session:
        assert [r.rating for r in session.execute(select(Review)).scalars()] == [4]
    # a second delivered order of the same shirt may be reviewed on its own
    second = order(app, customer_id=buyer_id, email="ada@example.com")
    assert post_review(buyer, second, GOOD).status_code == 303


def test_bad_rating_and_text_get_field_messages(app: Flask) -> None:
    buyer_id = customer(app, "ada@example.com")
    number = order(app, customer_id=buyer_id, email="ada@example.com")
    buyer = login(app, buyer_id)
    page = post_review(buyer, number, {**GOOD, "rating": "6", "body": ""}, headers=HTML)
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "Rating: choose 1 to 5 stars." in text
    assert 'id="f-body-error"' in text
    api = post_review(buyer, number, {**GOOD, "rating": "zero"}, headers=JSON)
    assert api.status_code == 422
    assert api.get_json()["error"]["details"][0]["field"] == "rating"
    with services(app).db.session_scope() as session:
        assert session.execute(select(Review)).first() is None


def test_the_form_is_throttled(app: Flask) -> None:
    buyer_id = customer(app, "ada@example.com")
    number = order(app, customer_id=buyer_id, email="ada@example.com")
    buyer = login(app, buyer_id)
    token = token_of(buyer, "/account")
    codes = [
        buyer.post(write_path(number), data={"csrf_token": token, "rating": "9"}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [422] * 10
    assert codes[10] == 429


def test_reviews_are_exported_and_erased_with_the_account(app: Flask) -> None:
    buyer_id = customer(app, "ada@example.com")
    number = order(app, customer_id=buyer_id, email="ada@example.com")
    buyer = login(app, buyer_id)
    post_review(buyer, number, GOOD)
    approve_all(app)
    data = buyer.get("/account/data").get_json()
    assert data["reviews"] == [
        {
            "product_id": PRODUCT,
            "order": number,
            "display_name": "Ada L.",
            "rating": 4,
            "body": GOOD["body"],
            "status": "approved",
            "reply": None,
            "written_at": data["reviews"][0]["written_at"],
        }
    ]
    token = token_of(buyer, "/account/delete")
    resp = buyer.post(
        "/account/delete",
        data={"csrf_token": token, "password": "correct horse battery", "confirm": "delete"},
    )
    assert resp.status_code in (302, 303)
    with services(app).db.session_scope() as session:
        assert session.execute(select(Review)).first() is None
    page = app.test_client().get(f"/products/{SLUG}", headers=HTML).get_data(as_text=True)
    assert "Ada L." not in page and "survived the wash" not in page
