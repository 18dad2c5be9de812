from __future__ import annotations

import pytest

from storefront.countries import in_sentence
from storefront.gelato.address import (
    AddressInvalid,
    ensure_valid,
    from_gelato,
    to_gelato,
    validate_address,
)
from tests.fulfillment.conftest import address


def fields_of(errors) -> list[str]:
    return [e.field for e in errors]


def test_a_complete_address_is_valid_and_normalized() -> None:
    valid = ensure_valid(address(country=" de ", city=" Berlin "))
    assert valid.country == "DE"
    assert valid.city == "Berlin"


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("first_name", 25),
        ("last_name", 25),
        ("address_line1", 35),
        ("address_line2", 35),
        ("city", 30),
        ("post_code", 15),
        ("phone", 25),
        ("company_name", 60),
    ],
)
def test_each_length_limit_is_enforced_at_the_boundary(field: str, limit: int) -> None:
    filler = "1" * limit if field in ("phone", "post_code") else "x" * limit
    assert validate_address(address(**{field: filler})) == []
    too_long = filler + ("1" if field in ("phone", "post_code") else "x")
    errors = validate_address(address(**{field: too_long}))
    assert fields_of(errors) == [field]
    assert f"at most {limit} characters" in errors[0].message
    assert f"yours has {limit + 1}" in errors[0].message


def test_uk_is_refused_with_a_hint_to_use_gb() -> None:
    errors = validate_address(address(country="uk", post_code="SW1A 1AA"))
    assert fields_of(errors) == ["country"]
    assert "GB" in errors[0].message


def test_country_must_be_two_letters() -> None:
    errors = validate_address(address(country="Germany"))
    assert fields_of(errors) == ["country"]
    assert "two-letter" in errors[0].message


@pytest.mark.parametrize("country", ["US", "CA", "AU"])
def test_state_is_required_for_us_ca_au(country: str) -> None:
    errors = validate_address(address(country=country))
    assert fields_of(errors) == ["state"]
    assert in_sentence(country) in errors[0].message  # "the United States", not "US"
    assert validate_address(address(country=country, state="NY")) == []


def test_state_is_limited_to_35_characters() -> None:
    errors = validate_address(address(country="IE", state="c" * 36))
    assert fields_of(errors) == ["state"]


def test_email_is_required_and_must_look_like_one() -> None:
    assert fields_of(validate_address(address(email=""))) == ["email"]
    errors = validate_address(address(email="not-an-email"))
    assert fields_of(errors) == ["email"]
    assert "valid e-mail" in errors[0].message


def test_phone_with_letters_is_refused() -> None:
    assert fields_of(validate_address(address(phone="call me maybe"))) == ["phone"]
    assert validate_address(address(phone="+49 (30) 123-456")) == []


def test_every_problem_is_reported_at_once() -> None:
    bad = address(first_name="", city="c" * 31, country="UK", email="")
    with pytest.raises(AddressInvalid) as caught:
        ensure_valid(bad)
    assert sorted(fields_of(caught.value.errors)) == ["city", "country", "email", "first_name"]
    assert "First name is required." in [e.message for e in caught.value.errors]


def test_blank_whitespace_counts_as_missing() -> None:
    assert fields_of(validate_address(address(last_name="   "))) == ["last_name"]


def test_gelato_json_round_trip_leaves_out_empty_optionals() -> None:
    body = to_gelato(address(address_line2="", phone="+4930123"))
    assert body == {
        "firstName": "Morticia",
        "lastName": "Adams",
        "addressLine1": "1 Cemetery Lane",
        "city": "Berlin",
        "postCode": "10115",
        "country": "DE",
        "email": "morticia@example.test",
        "phone": "+4930123",
    }
    assert from_gelato(body) == address(phone="+4930123")
