"""Newsletter pages: sign up (double opt-in), confirm, unsubscribe without logging in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, EmailStr, ValidationError

from storefront.container import services
from storefront.errors import ValidationFailed
from storefront.mail import worker as mail_worker
from storefront.newsletter import services as subscriptions
from storefront.signing import InvalidToken, make_token, read_token
from storefront.urls import absolute_url
from storefront.web.auth import access
from storefront.web.forms import error_details
from storefront.web.security import limiter

bp = Blueprint("newsletter", __name__)


class SignUp(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    email: EmailStr


def unsubscribe_url(email: str) -> str:
    return absolute_url(
        "newsletter.unsubscribe",
        token=make_token("newsletter-unsubscribe", subscriptions.normalise(email)),
    )


def request_signup(email: str, source: str) -> subscriptions.SignupResult:
    """Shared by the form and the API: record the wish, send the confirmation link."""
    link = absolute_url(
        "newsletter.confirm", token=make_token("newsletter-confirm", subscriptions.normalise(email))
    )
    with services().db.session_scope(write=True) as session:
        result = subscriptions.sign_up(session, email, source=source, confirm_link=link)
    if result.email_sent:
        mail_worker.kick(services().postman)
    return result


@bp.post("/newsletter")
@access("public")
@limiter.limit("5/minute")
def sign_up() -> ResponseReturnValue:
    try:
        form = SignUp.model_validate(request.form.to_dict())
    except ValidationError as exc:
        raise ValidationFailed(
            "Enter an e-mail address to sign up.", details=error_details(exc)
        ) from exc
    request_signup(str(form.email), source="site-form")
    return render_template("newsletter/check_inbox.html", email=form.email)


@bp.get("/newsletter/confirm/<token>")
@access("public")
def confirm(token: str) -> ResponseReturnValue:
    try:
        email = read_token("newsletter-confirm", token)
    except InvalidToken as exc:
        flash(f"That confirmation link is {exc.reason}. Sign up again to get a new one.")
        return redirect(url_for("catalog.home"))
    with services().db.session_scope(write=True) as session:
        subscriptions.confirm(session, email)
    return render_template("newsletter/confirmed.html", unsubscribe=unsubscribe_url(email))


@bp.route("/newsletter/unsubscribe/<token>", methods=["GET", "POST"])
@access("public")
def unsubscribe(token: str) -> ResponseReturnValue:
    """GET shows a one-button page (mail scanners follow links); POST unsubscribes."""
    try:
        email = read_token("newsletter-unsubscribe", token)
    except InvalidToken:
        flash("That unsubscribe link is damaged. Reply to any newsletter and we will remove you.")
        return redirect(url_for("catalog.home"))
    if request.method == "POST":
        with services().db.session_scope(write=True) as session:
            subscriptions.unsubscribe(session, email)
        return render_template("newsletter/unsubscribed.html", email=email)
    return render_template("newsletter/unsubscribe.html", email=email)
