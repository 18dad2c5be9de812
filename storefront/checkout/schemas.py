"""The checkout form (and API body): contact, address, shipping method, provider."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from storefront.countries import country_code, country_name, ships_to
from storefront.gelato.address import ShippingAddress, validate_address


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
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2 code")
    phone: str = ""
    shipping_method: str = "normal"
    provider: Literal["stripe", "paypal"] = "stripe"
    checkout_key: str = Field(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

    @field_validator("country", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        """The form's list sends codes; a typed name ("Germany") reads as its code."""
        if not isinstance(value, str) or not value.strip():
            return value
        code = country_code(value)
        if not code:
            raise ValueError("Please choose your country from the list.")
        return code

    def address_errors(self) -> dict[str, str]:
        """Gelato's limits (field lengths, state for US/CA/AU, GB not UK), and a country we
        deliver to, per field."""
        errors: dict[str, str] = {}
        for problem in validate_address(self.address()):
            errors.setdefault(problem.field, problem.message)
        if "country" not in errors and not ships_to(self.country):
            errors["country"] = (
                f"We do not deliver to {country_name(self.country)} yet. "
                "Please choose a country from the list."
            )
        return errors

    @staticmethod
    def limits_errors(data: dict[str, str]) -> dict[str, str]:
        """Gelato's length limits on a form that did not validate, so every field's problem
        shows at once (not the lengths only after the rest is fixed)."""
        fields = ShippingAddress.__dataclass_fields__
        raw = ShippingAddress(
            **{name: str(data.get(name) or "") for name in fields if name != "country"},
            country="DE",  # the country has its own message
        )
        return {p.field: p.message for p in validate_address(raw) if "at most" in p.message}

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
