"""Local emulator of the Stripe API (Checkout Sessions, PaymentIntents, refunds, events)."""

from storefront.emulators.stripe.emulator import StripeEmulator
from storefront.emulators.stripe.errors import StripeApiError
from storefront.emulators.stripe.events import sign_payload

__all__ = ["StripeApiError", "StripeEmulator", "sign_payload"]
