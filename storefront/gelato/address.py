"""Gelato's shipping-address limits: the one module checkout and fulfillment both import.

Gelato refuses an order whose address breaks these limits, and by then the shopper has paid
and left, so checkout validates with :func:`validate_address` while the shopper can still
fix the form. Messages are written for the shopper, keyed by our field names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from storefront.countries import in_sentence

#: Maximum lengths (characters) Gelato accepts, by our field name.
MAX_LENGTHS: dict[str, int] = {
    "first_name": 25,
    "last_name": 25,
    "company_name": 60,
    "address_line1": 35,
    "address_line2": 35,
    "city": 30,
    "post_code": 15,
    "state": 35,
    "phone": 25,
}

#: Countries for which Gelato needs a state/province code.
STATE_REQUIRED_COUNTRIES = frozenset({"US", "CA", "AU"})

REQUIRED = ("first_name", "last_name", "address_line1", "city", "post_code", "country", "email")

#: Our field name → Gelato's JSON name.
GELATO_NAMES: dict[str, str] = {
    "first_name": "firstName",
    "last_name": "lastName",
    "company_name": "companyName",
    "address_line1": "addressLine1",
    "address_line2": "addressLine2",
    "city": "city",
    "post_code": "postCode",
    "state": "state",
    "country": "country",
    "email": "email",
    "phone": "phone",
}

LABELS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "company_name": "Company",
    "address_line1": "Address",
    "address_line2": "Address line 2",
    "city": "City",
    "post_code": "Postcode",
    "state": "State / province",
    "country": "Country",
    "email": "E-mail",
    "phone": "Phone",
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().\-/]+$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")  # ASCII only: "ß".upper() is "SS"

#: Every country value :func:`country_problem` accepts, as a JSON Schema pattern: two
#: letters of an ISO 3166-1 code in either case, but not UK (the United Kingdom is GB).
COUNTRY_PATTERN = r"^(?![Uu][Kk]$)[A-Za-z]{2}$"


def country_problem(value: str) -> str | None:
    """Why a country value is refused, for the shopper; ``None`` when it is fine."""
    if value.upper() == "UK":
        return "Use GB (not UK) for the United Kingdom."
    if not _COUNTRY.match(value):
        return "Country must be a two-letter ISO code, like DE or US."
    return None


@dataclass(frozen=True)
class ShippingAddress:
    """A delivery address in our names; :func:`to_gelato` produces Gelato's JSON."""

    first_name: str
    last_name: str
    address_line1: str
    city: str
    post_code: str
    country: str
    email: str
    address_line2: str = ""
    state: str = ""
    company_name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class AddressInvalid(ValueError):
    """Raised by :func:`ensure_valid`; ``errors`` lists every problem, not only the first."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


def normalized(address: ShippingAddress) -> ShippingAddress:
    """Strip whitespace and upper-case country/state, the forms Gelato expects."""
    values = {f.name: (getattr(address, f.name) or "").strip() for f in fields(address)}
    values["country"] = values["country"].upper()
    values["state"] = values["state"].upper() if len(values["state"]) <= 3 else values["state"]
    return ShippingAddress(**values)


def length_problems(values: Mapping[str, Any]) -> list[FieldError]:
    """The fields longer than Gelato takes (``values`` by our field names, e.g. a form)."""
    errors = []
    for name, limit in MAX_LENGTHS.items():
        value = str(values.get(name) or "").strip()
        if len(value) > limit:
            errors.append(
                FieldError(
                    name,
                    f"{LABELS[name]} can be at most {limit} characters "
                    f"(yours has {len(value)}). Please shorten it.",
                )
            )
    return errors


def validate_address(address: ShippingAddress) -> list[FieldError]:
    """Every problem Gelato would refuse, as shopper-readable messages (empty = valid)."""
    a = normalized(address)
    errors: list[FieldError] = []
    for name in REQUIRED:
        if not getattr(a, name):
            errors.append(FieldError(name, f"{LABELS[name]} is required."))
    errors.extend(length_problems({f.name: getattr(a, f.name) for f in fields(a)}))
    problem = country_problem(a.country) if a.country else None
    if problem:
        errors.append(FieldError("country", problem))
    if a.country in STATE_REQUIRED_COUNTRIES and not a.state:
        errors.append(
            FieldError(
                "state", f"{LABELS['state']} is required for addresses in {in_sentence(a.country)}."
            )
        )
    if a.email and not _EMAIL.match(a.email):
        errors.append(FieldError("email", "Please enter a valid e-mail address."))
    if a.phone and not _PHONE.match(a.phone):
        errors.append(
            FieldError("phone", "Phone may contain only digits, spaces, + ( ) - . and /.")
        )
    return errors


def ensure_valid(address: ShippingAddress) -> ShippingAddress:
    """The normalized address, or :class:`AddressInvalid` with every field error."""
    errors = validate_address(address)
    if errors:
        raise AddressInvalid(errors)
    return normalized(address)


def to_gelato(address: ShippingAddress) -> dict[str, Any]:
    """Gelato's ``shippingAddress``/``recipient`` object; empty optional fields are left out."""
    a = normalized(address)
    body: dict[str, Any] = {}
    for name, gelato_name in GELATO_NAMES.items():
        value = getattr(a, name)
        if value or name in REQUIRED:
            body[gelato_name] = value
    return body


def from_gelato(data: dict[str, Any]) -> ShippingAddress:
    """Read Gelato's address JSON (missing keys become empty strings)."""
    return ShippingAddress(
        **{name: str(data.get(gelato_name) or "") for name, gelato_name in GELATO_NAMES.items()}
    )
