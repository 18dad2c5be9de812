"""Gelato's documented ``shippingAddress`` rules, as the emulator enforces them.

Written from Gelato's order API reference (v4 ``POST /v4/orders``, ``shippingAddress``):
``firstName``/``lastName`` ≤ 25 characters, ``companyName`` ≤ 60, ``addressLine1``/``2`` ≤ 35,
``city`` ≤ 30, ``postCode`` ≤ 15, ``state`` ≤ 35 and required for US, CA and AU, ``country``
an ISO 3166-1 alpha-2 code (``GB``, never ``UK``), ``email`` required, ``phone`` ≤ 25.

Deliberately its own code, in Gelato's field names: the shop validates addresses at
checkout with its own module, and the emulator must be able to disagree with it.
"""

from __future__ import annotations

from typing import Any

LIMITS = {
    "firstName": 25,
    "lastName": 25,
    "companyName": 60,
    "addressLine1": 35,
    "addressLine2": 35,
    "city": 30,
    "postCode": 15,
    "state": 35,
    "phone": 25,
}
REQUIRED = ("firstName", "lastName", "addressLine1", "city", "postCode", "country", "email")
STATE_COUNTRIES = ("US", "CA", "AU")


def address_problems(address: dict[str, Any]) -> list[tuple[str, str]]:
    """``(field, message)`` for every rule ``address`` breaks; empty when Gelato takes it."""
    problems: list[tuple[str, str]] = []

    def text(name: str) -> str:
        value = address.get(name)
        return value.strip() if isinstance(value, str) else ""

    for name in REQUIRED:
        if not text(name):
            problems.append((name, f"{name} is required"))
    for name, limit in LIMITS.items():
        if len(text(name)) > limit:
            problems.append((name, f"{name} must be at most {limit} characters"))
    country = text("country")
    if country and not (len(country) == 2 and country.isascii() and country.isupper()):
        problems.append(("country", "country must be an ISO 3166-1 alpha-2 code"))
    elif country == "UK":
        problems.append(("country", "country UK is not valid; use GB"))
    if country in STATE_COUNTRIES and not text("state"):
        problems.append(("state", f"state is required for {country}"))
    email = text("email")
    if email and ("@" not in email or "." not in email.rsplit("@", 1)[-1]):
        problems.append(("email", "email is not a valid e-mail address"))
    return problems
