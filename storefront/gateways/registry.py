"""The shop's payment gateways, one per provider, found by the provider's name."""

from __future__ import annotations

from storefront.circuit import Breakers
from storefront.config import Settings
from storefront.gateways.paypal_gateway import PayPalGateway
from storefront.gateways.port import PaymentGateway
from storefront.gateways.stripe_gateway import StripeGateway


class UnknownProvider(LookupError):
    """No gateway is configured under that name."""


class Gateways:
    def __init__(self, stripe: PaymentGateway, paypal: PaymentGateway) -> None:
        self._by_name: dict[str, PaymentGateway] = {"stripe": stripe, "paypal": paypal}

    @classmethod
    def from_settings(cls, settings: Settings, breakers: Breakers) -> Gateways:
        return cls(
            StripeGateway.from_settings(settings, breaker=breakers("stripe")),
            PayPalGateway.from_settings(settings, breaker=breakers("paypal")),
        )

    def get(self, provider: str) -> PaymentGateway:
        try:
            return self._by_name[provider]
        except KeyError:
            raise UnknownProvider(f"Unknown payment provider {provider!r}.") from None

    @property
    def stripe(self) -> PaymentGateway:
        return self._by_name["stripe"]

    @property
    def paypal(self) -> PaymentGateway:
        return self._by_name["paypal"]
