"""A campaign as an e-mail: HTML that mail clients show (tables, inline styles, no script,
no stylesheet) and a plain-text part.

* Portable Text blocks go through the shop's one renderer (``storefront.content.ptext``:
  escaped text, only safe link targets); their fixed tags then get inline styles here.
* A ``productCard`` becomes a card: the mockup picture, the title, the price from the
  catalog in the audience's currency and a link. Prices are never taken from the document.
  There are no markets yet, so the audience's currency is the shop's (EUR); a product
  priced in another currency shows no price rather than a wrong one.
* Every link to the shop (relative, or on ``BASE_URL``'s host) is made absolute and tagged
  ``utm_source=newsletter&utm_medium=email&utm_campaign=<campaign>`` (and ``utm_content``
  naming the product on cards); links elsewhere are left as they are.
* Both parts carry Mailchimp's ``*|UNSUB|*`` (Mailchimp will not send without it) and the
  audience's postal address ``*|LIST:ADDRESSLINE|*``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from storefront.catalog.mockups import garment_for, mockup_path
from storefront.catalog.services import ProductView
from storefront.content.ptext import render_portable_text, safe_href
from storefront.money import format_money
from storefront.newsletter.campaigns.document import CampaignDoc

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
UNSUB = "*|UNSUB|*"
ADDRESS = "*|LIST:ADDRESSLINE|*"
AUDIENCE_CURRENCY = "EUR"
CARD_WIDTH = 480

FONT = "font-family:Helvetica,Arial,sans-serif;"
#: Inline styles for the fixed tags ``render_portable_text`` writes.
STYLES = {
    "<p>": f'<p style="{FONT}font-size:16px;line-height:1.5;margin:0 0 16px;">',
    "<h1>": f'<h1 style="{FONT}font-size:28px;line-height:1.2;margin:0 0 16px;">',
    "<h2>": f'<h2 style="{FONT}font-size:22px;line-height:1.25;margin:0 0 12px;">',
    "<h3>": f'<h3 style="{FONT}font-size:18px;line-height:1.3;margin:0 0 12px;">',
    "<blockquote>": (
        f'<blockquote style="{FONT}margin:0 0 16px;padding:0 0 0 12px;'
        'border-left:3px solid #cccccc;">'
    ),
    "<ul>": f'<ul style="{FONT}margin:0 0 16px;padding:0 0 0 24px;">',
    "<ol>": f'<ol style="{FONT}margin:0 0 16px;padding:0 0 0 24px;">',
    "<li>": '<li style="margin:0 0 6px;">',
    "<figure>": '<div style="margin:0 0 16px;">',
    "</figure>": "</div>",
    '<a href="': '<a style="color:{accent};text-decoration:underline;" href="',
    ' loading="lazy">': ' width="560" style="display:block;width:100%;max-width:560px;height:auto;'
    'border:0;">',
}
_STYLE_RE = re.compile("|".join(re.escape(k) for k in STYLES))


@dataclass(frozen=True)
class ProductCard:
    title: str
    href: str
    image: str | None
    price: str | None


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    preheader: str
    html: str
    text: str


class LinkTagger:
    """Makes shop links absolute and adds the campaign's utm parameters."""

    def __init__(self, base_url: str, campaign: str) -> None:
        self.base = base_url.rstrip("/")
        self.host = urlsplit(self.base).netloc.lower()
        self.campaign = campaign

    def __call__(self, href: str, content: str | None = None) -> str:
        if href.startswith("/") and not href.startswith("//"):
            href = self.base + href
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != self.host:
            return href
        query = parse_qsl(parts.query, keep_blank_values=True)
        have = {k for k, _ in query}
        extra = {
            "utm_source": "newsletter",
            "utm_medium": "email",
            "utm_campaign": self.campaign,
        }
        if content:
            extra["utm_content"] = content
        query += [(k, v) for k, v in extra.items() if k not in have]
        return urlunsplit(parts._replace(query=urlencode(query)))


def _tag_block_links(block: dict[str, Any], tag: LinkTagger) -> dict[str, Any]:
    defs = []
    for definition in block.get("markDefs") or []:
        if isinstance(definition, dict) and definition.get("_type") == "link":
            href = safe_href(definition.get("href"))
            definition = {**definition, "href": tag(href) if href else None}
        defs.append(definition)
    return {**block, "markDefs": defs}


