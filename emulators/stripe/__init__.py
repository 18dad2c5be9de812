"""Local emulator of the Stripe API (Checkout Sessions, PaymentIntents, refunds, events)."""

from emulators.stripe.emulator import StripeEmulator
from emulators.stripe.errors import StripeApiError
from emulators.stripe.events import sign_payload

__all__ = ["StripeApiError", "StripeEmulator", "sign_payload"]
