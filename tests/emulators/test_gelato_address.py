"""Gelato's address rules, one table of cases, two independent implementations: the shop's
checkout validator and the Gelato emulator's. They must agree on every case, so a mistake
in either (a limit off by one, a country rule forgotten) fails here instead of in
production."""

from __future__ import annotations

from typing import Any

import pytest

from emulators.gelato.address import address_problems
from storefront.gelato.address import GELATO_NAMES, from_gelato, validate_address

GOOD = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "addressLine1": "Kastanienallee 1",
    "city": "Berlin",
    "postCode": "10435",
    "country": "DE",
    "email": "ada@example.com",
}

# (changes to GOOD, the Gelato field that must be refused, or None when it is valid)
CASES: list[tuple[dict[str, Any], str | None]] = [
    ({}, None),
    ({"firstName": "A" * 25}, None),
    ({"firstName": "A" * 26}, "firstName"),
    ({"lastName": "L" * 26}, "lastName"),
    ({"addressLine1": "x" * 35}, None),
    ({"addressLine1": "x" * 36}, "addressLine1"),
    ({"addressLine2": "x" * 36}, "addressLine2"),
    ({"city": "c" * 30}, None),
    ({"city": "c" * 31}, "city"),
    ({"postCode": "1" * 16}, "postCode"),
    ({"companyName": "c" * 61}, "companyName"),
    ({"phone": "+49 " + "1" * 22}, "phone"),
    ({"country": "US", "state": "CA"}, None),
    ({"country": "US"}, "state"),
    ({"country": "CA"}, "state"),
    ({"country": "AU"}, "state"),
    ({"country": "GB"}, None),
    ({"country": "UK"}, "country"),
    ({"country": "Germany"}, "country"),
    ({"email": ""}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"city": ""}, "city"),
    ({"postCode": ""}, "postCode"),
]


@pytest.mark.parametrize(("changes", "refused"), CASES)
def test_shop_and_emulator_agree(changes: dict[str, Any], refused: str | None) -> None:
    address = {**GOOD, **changes}
    emulator = {name for name, _ in address_problems(address)}
    shop = {error.field for error in validate_address(from_gelato(address))}
    shop_as_gelato = {GELATO_NAMES[field] for field in shop}
    expected = set() if refused is None else {refused}
    assert emulator == expected
    assert shop_as_gelato == expected
