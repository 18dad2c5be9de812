"""Countries: their names for people, reading a name back, and the shipping-country list.

Where the shop ships is decided by the markets in the content (each lists its countries; see
:mod:`storefront.catalog.markets`); the web layer asks them and passes the codes in here.

Addresses store ISO 3166-1 alpha-2 codes (what Gelato and the payment providers want);
people see and type names. Names come from the CLDR data in Babel, so "Germany",
"germany", "Deutschland" and "DE" all read as ``DE``.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Collection, Iterable

from babel import Locale

#: Where the shop delivers when the content names no market (an older dataset, which sells
#: everywhere in one implicit market): the countries the forms offer then.
FALLBACK_SHIPPING_COUNTRIES: tuple[str, ...] = (
    "DE",
    "AT",
    "NL",
    "FR",
    "BE",
    "ES",
    "IT",
    "SE",
    "DK",
    "IE",
    "GB",
    "US",
    "CA",
    "AU",
)

#: Languages whose country names we also read back (a shopper types in their own).
_READ_LOCALES = ("en", "de", "fr", "nl", "es", "it", "sv", "da")


@functools.cache
def _names(locale: str) -> dict[str, str]:
    return {
        code: name
        for code, name in Locale.parse(locale).territories.items()
        if len(code) == 2 and code.isalpha()
    }


def country_name(code: str | None) -> str:
    """``"DE"`` → ``"Germany"``; an unknown code comes back as it was."""
    value = (code or "").strip()
    return _names("en").get(value.upper(), value)


#: Names that take "the" inside a sentence ("printed in the United Kingdom").
_WITH_ARTICLE = frozenset({"GB", "US", "NL", "AE", "PH", "DO", "BS", "GM"})


def in_sentence(code: str | None) -> str:
    """The name as it reads mid-sentence: ``"GB"`` → ``"the United Kingdom"``."""
    name = country_name(code)
    return f"the {name}" if (code or "").strip().upper() in _WITH_ARTICLE else name


def shipping_choices(codes: Iterable[str]) -> list[tuple[str, str]]:
    """``[(code, name), …]`` of the countries ``codes``, by name, for the forms' lists."""
    return sorted(((code, country_name(code)) for code in set(codes)), key=lambda c: c[1])


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


@functools.cache
def _by_name() -> dict[str, str]:
    found: dict[str, str] = {}
    for locale in reversed(_READ_LOCALES):  # English wins a clash
        for code, name in _names(locale).items():
            found[_fold(name)] = code
    found.update({"uk": "GB", "usa": "US", "greatbritain": "GB", "england": "GB"})
    return found


def country_code(value: str | None) -> str:
    """What a person typed (a name or a code) as an ISO code; ``""`` when it is neither."""
    text = (value or "").strip()
    if text[:4].casefold() == "the ":
        text = text[4:]
    if len(text) == 2 and text.isascii() and text.upper() in _names("en"):
        return text.upper()
    return _by_name().get(_fold(text), "") if text else ""


#: What a shopper reads when the country field holds no country at all.
CHOOSE_FROM_LIST = "Please choose your country from the list."


def delivery_problem(value: str | None, ships_to: Collection[str]) -> str | None:
    """Why an address form's country is refused, for the shopper; ``None`` when it is one of
    ``ships_to``. (The API's stricter code check is
    :func:`storefront.gelato.address.country_problem`.)"""
    code = country_code(value)
    if not code:
        return CHOOSE_FROM_LIST
    if code not in ships_to:
        return (
            f"We do not deliver to {country_name(code)} yet. Please choose a country from the list."
        )
    return None
