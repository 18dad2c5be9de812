"""Account pages: register, log in and out, reset a password, the account overview."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for
from flask import session as cookie
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.accounts import throttle, twofactor
from storefront.accounts.models import Customer
from storefront.accounts.schemas import Login, NewPassword, Register, ResetRequest
from storefront.container import services
from storefront.db import utcnow
from storefront.fieldcrypt import session_cipher
from storefront.fulfillment.tracking import parcels_by_order
from storefront.mail import worker as mail_worker
from storefront.mail.messages import queue_email
from storefront.operations import privacy
from storefront.orders.models import Order
from storefront.orders.services import adopt_guest_orders
from storefront.signing import InvalidToken, make_token, read_token
from storefront.web.auth import (
    SECOND_FACTOR_AT,
    CurrentUser,
    access,
    current_user,
    hold_login,
    login_session,
    logout_session,
    require_fresh_second_factor,
)
from storefront.web.forms import parse_form
from storefront.web.security import limiter
from storefront.web.shop import addresses, reviews
from storefront.web.shop.cart import merge_on_login
from storefront.web.state import web_state

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("accounts.account")


def _absolute(endpoint: str, **values: Any) -> str:
    base = services().settings.base_url
    return base + url_for(endpoint, **values)


@bp.route("/register", methods=["GET", "POST"])
@access("public")
@limiter.limit("10/minute", methods=["POST"])
def register() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    if request.method == "POST":
        form, errors = parse_form(Register, request.form)
        if form is not None:
            db = services().db
            try:
                with db.session_scope(write=True) as session:
                    customer = accounts.register(session, form.email, form.password, form.name)
                    token = make_token(
                        "verify-email", {"uid": customer.id, "email": customer.email}
                    )
                    queue_email(
                        session,
                        "verify_email",
                        customer.email,
                        f"{customer.id}:{token[-12:]}",
                        {
                            "link": _absolute("accounts.verify_email", token=token),
                            "name": customer.name or "",
                        },
                    )
                    uid, version = customer.id, accounts.session_version(customer)
            except accounts.EmailTaken:
                errors = {
                    "email": "This e-mail already has an account: log in, or reset the password."
                }
            else:
                mail_worker.kick(services().postman)
                login_session(uid, version)
                flash("Welcome! Check your inbox to confirm your e-mail address.")
                return redirect(url_for("accounts.account"))
    return render_template("accounts/register.html", errors=errors, form=request.form), (
        422 if errors else 200
    )


@bp.route("/login", methods=["GET", "POST"])
@access("public")
def login() -> ResponseReturnValue:
    """Log in, with wrong passwords slowed per account and per address (growing delays, never
    a lock: see :mod:`storefront.accounts.throttle`); the owner hears of a guessing streak."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        form, errors = parse_form(Login, request.form)
        if form is not None:
            wait, signed_in, warned = _attempt_login(form.email, form.password)
            if wait > 0:
                return _too_many_logins(wait)
            if warned:
                mail_worker.kick(services().postman)
            if signed_in is None:
                errors = {"form": "That e-mail and password do not match an account."}
            else:
                uid, version, second_factor = signed_in
                if second_factor:  # staff: the code comes next, the login after it
                    hold_login(uid, version, _safe_next(request.args.get("next")), int(time.time()))
                    return redirect(url_for("twofactor.login_code"), 303)
                login_session(uid, version)
                merge_on_login(uid)  # the guest cart joins the account's
                return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", errors=errors, form=request.form), (
        401 if errors.get("form") else 422 if errors else 200
    )


def _attempt_login(email: str, password: str) -> tuple[float, tuple[int, str, bool] | None, bool]:
    """(seconds to wait first, the signed-in account or None, whether the owner is warned)."""
    now = utcnow()
    with services().db.session_scope(write=True) as session:
        keys = throttle.login_keys(session_cipher(session).blind_index(email), request.remote_addr)
        wait = throttle.wait_seconds(session, keys, now)
        if wait > 0:  # refused before the password is even looked at
            return wait, None, False
        customer = accounts.authenticate(session, email, password)
        if customer is not None:
            throttle.clear(session, keys[0])
            return (
                0.0,
                (
                    customer.id,
                    accounts.session_version(customer),
                    twofactor.is_enabled(session, customer.id),
                ),
                False,
            )
        throttle.record_failure(session, keys, now)
        warned = False
        if throttle.failures(session, keys[0]) == throttle.LOGIN_PER_ACCOUNT.free:
            owner = accounts.find_by_email(session, email)
            if owner is not None and owner.anonymised_at is None:
                warned = queue_email(
                    session,
                    "login_failures",
                    owner.email,
                    f"{owner.id}:{now:%Y%m%dT%H%M%S}",
                    {
                        "attempts": throttle.LOGIN_PER_ACCOUNT.free,
                        "reset_link": _absolute("accounts.password_reset_request"),
                    },
                )
        return 0.0, None, warned


def _too_many_logins(wait: float) -> ResponseReturnValue:
    seconds = max(1, int(wait + 0.999))
    errors = {
        "form": f"Too many wrong passwords. Try again in {seconds} seconds, or reset your password."
    }
    body = render_template("accounts/login.html", errors=errors, form=request.form)
    return Response(body, 429, {"Retry-After": str(seconds)})


@bp.post("/logout")
@access("public")
def logout() -> ResponseReturnValue:
    logout_session()
    flash("You are logged out.")
    return redirect(url_for("catalog.home"))


