"""Newsletter sign-up through the API: the same double opt-in as the site form."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr

from storefront.web.api.framework import v1
from storefront.web.shop.newsletter import request_signup


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr


class SubscribeOut(BaseModel):
    status: Literal["pending", "subscribed"]
    message: str


@v1.post(
    "/newsletter",
    body=SubscribeIn,
    response=SubscribeOut,
    status=202,
    access="public",
    limit="5/minute",
    summary="Sign up for the newsletter (double opt-in)",
    tags=["newsletter"],
)
def subscribe(body: SubscribeIn) -> SubscribeOut:
    result = request_signup(str(body.email), source="api")
    if result.status == "subscribed":
        return SubscribeOut(status="subscribed", message="Already subscribed.")
    return SubscribeOut(status="pending", message="Check your inbox to confirm.")
