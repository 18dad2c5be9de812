"""Countries: the ones we ship to, their names for people, and reading a name back.

Addresses store ISO 3166-1 alpha-2 codes (what Gelato and the payment providers want);
people see and type names. Names come from the CLDR data in Babel, so "Germany",
"germany", "Deutschland" and "DE" all read as ``DE``.
"""

from __future__ import annotations

import functools
import unicodedata

from babel import Locale

#: Where the shop delivers, in the order the checkout's list offers them.
SHIPPING_COUNTRIES: tuple[str, ...] = (
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


def shipping_choices() -> list[tuple[str, str]]:
    """``[(code, name), …]`` for the checkout and address forms."""
    return [(code, country_name(code)) for code in SHIPPING_COUNTRIES]


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


def ships_to(code: str) -> bool:
    return code in SHIPPING_COUNTRIES


def delivery_problem(value: str | None) -> str | None:
    """Why an address form's country is refused, for the shopper; ``None`` when we deliver
    there. (The API's stricter code check is :func:`storefront.gelato.address.country_problem`.)"""
    code = country_code(value)
    if not code:
        return "Please choose your country from the list."
    if not ships_to(code):
        return (
            f"We do not deliver to {country_name(code)} yet. Please choose a country from the list."
        )
    return None
