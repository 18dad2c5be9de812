"""``/api/v1/users``: register an account and read your own."""

from __future__ import annotations

from flask import url_for

from storefront.accounts import services as accounts
from storefront.accounts.models import Customer
from storefront.container import services
from storefront.errors import Conflict, NotFound
from storefront.mail import worker as mail_worker
from storefront.mail.messages import queue_email
from storefront.signing import make_token
from storefront.web.api.framework import require_user, v1
from storefront.web.api.schemas import MeOut, RegisterIn, UserOut


@v1.post(
    "/users",
    body=RegisterIn,
    response=UserOut,
    status=201,
    access="public",
    limit="10/minute",
    errors=[409],
    summary="Create a customer account",
    description=(
        "Creates a customer (never an operator or admin: those come from the command line) "
        "and e-mails a confirmation link. Does not log in: use the web login or an API token."
    ),
    tags=["users"],
)
def create_user(body: RegisterIn) -> tuple[Customer, dict[str, str]]:
    try:
        with services().db.session_scope(write=True) as session:
            customer = accounts.register(session, body.email, body.password, body.name)
            token = make_token("verify-email", {"uid": customer.id, "email": customer.email})
            link = services().settings.base_url + url_for("accounts.verify_email", token=token)
            queue_email(
                session,
                "verify_email",
                customer.email,
                f"{customer.id}:{token[-12:]}",
                {"link": link, "name": customer.name or ""},
            )
    except accounts.EmailTaken:
        raise Conflict(
            "That e-mail address already has an account.",
            code="email_taken",
            details=[{"field": "email", "message": "already has an account"}],
        ) from None
    mail_worker.kick(services().postman)
    return customer, {"Location": url_for("api_v1.get_me")}


@v1.get(
    "/users/me",
    response=MeOut,
    access="customer",
    summary="The account you are authenticated as",
    tags=["users"],
)
def get_me() -> MeOut:
    user = require_user()
    with services().db.session_scope() as session:
        customer = session.get(Customer, user.id)
    if customer is None:
        raise NotFound("That account no longer exists.")
    account = UserOut.model_validate(customer).model_dump()
    # The role is a string from the database: validated against MeOut's roles here.
    return MeOut.model_validate({**account, "via": user.via, "effective_role": user.role})
