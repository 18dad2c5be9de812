"""A new discount code as operators describe it (the dashboard form and the JSON API)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from storefront.discounts.rules import CODE_PATTERN
from storefront.money import CurrencyError, exponent

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,95}$")]


def _known_currencies(amounts: dict[str, int]) -> dict[str, int]:
    for currency in amounts:
        try:
            exponent(currency)
        except CurrencyError as exc:
            raise ValueError(str(exc)) from exc
    return amounts


PerCurrency = Annotated[
    dict[Currency, Annotated[int, Field(ge=0, le=10_000_000)]],
    AfterValidator(_known_currencies),
]


class DiscountIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Annotated[str, StringConstraints(pattern=CODE_PATTERN)] = Field(
        description="What shoppers type: 3-32 capitals, digits, - or _ (e.g. SUMMER-10)."
    )
    kind: Literal["percent", "fixed", "free_shipping"]
    percent: int | None = Field(None, ge=1, le=100, description="For kind=percent: 1-100.")
    amounts: PerCurrency = Field(
        default_factory=dict,
        description='For kind=fixed: minor units per currency, e.g. {"EUR": 500}.',
    )
    min_subtotal: PerCurrency = Field(
        default_factory=dict,
        description="Least subtotal per currency (minor units); other currencies cannot use it.",
    )
    collections: list[Slug] = Field(
        default_factory=list, max_length=50, description="Collection slugs; empty: everything."
    )
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = Field(None, ge=1, le=10_000_000)
    max_uses_per_customer: int | None = Field(None, ge=1, le=1000)

    @field_validator("code", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2027-01-31T23:59:00Z")
        return value.astimezone(UTC) if value is not None else None

    @model_validator(mode="after")
    def _consistent(self) -> DiscountIn:
        if self.kind == "percent" and self.percent is None:
            raise ValueError("a percent code needs percent (1-100)")
        if self.kind != "percent" and self.percent is not None:
            raise ValueError("percent is only for kind=percent")
        if self.kind == "fixed" and not any(self.amounts.values()):
            raise ValueError('a fixed code needs amounts per currency, e.g. {"EUR": 500}')
        if self.kind != "fixed" and self.amounts:
            raise ValueError("amounts are only for kind=fixed")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self
