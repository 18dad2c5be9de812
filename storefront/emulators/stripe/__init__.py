"""Local emulator of the Stripe API (Checkout Sessions, PaymentIntents, refunds, events)."""

from storefront.emulators.stripe.emulator import StripeApiError, StripeEmulator, sign_payload

__all__ = ["StripeApiError", "StripeEmulator", "sign_payload"]
