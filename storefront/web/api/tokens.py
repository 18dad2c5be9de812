"""``/api/v1/tokens``: a logged-in customer mints, lists and revokes their own API tokens.

Minting needs the session (browser) — a token cannot mint further tokens, so a leaked token
cannot keep itself alive past its revocation. Tokens minted here are customer-scoped;
operator and admin tokens come only from ``storefront tokens create``.
"""

from __future__ import annotations

from flask_wtf.csrf import generate_csrf

from storefront.accounts import tokens
from storefront.accounts.models import Customer
from storefront.accounts.token_models import ApiToken
from storefront.container import services
from storefront.errors import NotFound
from storefront.web.api.framework import require_user, v1
from storefront.web.api.schemas import CsrfOut, TokenCreatedOut, TokenCreateIn, TokenOut
from storefront.web.auth import require_fresh_second_factor


@v1.get(
    "/csrf-token",
    response=CsrfOut,
    access="public",
    summary="A CSRF token for browser calls made with the session cookie",
    description=(
        "Unsafe requests (POST, PUT, PATCH, DELETE) authenticated by the session cookie must "
        "send this value as the X-CSRFToken header. Requests with a bearer token need not."
    ),
    tags=["session"],
)
def get_csrf_token() -> CsrfOut:
    return CsrfOut(csrf_token=generate_csrf())


@v1.post(
    "/tokens",
    body=TokenCreateIn,
    response=TokenCreatedOut,
    status=201,
    access="customer",
    limit="20/hour",
    auth=["session"],
    errors=[403],
    summary="Mint a customer-scoped API token (session only)",
    description=(
        "The secret is in the answer once; only its hash is kept. Staff with two-factor "
        "login need a second factor from the last ten minutes (403 second_factor_required "
        "otherwise: confirm at /account/two-factor/confirm)."
    ),
    tags=["tokens"],
)
def create_token(body: TokenCreateIn) -> TokenCreatedOut:
    user = require_user()
    require_fresh_second_factor("/")  # JSON: raises the 403 that says what to do
    with services().db.session_scope(write=True) as session:
        customer = session.get(Customer, user.id)
        if customer is None:
            raise NotFound("That account no longer exists.")
        issued = tokens.create_token(session, customer, role="customer", name=body.name)
        row = TokenOut.model_validate(issued.token).model_dump()
    return TokenCreatedOut(**row, token=issued.plaintext)


@v1.get(
    "/tokens",
    response=list[TokenOut],
    access="customer",
    summary="Your API tokens, revoked ones included",
    tags=["tokens"],
)
def list_tokens() -> list[ApiToken]:
    user = require_user()
    with services().db.session_scope() as session:
        return tokens.list_tokens(session, customer_id=user.id)


@v1.delete(
    "/tokens/<int:token_id>",
    access="customer",
    errors=[404],
    summary="Revoke one of your API tokens",
    description="Idempotent. A token may revoke itself.",
    tags=["tokens"],
)
def revoke_token(token_id: int) -> None:
    user = require_user()
    try:
        with services().db.session_scope(write=True) as session:
            tokens.revoke_token(session, token_id, customer_id=user.id)
    except tokens.TokenNotFound:
        raise NotFound("You have no API token with that id.") from None