@bp.get("/account")
@access("customer")
def account() -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    with services().db.session_scope() as session:
        customer = session.get(Customer, user.id)
        orders = (
            session.execute(
                select(Order).where(Order.customer_id == user.id).order_by(Order.id.desc())
            )
            .scalars()
            .all()
        )
        parcels = parcels_by_order(session, [o.id for o in orders])
    return render_template(
        "accounts/account.html",
        customer=customer,
        orders=orders,
        parcels=parcels,
        reviewable=reviews.reviewable(user.id),
    )


@bp.get("/account/verify/<token>")
@access("public")
def verify_email(token: str) -> ResponseReturnValue:
    try:
        data = read_token("verify-email", token)
    except InvalidToken as exc:
        flash(f"That confirmation link is {exc.reason}. Log in to get a new one.")
        return redirect(url_for("accounts.login"))
    with services().db.session_scope(write=True) as session:
        customer = session.get(Customer, data.get("uid"))
        if customer is None or customer.email != data.get("email"):
            flash("That confirmation link no longer matches an account.")
            return redirect(url_for("catalog.home"))
        accounts.mark_email_verified(session, customer)
        linked = adopt_guest_orders(session, customer.id, customer.email)
    flash(
        "Your e-mail address is confirmed."
        + (f" {linked} earlier order(s) are now in your account." if linked else "")
    )
    return redirect(url_for("accounts.account"))


@bp.route("/account/password-reset", methods=["GET", "POST"])
@access("public")
@limiter.limit("5/minute", methods=["POST"])
def password_reset_request() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    if request.method == "POST":
        form, errors = parse_form(ResetRequest, request.form)
        if form is not None:
            with services().db.session_scope(write=True) as session:
                customer = accounts.find_by_email(session, form.email)
                if customer is not None and customer.password_hash and not customer.anonymised_at:
                    token = make_token(
                        "password-reset",
                        {"uid": customer.id, "av": accounts.session_version(customer)},
                    )
                    queue_email(
                        session,
                        "password_reset",
                        customer.email,
                        f"{customer.id}:{token[-12:]}",
                        {"link": _absolute("accounts.password_reset", token=token)},
                    )
            mail_worker.kick(services().postman)
            # Same answer whether or not the address has an account.
            return render_template("accounts/reset_sent.html", email=form.email)
    return render_template("accounts/reset_request.html", errors=errors, form=request.form), (
        422 if errors else 200
    )


@bp.route("/account/password-reset/<token>", methods=["GET", "POST"])
@access("public")
@limiter.limit("10/minute", methods=["POST"])
def password_reset(token: str) -> ResponseReturnValue:
    try:
        data = read_token("password-reset", token)
    except InvalidToken as exc:
        flash(f"That reset link is {exc.reason}. Ask for a new one.")
        return redirect(url_for("accounts.password_reset_request"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        form, errors = parse_form(NewPassword, request.form)
        if form is not None:
            with services().db.session_scope(write=True) as session:
                customer = session.get(Customer, data.get("uid"))
                if customer is None or accounts.session_version(customer) != data.get("av"):
                    flash("That reset link was already used. Ask for a new one.")
                    return redirect(url_for("accounts.password_reset_request"))
                accounts.set_password(customer, form.password)
                uid, version = customer.id, accounts.session_version(customer)
            login_session(uid, version)
            flash("Your password is changed.")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/reset_form.html", errors=errors), (422 if errors else 200)


def session_user() -> CurrentUser | None:
    """Resolve the logged-in customer from the session cookie."""

    uid = cookie.get("uid")
    if uid is None:
        return None
    with services().db.session_scope() as session:
        customer = session.get(Customer, uid)
        if (
            customer is None
            or customer.anonymised_at is not None
            or accounts.session_version(customer) != cookie.get("av")
        ):
            cookie.clear()
            return None
        second_factor = customer.role != "customer" and twofactor.is_enabled(session, customer.id)
        if second_factor != (SECOND_FACTOR_AT in cookie) and customer.role != "customer":
            # Enrolled since this session began, or its factor was reset since (a lost
            # phone — and maybe a stolen session): log in again, with the password.
            cookie.clear()
            return None
        return CurrentUser(
            id=customer.id,
            email=customer.email,
            role=customer.role,
            via="session",
            second_factor=second_factor,
        )


def init_app(app: object) -> None:

    assert isinstance(app, Flask)
    app.register_blueprint(bp)

    app.register_blueprint(addresses.bp)
    web_state(app).user_resolvers.append(session_user)


@bp.get("/account/data")
@access("customer")
def download_data() -> ResponseReturnValue:
    """Everything we hold about the logged-in person, as a JSON download."""
    import json

    user = current_user()
    assert user is not None
    with services().db.session_scope() as session:
        data = privacy.export(session, user.id)
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=my-data.json"},
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@access("customer")
def delete_account() -> ResponseReturnValue:
    """Forget the person everywhere; orders stay for the books, without personal data."""

    user = current_user()
    assert user is not None
    if (gate := require_fresh_second_factor(url_for("accounts.delete_account"))) is not None:
        return gate  # staff: a fresh second factor first
    if request.method == "GET":
        return render_template("accounts/delete.html")
    if request.form.get("confirm") != "delete":
        flash("Type “delete” to confirm.")
        return render_template("accounts/delete.html"), 422
    erasure = services().erase_customer(user.id, actor=f"customer:{user.id}")
    logout_session()
    flash(
        "Your account and personal data are deleted. Orders are kept for accounting, "
        "without your name or address."
        + (
            " An order still on its way keeps your address until it arrives; then that is "
            "deleted too."
            if erasure.waiting
            else ""
        )
    )
    return redirect(url_for("catalog.home"), 303)
