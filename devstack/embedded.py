"""The embedded default: every outside service emulated next to the shop, on one port.

``storefront dev`` mounts these WSGI apps under ``/_emulators/<service>`` and points the
shop's settings at them, so the real clients (the Stripe SDK, our httpx clients) talk to
them exactly as they would to the real services, and their signed webhooks come back to the
shop's real webhook endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cms_schema import DEMO_CATALOG
from contentlake.exports import import_export
from contentlake.webhooks import WebhookConfig
from devstack.lake import create_lake_app_from_settings, open_lake
from emulators.gelato import GelatoEmulator
from emulators.mailchimp import MailchimpEmulator
from emulators.paypal import PayPalEmulator
from emulators.stripe import StripeEmulator
from storefront.config import EMULATOR_PREFIXES, Settings
from storefront.gateways.signatures import cert_fingerprint


@dataclass
class Embedded:
    apps: dict[str, Any]  # prefix -> WSGI app

    def mounts(self) -> dict[str, Any]:
        return dict(self.apps)


def build_embedded(settings: Settings, *, served_at: str | None = None) -> Embedded:
    """The emulators for a shop at ``settings.base_url``; ``served_at`` is where they are
    served when not next to the shop (their public pages, e.g. Stripe's checkout page)."""

    shop = settings.base_url
    gelato_secret = settings.gelato_webhook_secret.get_secret_value()
    apps: dict[str, Any] = {
        EMULATOR_PREFIXES["stripe"]: StripeEmulator(
            webhook_url=f"{shop}/webhooks/stripe",
            webhook_secret=settings.stripe_webhook_secret.get_secret_value(),
            public_base_url=(served_at or settings.base_url) + EMULATOR_PREFIXES["stripe"],
        ),
        EMULATOR_PREFIXES["paypal"]: PayPalEmulator(
            client_id=settings.paypal_client_id,
            client_secret=settings.paypal_client_secret.get_secret_value(),
            webhook_url=f"{shop}/webhooks/paypal",
            webhook_id=settings.paypal_webhook_id,
            public_base_url=(served_at or settings.base_url) + EMULATOR_PREFIXES["paypal"],
        ),
        EMULATOR_PREFIXES["gelato"]: GelatoEmulator(
            api_key=settings.gelato_api_key.get_secret_value(),
            webhook_url=f"{shop}/webhooks/gelato/{gelato_secret}",
            webhook_header_name="signature",
            webhook_header_value=gelato_secret,
        ),
        EMULATOR_PREFIXES["mailchimp"]: MailchimpEmulator(
            api_key=settings.mailchimp_api_key.get_secret_value(),
            list_id=settings.mailchimp_list_id,
            webhook_url=f"{shop}/webhooks/mailchimp/"
            f"{settings.mailchimp_webhook_secret.get_secret_value()}",
        ),
    }
    apps[EMULATOR_PREFIXES["sanity"]] = build_lake(settings)
    return Embedded(apps)


def pin_paypal_emulator(settings: Settings, embedded: Embedded) -> Settings:
    """``settings`` trusting exactly the PayPal emulator's certificate for webhooks.

    Any local process could serve a certificate on 127.0.0.1, so the shop trusts no host
    there: it pins this emulator's certificate (made fresh at each start). Pointed at a
    real PayPal (``PAYPAL_API_BASE``), nothing is added.
    """
    emulator = embedded.apps.get(EMULATOR_PREFIXES["paypal"])
    if settings.paypal_api_base is not None or not isinstance(emulator, PayPalEmulator):
        return settings
    pins = [*settings.paypal_cert_pin_list, cert_fingerprint(emulator.signer.cert_pem)]
    return settings.model_copy(update={"paypal_cert_pins": ",".join(pins)})


def build_lake(settings: Settings) -> Any:
    """The local content lake, loaded with the demo catalog on first start, sending its
    publish webhook (signed like Sanity's) to the shop."""

    store, files = open_lake(settings)
    if len(store) == 0 and DEMO_CATALOG.exists():
        import_export(
            DEMO_CATALOG,
            store,
            files,
            project_id=settings.sanity_project_id,
            dataset=settings.sanity_dataset,
            cdn_base=settings.sanity_live_url,
        )
    store.close()
    hook = WebhookConfig(
        url=f"{settings.base_url}/webhooks/sanity",
        projection="{_id, _type}",
        secret=settings.sanity_webhook_secret.get_secret_value(),
        id="storefront-publish",
    )
    return create_lake_app_from_settings(settings, webhooks=[hook])
