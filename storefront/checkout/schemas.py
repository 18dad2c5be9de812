"""The checkout form (and API body): contact, address, shipping method, provider."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from storefront.countries import CHOOSE_FROM_LIST, country_code, delivery_problem
from storefront.gelato.address import ShippingAddress, length_problems, validate_address


class CheckoutDetails(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    email: EmailStr
    first_name: str = Field(min_length=1)
    last_name: str = Field(min_length=1)
    address_line1: str = Field(min_length=1)
    address_line2: str = ""
    city: str = Field(min_length=1)
    post_code: str = Field(min_length=1)
    state: str = ""
    country: str = Field(min_length=2, max_length=2)
    phone: str = ""
    shipping_method: str = "normal"
    provider: Literal["stripe", "paypal"] = "stripe"
    checkout_key: str = Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    review_invites: bool = Field(
        False, description="May we e-mail once, some days after delivery, to ask for a review?"
    )
    #: Optional; a code that does not apply is reported and the checkout goes on without it.
    discount_code: str = Field("", max_length=64)

    @field_validator("country", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        """The form's list sends codes; a typed name ("Germany") reads as its code."""
        if not isinstance(value, str) or not value.strip():
            return value
        code = country_code(value)
        if not code:
            raise ValueError(CHOOSE_FROM_LIST)
        return code

    def address_errors(self) -> dict[str, str]:
        """Gelato's limits (field lengths, state for US/CA/AU, GB not UK), per field."""
        errors: dict[str, str] = {}
        for problem in validate_address(self.address()):
            errors.setdefault(problem.field, problem.message)
        return errors

    def form_errors(self, ships_to: Collection[str]) -> dict[str, str]:
        """The checkout form's checks: the address's, and a country from the form's list,
        ``ships_to`` (the API takes any code its document's pattern allows, and its market
        check says where the shop ships)."""
        errors = self.address_errors()
        country = delivery_problem(self.country, ships_to)
        if country and "country" not in errors:
            errors["country"] = country
        return errors

    @staticmethod
    def limits_errors(data: dict[str, str]) -> dict[str, str]:
        """Gelato's length limits on a form that did not validate, so every field's problem
        shows at once (not the lengths only after the rest is fixed)."""
        return {p.field: p.message for p in length_problems(data)}

    def address(self) -> ShippingAddress:
        return ShippingAddress(
            first_name=self.first_name,
            last_name=self.last_name,
            address_line1=self.address_line1,
            address_line2=self.address_line2,
            city=self.city,
            post_code=self.post_code,
            state=self.state,
            country=self.country,
            email=str(self.email),
            phone=self.phone,
        )
