"""Request bodies of the accounts forms and API (pydantic: one validation for both)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

MIN_PASSWORD = 10


def _password_rules(value: str) -> str:
    if len(value) < MIN_PASSWORD:
        raise ValueError(f"must be at least {MIN_PASSWORD} characters")
    if len(value) > 256:
        raise ValueError("must be at most 256 characters")
    if value.strip() != value:
        raise ValueError("must not start or end with spaces")
    return value


class Register(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: EmailStr
    password: str
    name: str | None = Field(None, max_length=120)

    _pw = field_validator("password")(_password_rules)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class Login(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: EmailStr


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="ignore")
    password: str

    _pw = field_validator("password")(_password_rules)
