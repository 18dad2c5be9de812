"""Configuration: one typed setting per environment variable, validated at start-up.

Every setting has a safe default for the embedded mode (SQLite, the local content lake and
local emulators of every outside service, all served by ``storefront dev`` on one port).
Production (``STOREFRONT_ENV=production``) refuses development secrets and requires the
credentials of the real services; a bad value stops start-up with one line naming the
setting (see :func:`load_settings`).
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storefront.crypto import DEV_DATA_KEYS, KeyRing, KeyRingError
from storefront.fieldcrypt import FieldCipher
from storefront.vat import EU_STANDARD_RATES, SellerVat

DEV_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 - the known development value we refuse in production
DEV_PAYPAL_WEBHOOK_ID = "WH-LOCAL"
REPO_ROOT = Path(__file__).resolve().parent.parent

#: Path prefixes under which ``storefront dev`` mounts each emulator next to the shop.
EMULATOR_PREFIXES = {
    "sanity": "/_emulators/sanity",
    "stripe": "/_emulators/stripe",
    "paypal": "/_emulators/paypal",
    "gelato": "/_emulators/gelato",
    "mailchimp": "/_emulators/mailchimp",
}


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the environment variable."""


class Settings(BaseSettings):
    """All settings of the shop. Field name upper-cased = environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    # --- the process -----------------------------------------------------------------------
    storefront_env: Literal["development", "test", "production"] = Field(
        "development", description="development, test or production."
    )
    secret_key: SecretStr = Field(
        SecretStr(DEV_SECRET_KEY), description="Signs cookies, preview and order links."
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address of the shop, used in links and e-mails.",
    )
    database_url: str = Field(
        "sqlite:///var/storefront.db",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://… in production.",
    )
    redis_url: str | None = Field(
        None, description="Optional Redis for a shared content cache and rate limits."
    )
    proxy_hops: int = Field(
        0,
        ge=0,
        le=5,
        description="Reverse proxies in front of the app (their X-Forwarded-* are trusted).",
    )
    log_level: str = Field("INFO", description="Python logging level of the JSON logs.")
    data_dir: Path = Field(Path("var"), description="Folder for local files (lake, mail outbox).")

    # --- Sanity (content) -------------------------------------------------------------------
    sanity_project_id: str = Field("local", description="Sanity project id.")
    sanity_dataset: str = Field("production", description="Sanity dataset.")
    sanity_api_version: str = Field("v2025-02-19", description="Pinned Sanity API version.")
    sanity_api_url: str | None = Field(
        None,
        description="Live API base (default: https://<project>.api.sanity.io, or the local lake).",
    )
    sanity_cdn_url: str | None = Field(
        None, description="API CDN base for public reads (default: the apicdn host / local lake)."
    )
    sanity_read_token: SecretStr | None = Field(None, description="Token for drafts (preview).")
    sanity_write_token: SecretStr | None = Field(None, description="Token for mutations (sync).")
    sanity_webhook_secret: SecretStr = Field(
        SecretStr("dev-sanity-webhook-secret"), description="Secret of the publish webhook."
    )
    content_cache_ttl: float = Field(60.0, description="Seconds a cached GROQ result is fresh.")
    content_cache_stale: float = Field(
        300.0, description="Extra seconds a stale result may be served while it is refreshed."
    )

    shop_stock_region: str = Field(
        "EU", description="Gelato stock region whose availability decides what is for sale."
    )

    # --- Stripe ------------------------------------------------------------------------------
    stripe_api_key: SecretStr = Field(SecretStr("sk_test_local"), description="Stripe secret key.")
    stripe_webhook_secret: SecretStr = Field(
        SecretStr("whsec_local"), description="Signing secret of the Stripe webhook endpoint."
    )
    stripe_api_base: str | None = Field(
        None, description="Stripe API base (default: https://api.stripe.com or the emulator)."
    )

    # --- PayPal ------------------------------------------------------------------------------
    paypal_client_id: str = Field("local-client", description="PayPal REST client id.")
    paypal_client_secret: SecretStr = Field(
        SecretStr("local-secret"), description="PayPal REST secret."
    )
    paypal_api_base: str | None = Field(
        None, description="PayPal REST base (default: https://api-m.paypal.com or the emulator)."
    )
    paypal_webhook_id: str = Field(DEV_PAYPAL_WEBHOOK_ID, description="Id of our PayPal webhook.")
    paypal_cert_hosts: str = Field(
        "paypal.com",
        description="Hosts (and subdomains) PayPal webhook certs may come from, comma-separated.",
    )
    paypal_cert_pins: str = Field(
        "",
        description=(
            "SHA-256 fingerprints of the only certificates PayPal webhooks may be signed with, "
            "comma-separated; `storefront dev` pins its emulator's. A cert served from "
            "127.0.0.1 is never trusted without one."
        ),
    )

    # --- Gelato --------------------------------------------------------------------------------
    gelato_api_key: SecretStr = Field(SecretStr("gelato-local-key"), description="Gelato API key.")
    gelato_api_base: str | None = Field(
        None, description="Base for Gelato's order/product/shipment hosts (default: the emulator)."
    )
    gelato_webhook_secret: SecretStr = Field(
        SecretStr("dev-gelato-webhook-secret"),
        description="Secret in the Gelato webhook path and header.",
    )
    gelato_order_type: Literal["order", "draft"] = Field(
        "draft", description="Gelato orderType; `order` prints for real."
    )

    # --- Mailchimp ---------------------------------------------------------------------------
    mailchimp_api_key: SecretStr = Field(
        SecretStr("local-key-us1"), description="Mailchimp API key (…-<dc>)."
    )
    mailchimp_list_id: str = Field("local-list", description="Mailchimp audience id.")
    mailchimp_api_base: str | None = Field(
        None, description="Mailchimp API base (default: https://<dc>.api.mailchimp.com/3.0)."
    )
    mailchimp_webhook_secret: SecretStr = Field(
        SecretStr("dev-mailchimp-webhook-secret"), description="Secret in the audience webhook URL."
    )

    # --- e-mail ---------------------------------------------------------------------------------
    smtp_url: str | None = Field(
        None, description="smtp://user:pass@host:port; unset = write mails to the local outbox."
    )
    mail_from: str = Field(
        "Grim Cotton <shop@grimcotton.example>",
        description="Sender of shop e-mails (the name is replaced by siteSettings' sender name).",
    )

    # --- invoices -------------------------------------------------------------------------------
    seller_name: str = Field("Grim Cotton", description="Seller's legal name on invoices.")
    seller_address: str = Field(
        "Grim Cotton GmbH, Kastanienallee 1, 10435 Berlin, Germany",
        description="Seller's address on invoices (commas start new lines).",
    )
    seller_vat_id: str | None = Field(
        None, description="Seller's VAT id, on invoices and with VAT figures."
    )

    # --- sync process (seconds) ------------------------------------------------------------
    sync_lease_ttl: float = Field(
        30.0,
        gt=0,
        description="Seconds a sync process's lease lasts; it is renewed every third of that.",
    )
    sync_inventory_interval: float = Field(900.0, description="Inventory reconcile interval.")
    sync_newsletter_interval: float = Field(600.0, description="Newsletter reconcile interval.")
    sync_payments_interval: float = Field(300.0, description="Payment reconciliation interval.")
    sync_outbox_interval: float = Field(15.0, description="Outbox (Gelato push, e-mail) interval.")
    sync_fulfillment_interval: float = Field(
        600.0, description="Gelato status backstop (polling) interval."
    )
    sync_reservations_interval: float = Field(60.0, description="Reservation expiry interval.")
    sync_requests_interval: float = Field(
        5.0, gt=0, description="How often the sync process looks for jobs an operator asked for."
    )
    sync_content_sweep_interval: float = Field(
        60.0, description="Cache sweep for publish webhooks that never arrived."
    )
    sync_campaigns_interval: float = Field(
        60.0,
        gt=0,
        description="Newsletter campaigns: send approved ones, read status and reports back.",
    )
    review_invite_delay_days: int = Field(
        7,
        ge=0,
        le=365,
        description="Days after delivery before a consenting buyer is asked for a review.",
    )
    sync_review_invites_interval: float = Field(
        3600.0, gt=0, description="How often delivered orders are checked for review invites."
    )
    circuit_failure_threshold: int = Field(
        5,
        ge=1,
        le=100,
        description="Consecutive failed calls after which an outside service is not called.",
    )
    circuit_cooldown: float = Field(
        30.0, gt=0, le=3600, description="Seconds before a broken service is tried again."
    )
    payment_grace_minutes: float = Field(
        30.0, description="Minutes before an unpaid order is asked about at the provider."
    )

    # --- personal data at rest, backups, claimed work, error reporting ----------------------
    data_keys: SecretStr | None = Field(
        None,
        description="Data keys, newest first: id:base64-of-32-bytes,…; required in production.",
    )
    staff_2fa_required: bool | None = Field(
        None,
        description="Operators and admins must log in with a second factor (TOTP) "
        "(default: on in production, off otherwise).",
    )
    outbox_lease: float = Field(
        45.0,
        gt=0,
        le=3600,
        description="Seconds a worker's claim on outbox work lasts unless its heartbeat renews it.",
    )
    backup_url: str | None = Field(
        None, description="Where backups go: a folder or s3://bucket/prefix (DATA_DIR/backups)."
    )
    backup_s3_endpoint_url: str | None = Field(
        None, description="Endpoint of S3-compatible storage (default: AWS S3)."
    )
    backup_content: Literal["sanity", "lake", "none"] | None = Field(
        None,
        description="Content to back up: the Sanity API, the local lake file, or none "
        "(default: sanity in production or with SANITY_API_URL, else lake).",
    )
    sync_backup_interval: float = Field(
        3600.0, gt=0, description="Seconds between backups: the most that can be lost."
    )
    backup_max_age: float | None = Field(
        None, gt=0, description="Alert when the last good backup is older (default 3 intervals)."
    )
    backup_keep_last: int = Field(24, ge=1, description="Newest backups always kept.")
    backup_keep_daily: int = Field(7, ge=0, description="Days for which the last backup is kept.")
    backup_keep_weekly: int = Field(4, ge=0, description="Weeks for which one backup is kept.")
    backup_keep_monthly: int = Field(6, ge=0, description="Months for which one backup is kept.")
    sentry_dsn: SecretStr | None = Field(
        None, description="Sentry DSN: unhandled errors, failed jobs and parked work go there."
    )
    sentry_environment: str | None = Field(
        None, description="Sentry environment tag (default: STOREFRONT_ENV)."
    )
    sentry_release: str | None = Field(
        None, description="Sentry release tag (default: storefront@<package version>)."
    )

    # --- VAT ---------------------------------------------------------------------------------
    seller_country: str = Field(
        "DE", description="EU member state the seller is established in (ISO 3166-1 alpha-2)."
    )
    vat_oss: bool = Field(
        True, description="The seller declares EU sales through the one-stop shop (OSS)."
    )

    # ----------------------------------------------------------------------------------------
    @field_validator("seller_country")
    @classmethod
    def _seller_country(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in EU_STANDARD_RATES:
            raise ValueError(f"{value!r} is not an EU member state (two letters, e.g. DE)")
        return code

    @field_validator("seller_vat_id")
    @classmethod
    def _seller_vat_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        vat_id = value.replace(" ", "").upper()
        if vat_id and not re.fullmatch(r"(?:[A-Z]{2}|EL)[0-9A-Z+*]{2,13}", vat_id):
            raise ValueError("a VAT id starts with the country's two letters, e.g. DE123456789")
        return vat_id

    @field_validator(
        "base_url",
        "sanity_api_url",
        "sanity_cdn_url",
        "stripe_api_base",
        "paypal_api_base",
        "gelato_api_base",
        "mailchimp_api_base",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://shop.example")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("data_keys")
    @classmethod
    def _data_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                KeyRing.parse(value.get_secret_value())
            except KeyRingError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("backup_url")
    @classmethod
    def _backup_url(cls, value: str | None) -> str | None:
        if value is None or not value.startswith("s3:"):
            return value
        parts = urlsplit(value)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("an S3 location is s3://bucket or s3://bucket/prefix")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _backup_rules(self) -> Settings:
        if self.backup_max_age is not None and self.backup_max_age <= self.sync_backup_interval:
            raise ValueError(
                "BACKUP_MAX_AGE: must be longer than SYNC_BACKUP_INTERVAL "
                f"({self.sync_backup_interval:g} s), or every backup would alert"
            )
        return self

    @field_validator("paypal_cert_pins")
    @classmethod
    def _pins(cls, value: str) -> str:
        pins = [p.strip().replace(":", "").lower() for p in value.split(",") if p.strip()]
        for pin in pins:
            if len(pin) != 64 or any(c not in "0123456789abcdef" for c in pin):
                raise ValueError("each pin must be a certificate's SHA-256 (64 hex digits)")
        return ",".join(pins)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return value

    @model_validator(mode="after")
    def _production_rules(self) -> Settings:
        if self.storefront_env != "production":
            return self
        if (
            self.secret_key.get_secret_value() == DEV_SECRET_KEY
            or len(self.secret_key.get_secret_value()) < 32
        ):
            raise ValueError("SECRET_KEY: set a random value of 32+ characters for production")
        if not self.base_url.startswith("https://"):
            raise ValueError("BASE_URL: production must be served over https://")
        for name in (
            "stripe_api_key",
            "stripe_webhook_secret",
            "paypal_client_secret",
            "gelato_api_key",
            "mailchimp_api_key",
            "sanity_webhook_secret",
            "gelato_webhook_secret",
            "mailchimp_webhook_secret",
        ):
            secret = getattr(self, name).get_secret_value()
            if secret == type(self).model_fields[name].default.get_secret_value():
                raise ValueError(f"{name.upper()}: set the real credential for production")
        if self.paypal_webhook_id == DEV_PAYPAL_WEBHOOK_ID:
            raise ValueError("PAYPAL_WEBHOOK_ID: set the id of your PayPal webhook for production")
        if self.sanity_project_id == "local":
            raise ValueError("SANITY_PROJECT_ID: set your Sanity project id for production")
        if self.smtp_url is None:
            raise ValueError("SMTP_URL: production needs an SMTP server for order e-mails")
        if self.data_keys is None or self.data_keys.get_secret_value() == DEV_DATA_KEYS:
            raise ValueError(
                "DATA_KEYS: production needs keys of its own (id:base64 of 32 random bytes, "
                "newest first); they encrypt backups and personal data"
            )
        return self

    # --- derived addresses -------------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.storefront_env == "production"

    def emulator_url(self, service: str) -> str:
        """Where ``storefront dev`` serves the emulator of ``service`` (next to the shop)."""
        return self.base_url + EMULATOR_PREFIXES[service]

    @cached_property
    def sanity_live_url(self) -> str:
        if self.sanity_api_url:
            return self.sanity_api_url
        if self.is_production:
            return f"https://{self.sanity_project_id}.api.sanity.io"
        return self.emulator_url("sanity")

    @cached_property
    def sanity_public_url(self) -> str:
        if self.sanity_cdn_url:
            return self.sanity_cdn_url
        if self.is_production:
            return f"https://{self.sanity_project_id}.apicdn.sanity.io"
        return self.sanity_live_url

    @cached_property
    def stripe_base(self) -> str:
        return self.stripe_api_base or (
            "https://api.stripe.com" if self.is_production else self.emulator_url("stripe")
        )

    @cached_property
    def paypal_base(self) -> str:
        return self.paypal_api_base or (
            "https://api-m.paypal.com" if self.is_production else self.emulator_url("paypal")
        )

    @cached_property
    def gelato_base(self) -> str | None:
        """``None`` in production means Gelato's own three hosts."""
        if self.gelato_api_base:
            return self.gelato_api_base
        return None if self.is_production else self.emulator_url("gelato")

    @cached_property
    def mailchimp_base(self) -> str:
        if self.mailchimp_api_base:
            return self.mailchimp_api_base
        if self.is_production:
            dc = self.mailchimp_api_key.get_secret_value().rsplit("-", 1)[-1]
            return f"https://{dc}.api.mailchimp.com/3.0"
        return self.emulator_url("mailchimp") + "/3.0"

    @property
    def paypal_cert_host_list(self) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in self.paypal_cert_hosts.split(",") if h.strip())

    @property
    def staff_second_factor_required(self) -> bool:
        """``STAFF_2FA_REQUIRED``, or on exactly in production."""
        return self.is_production if self.staff_2fa_required is None else self.staff_2fa_required

    @cached_property
    def data_key_ring(self) -> KeyRing:
        """``DATA_KEYS``, or the well-known development ring outside production."""
        text = self.data_keys.get_secret_value() if self.data_keys else DEV_DATA_KEYS
        return KeyRing.parse(text)

    @cached_property
    def field_cipher(self) -> FieldCipher:
        """What seals personal data in the database: the keys of :attr:`data_key_ring`."""
        return FieldCipher(self.data_key_ring)

    @property
    def backup_location(self) -> str:
        """A folder path or ``s3://bucket/prefix``."""
        return self.backup_url or str(self.data_dir / "backups")

    @property
    def backup_content_source(self) -> Literal["sanity", "lake", "none"]:
        if self.backup_content is not None:
            return self.backup_content
        return "sanity" if self.is_production or self.sanity_api_url else "lake"

    @property
    def backup_max_age_seconds(self) -> float:
        return self.backup_max_age or 3 * self.sync_backup_interval

    @property
    def paypal_cert_pin_list(self) -> tuple[str, ...]:
        return tuple(p for p in self.paypal_cert_pins.split(",") if p)

    @property
    def seller_vat(self) -> SellerVat:
        return SellerVat(self.seller_country, self.seller_vat_id or "", self.vat_oss)

    @property
    def lake_path(self) -> Path:
        return self.data_dir / "lake.sqlite3"

    @property
    def mail_outbox_dir(self) -> Path:
        return self.data_dir / "mail"


def describe_validation_error(exc: ValidationError) -> str:
    """One line naming the first bad setting as its environment variable."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if loc:
        return f"{loc.upper()}: {message}"
    return message


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment and ``.env``; a bad one raises :class:`ConfigError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
