"""The rendered e-mail: safe HTML with inline styles, a text part, product cards priced from
the catalog, every shop link tagged for the campaign, the unsubscribe merge tag in both."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from storefront.container import campaign_renderer, services
from storefront.newsletter.campaigns.document import CampaignDoc
from storefront.newsletter.campaigns.render import RenderedEmail
from tests.campaigns.conftest import BODY

UTM = {"utm_source": ["newsletter"], "utm_medium": ["email"], "utm_campaign": ["december-drop"]}


class Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def attr(self, tag: str, name: str) -> list[str]:
        return [str(a[name]) for t, a in self.tags if t == tag and a.get(name)]


def render(app: Flask, **fields: object) -> RenderedEmail:
    doc = CampaignDoc.from_document(
        {
            "_id": "campaign-december",
            "_rev": "r1",
            "title": "December drop",
            "subject": "Three new ways to be gloomy",
            "preheader": "New designs, bad news, good jokes.",
            "body": BODY,
            **fields,
        }
    )
    with app.app_context():
        return campaign_renderer(services(app)).render(doc)


def test_the_html_is_email_safe_and_every_shop_link_is_tagged(app: Flask) -> None:
    email = render(app)
    base = services(app).settings.base_url
    page = Parsed()
    page.feed(email.html)
    tags = {t for t, _ in page.tags}
    assert "script" not in tags and "style" not in tags and "link" not in tags
    assert "<script>alert(1)</script>" not in email.html  # the editor's text is escaped
    assert "&lt;script&gt;" in email.html
    assert "table" in tags
    assert all(a.get("style") for t, a in page.tags if t in ("p", "h2", "a", "img"))
    assert "New designs, bad news, good jokes." in email.html  # the preheader

    links = page.attr("a", "href")
    shop_links = [h for h in links if h.startswith(base)]
    assert len(shop_links) >= 4  # header, the block's link, the card's image and button
    for href in shop_links:
        query = parse_qs(urlsplit(href).query)
        assert {k: query[k] for k in UTM} == UTM, href
    assert f"{base}/products/doom-scroll-detox?utm_source=newsletter" in email.html
    card = [h for h in shop_links if "/products/compost-happens" in h]
    assert card and all(
        parse_qs(urlsplit(h).query)["utm_content"] == ["compost-happens"] for h in card
    )
    assert "https://example.org/report?x=1" in links  # elsewhere: left as it is
    assert "*|UNSUB|*" in links  # Mailchimp's unsubscribe link
    assert "*|LIST:ADDRESSLINE|*" in email.html


def test_product_cards_show_the_mockup_and_the_catalogs_price(app: Flask) -> None:
    email = render(app)
    base = services(app).settings.base_url
    page = Parsed()
    page.feed(email.html)
    images = page.attr("img", "src")
    assert any(
        src.startswith(f"{base}/mockups/product-compost-happens/")
        and src.endswith(".jpg?v=" + src.rsplit("=", 1)[1])
        for src in images
    ), images
    product = services(app).catalog.products_by_ids(["product-compost-happens"])
    view = product["product-compost-happens"]
    assert view.currency == "EUR"
    assert f"€{view.price_from / 100:.2f}" in email.html


def test_the_text_part_has_the_words_the_links_and_the_unsubscribe_tag(app: Flask) -> None:
    text = render(app).text
    base = services(app).settings.base_url
    assert "NEW THIS MONTH" in text
    assert "the detox (" + base + "/products/doom-scroll-detox?utm_source=newsletter" in text
    assert "the report (https://example.org/report?x=1)" in text
    assert "Compost Happens" in text
    assert f"{base}/products/compost-happens?utm_source=newsletter" in text
    assert "Unsubscribe: *|UNSUB|*" in text
    assert "<" not in text.replace("<script>alert(1)</script>", "")


def test_a_card_for_an_unpublished_product_is_left_out(app: Flask) -> None:
    body = [
        *BODY[:2],
        {"_type": "productCard", "_key": "x", "product": {"_type": "reference", "_ref": "nope"}},
    ]
    email = render(app, body=body)
    assert "/products/nope" not in email.html and "See it in the shop" not in email.html
