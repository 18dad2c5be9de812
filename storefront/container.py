"""The shop's services, built once per app from its settings.

This is the one place that decides which implementation each port gets (the real Sanity,
Stripe, PayPal, Gelato and Mailchimp clients, with their circuit breakers) and builds it.
Nothing else constructs a client or looks one up by a string key: web views and sync jobs
take :class:`Services` from :func:`services` and hand domain functions exactly what they
use. Tests build an app with overrides (``create_app(settings, gelato=client)``) or replace
a field of the app's :class:`Services`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from storefront.catalog.mockups import Mockups
from storefront.catalog.services import Catalog
from storefront.checkout.quotes import QuoteCache
from storefront.circuit import Breakers, breakers_from_settings
from storefront.config import Settings
from storefront.content.services import ContentService, build_content
from storefront.db import Database
from storefront.gateways.registry import Gateways
from storefront.gelato.client import GelatoClient
from storefront.mail.mailer import Mailer, mailer_from_settings
from storefront.mail.messages import Composer
from storefront.mail.worker import Delivery, Postman
from storefront.mailchimp.campaigns import MailchimpCampaigns
from storefront.mailchimp.client import MailchimpProvider
from storefront.mailchimp.provider import NewsletterProvider
from storefront.newsletter.campaigns.dispatch import Dispatcher, Sender
from storefront.newsletter.campaigns.render import CampaignRenderer
from storefront.operations import privacy
from storefront.reviews.board import ReviewBoard
from storefront.sanity.client import SanityClient

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass
class Services:
    settings: Settings
    db: Database
    breakers: Breakers
    content: ContentService
    #: What the cart and checkout price from (the catalog, or a stand-in in unit tests).
    catalog: Catalog
    gateways: Gateways
    gelato: GelatoClient
    quotes: QuoteCache
    mailing_list: NewsletterProvider
    #: Writes to Sanity (inventory documents): the write token, never the CDN.
    sanity_writer: SanityClient
    mailer: Mailer
    composer: Composer
    #: Approved reviews and their stars as pages show them (read at most once a second).
    reviews: ReviewBoard
    #: Product pictures (the print on a shirt of the chosen colour), cached on disk.
    mockups: Mockups | None = None
    mail_delivery: Delivery = "thread"
    #: Mailchimp campaigns (default: through ``mailing_list`` when that is Mailchimp).
    campaigns: MailchimpCampaigns | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def postman(self) -> Postman:
        return Postman(self.db, self.mailer, self.composer, self.mail_delivery)

    def erase_customer(self, customer_id: int, *, actor: str) -> privacy.Erasure:
        """Forget the person (:func:`storefront.operations.privacy.forget`), then what lives
        outside the database: the cached review pages and the mail folder's copies."""
        with self.db.session_scope(write=True) as session:
            erasure = privacy.forget(session, customer_id, actor=actor)
        self.reviews.expire()  # their reviews are gone: pages stop showing them now
        if erasure.email:
            self.mailer.forget(erasure.email)
        return erasure


def build_services(
    settings: Settings, *, database: Database | None = None, **overrides: Any
) -> Services:
    """Every service from ``settings``; a keyword argument replaces the one of that name."""
    unknown = set(overrides) - {f.name for f in fields(Services)}
    if unknown:
        raise TypeError(f"no such service: {', '.join(sorted(unknown))}")
    built: dict[str, Any] = dict(overrides)
    db = built.setdefault(
        "db", database or Database(settings.database_url, cipher=settings.field_cipher)
    )
    breakers = built.setdefault("breakers", breakers_from_settings(settings))
    if "content" not in built:
        built["content"] = build_content(settings, db, breakers("sanity"))
    if "catalog" not in built:
        built["catalog"] = Catalog(db, built["content"])
    if "gateways" not in built:
        built["gateways"] = Gateways.from_settings(settings, breakers)
    if "gelato" not in built:
        built["gelato"] = GelatoClient.from_settings(settings, breaker=breakers("gelato"))
    if "quotes" not in built:
        built["quotes"] = QuoteCache(built["gelato"])
    if "mailing_list" not in built:
        built["mailing_list"] = MailchimpProvider.from_settings(
            settings, breaker=breakers("mailchimp")
        )
    if "sanity_writer" not in built:
        built["sanity_writer"] = SanityClient.from_settings(
            settings, write=True, breaker=breakers("sanity")
        )
    if "mockups" not in built:
        content: ContentService = built["content"]
        built["mockups"] = Mockups(
            settings.data_dir / "mockups",
            # read ``public`` at call time: tests and tools may point it elsewhere
            lambda ref, width: content.public.download_image(ref, w=width, fm="png"),
        )
    built.setdefault("mailer", mailer_from_settings(settings))
    built.setdefault("reviews", ReviewBoard(db))
    catalog: Catalog = built["catalog"]
    built.setdefault(
        "composer", Composer(TEMPLATES, settings.mail_from, brand=lambda: catalog.site_settings())
    )
    return Services(settings=settings, **built)


def services(app: Flask | None = None) -> Services:
    """The services of ``app`` (default: the current app)."""
    found: Services = (app or current_app).extensions["services"]
    return found


def campaign_renderer(found: Services) -> CampaignRenderer:
    """Campaign e-mails priced from the catalog, with the shop's absolute links."""
    content = found.content
    return CampaignRenderer(
        base_url=found.settings.base_url,
        products=found.catalog.products_by_ids,
        image_url=lambda block: content.public.image_url(block, w=1120),
        brand=found.catalog.site_settings,
    )


def campaign_dispatcher(found: Services) -> Dispatcher:
    """The campaigns job's worker: Sanity (write token), Mailchimp, the renderer."""
    campaigns = found.campaigns
    if campaigns is None:
        provider = found.mailing_list
        if not isinstance(provider, MailchimpProvider):
            raise TypeError("newsletter campaigns need Mailchimp as the mailing list")
        campaigns = MailchimpCampaigns(provider)
    name, address = parseaddr(found.composer.sender())
    return Dispatcher(
        found.db,
        found.sanity_writer,
        campaigns,
        campaign_renderer(found).render,
        Sender(from_name=name or address, reply_to=address),
        lease=timedelta(seconds=found.settings.outbox_lease),
    )
