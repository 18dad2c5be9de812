"""Local emulator of PayPal REST (OAuth, Orders v2, Payments v2, signed webhooks)."""

from storefront.emulators.paypal.emulator import PayPalEmulator
from storefront.emulators.paypal.orders import PayPalApiError

__all__ = ["PayPalApiError", "PayPalEmulator"]
