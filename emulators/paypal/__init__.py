"""Local emulator of PayPal REST (OAuth, Orders v2, Payments v2, signed webhooks)."""

from emulators.paypal.emulator import PayPalEmulator
from emulators.paypal.orders import PayPalApiError

__all__ = ["PayPalApiError", "PayPalEmulator"]