def _block_text(block: dict[str, Any], tag: LinkTagger) -> str:
    defs = {d.get("_key"): d for d in block.get("markDefs") or [] if isinstance(d, dict)}
    out = []
    for child in block.get("children") or []:
        if not isinstance(child, dict) or not isinstance(child.get("text"), str):
            continue
        out.append(child["text"])
        for mark in child.get("marks") or []:
            definition = defs.get(mark)
            if definition and definition.get("_type") == "link":
                href = safe_href(definition.get("href"))
                if href:
                    out.append(f" ({tag(href)})")
    text = "".join(out)
    if block.get("listItem"):
        return "  " * (int(block.get("level") or 1) - 1) + "- " + text
    if str(block.get("style") or "").startswith("h"):
        return text.upper()
    return text


class CampaignRenderer:
    """Renders campaigns against the catalog (``products(ids)``: published products by id)."""

    def __init__(
        self,
        *,
        base_url: str,
        products: Callable[[Sequence[str]], Mapping[str, ProductView]],
        image_url: Callable[[dict[str, Any]], str] | None = None,
        brand: Callable[[], Mapping[str, Any]] | None = None,
        templates: Path = TEMPLATES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.products = products
        self.image_url = image_url
        self.brand = brand
        self._env = Environment(
            loader=FileSystemLoader(templates),
            autoescape=select_autoescape(["html"]),
            keep_trailing_newline=True,
        )

    def _card(self, block: dict[str, Any], view: ProductView, tag: LinkTagger) -> ProductCard:
        colour = block.get("colour") or next(
            (c.get("name") for c in view.colours if c.get("name")), None
        )
        garment = garment_for(view.raw, str(colour)) if colour else None
        image = (
            self.base_url
            + mockup_path(view.id, str(colour), "front", CARD_WIDTH, "jpg", garment.version)
            if garment and colour
            else None
        )
        price = None
        if view.currency == AUDIENCE_CURRENCY and view.variants:
            price = format_money(view.price_from, view.currency)
            if view.price_varies:
                price = f"from {price}"
        return ProductCard(view.title, tag(f"/products/{view.slug}", view.slug), image, price)

    def render(self, campaign: CampaignDoc) -> RenderedEmail:
        tag = LinkTagger(self.base_url, campaign.slug)
        refs = [
            str((b.get("product") or {}).get("_ref") or "")
            for b in campaign.body
            if b.get("_type") == "productCard"
        ]
        found = self.products([r for r in refs if r]) if any(refs) else {}
        parts: list[tuple[str, Any]] = []  # ("blocks", [..]) or ("card", ProductCard)
        text_parts: list[str] = []
        run: list[dict[str, Any]] = []
        for block in campaign.body:
            kind = block.get("_type")
            if kind == "productCard":
                view = found.get(str((block.get("product") or {}).get("_ref") or ""))
                if view is None:
                    continue  # unpublished or deleted: no card, never a broken one
                if run:
                    parts.append(("blocks", run))
                    run = []
                card = self._card(block, view, tag)
                parts.append(("card", card))
                text_parts.append("\n".join(x for x in (card.title, card.price, card.href) if x))
            elif kind in ("block", "image"):
                run.append(_tag_block_links(block, tag) if kind == "block" else block)
                if kind == "block":
                    text_parts.append(_block_text(block, tag))
        if run:
            parts.append(("blocks", run))
        brand = dict(self.brand() if self.brand else {})
        accent = str((brand.get("brandColours") or {}).get("accent") or "#1a1a1a")
        sections = []
        for kind, value in parts:
            if kind == "card":
                sections.append(("card", value))
                continue
            html = str(render_portable_text(value, image_url=self._image))
            styled = _STYLE_RE.sub(lambda m: STYLES[m.group(0)].format(accent=accent), html)
            sections.append(("html", Markup(styled)))  # noqa: S704 - from render_portable_text
        context = {
            "campaign": campaign,
            "sections": sections,
            "shop_name": brand.get("shopName") or "Storefront",
            "shop_url": tag("/"),
            "accent": accent,
            "unsub": UNSUB,
            "address": ADDRESS,
            "text_body": "\n\n".join(t for t in text_parts if t.strip()),
        }
        html = self._env.get_template("campaigns/email.html").render(**context)
        text = self._env.get_template("campaigns/email.txt").render(**context)
        return RenderedEmail(campaign.subject, campaign.preheader, html, text)

    def _image(self, block: dict[str, Any]) -> str:
        if self.image_url is None:
            return ""
        try:
            return self.image_url(block)
        except Exception:  # a broken image reference leaves the picture out, not the e-mail
            return ""
