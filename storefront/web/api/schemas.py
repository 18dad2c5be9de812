"""Shapes of the API's own bodies: errors, users, tokens (request models reuse the domain's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from storefront.accounts.schemas import MIN_PASSWORD, Register


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. not_found.")
    message: str = Field(description="A sentence for people.")
    details: Any = Field(None, description="Extra data; for 422 a list of field problems.")


class Error(BaseModel):
    """Every 4xx/5xx answer of the API."""

    error: ErrorInfo


class FieldProblem(BaseModel):
    field: str = Field(description="Dotted path of the field, e.g. email or items.0.quantity.")
    message: str


class ValidationErrorInfo(BaseModel):
    code: Literal["validation_failed"]
    message: str
    details: list[FieldProblem]


class ValidationError(BaseModel):
    """A 422: the body or query string did not validate."""

    error: ValidationErrorInfo


class RegisterIn(Register):
    """The web form's ``Register`` (same validators and messages), with its password rules
    also written into the JSON Schema, where a ``field_validator`` alone is invisible."""

    email: EmailStr = Field(
        description="An e-mail address; special-use domains (.test, .local…) are refused."
    )
    password: str = Field(
        description="At least 10 characters; no spaces at either end.",
        json_schema_extra={
            "minLength": MIN_PASSWORD,
            "maxLength": 256,
            "pattern": r"^\S[\s\S]*\S$",
        },
    )


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str | None
    role: Literal["customer", "operator", "admin"]
    email_verified_at: datetime | None
    created_at: datetime


class MeOut(UserOut):
    via: Literal["session", "token"] = Field(description="How this request authenticated.")
    effective_role: Literal["customer", "operator", "admin"] = Field(
        description="The role this request acts with: a token's scope can be below the account's."
    )


class TokenCreateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80, description="What the token is for.")


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Literal["customer", "operator", "admin"]
    token_prefix: str = Field(description="First 8 characters, to recognise the token.")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The secret. Shown this once; store it now.")


class CsrfOut(BaseModel):
    csrf_token: str = Field(
        description="Send as the X-CSRFToken header on unsafe requests made with the cookie."
    )
