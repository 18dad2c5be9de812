"""Staff two-factor pages: enrol, the code after the password, and the step-up before a
refund, an erasure or a new API token.

- ``/account/two-factor``: enrolment — a QR code (SVG drawn here, no outside service, no
  script) and the secret as text; a valid code turns it on and shows the recovery codes once.
- ``/login/code``: the second step of a staff login (the password was right; nothing is
  logged in until the code is).
- ``/account/two-factor/confirm?next=…``: "confirm it is you" — a code given here lets
  :func:`~storefront.web.auth.require_fresh_second_factor` pass for the next ten minutes.

With ``STAFF_2FA_REQUIRED`` an operator or admin without a second factor is sent to enrol
before any other staff or account page (JSON callers get a 403 saying so). Wrong codes are
slowed per account and per address (:mod:`storefront.accounts.throttle`).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import parseaddr

import segno
from flask import (
    Blueprint,
    Flask,
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from storefront.accounts import throttle, twofactor
from storefront.accounts.models import Customer
from storefront.accounts.services import session_version
from storefront.container import services
from storefront.errors import Forbidden, wants_json
from storefront.web.auth import (
    PENDING_LOGIN,
    SECOND_FACTOR_AT,
    access,
    current_user,
    declared_access,
    login_session,
    require_fresh_second_factor,
)
from storefront.web.shop.accounts import _safe_next
from storefront.web.shop.cart import merge_on_login

bp = Blueprint("twofactor", __name__)
log = logging.getLogger(__name__)

PENDING_SECONDS = 300  # a password accepted this long ago still waits for its code
#: Pages a staff member without a second factor may still reach when one is required.
SETUP_EXEMPT = frozenset({"twofactor.enrol", "accounts.logout"})


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def _address() -> str | None:
    return request.remote_addr


def _too_many(wait: float, template: str, **context: object) -> ResponseReturnValue:
    seconds = max(1, int(wait + 0.999))
    errors = {"form": f"Too many wrong codes. Try again in {seconds} seconds."}
    body = render_template(template, errors=errors, **context)
    return Response(body, 429, {"Retry-After": str(seconds)})


def _check_code(customer_id: int, code: str) -> tuple[str | None, float]:
    """Verify a code under the throttle: (the kind of factor or None, seconds to wait)."""
    now = _now()
    keys = throttle.keys_for("2fa", customer_id, _address())
    with services().db.session_scope(write=True) as db:
        wait = throttle.wait_seconds(db, keys, now)
        if wait > 0:
            return None, wait
        try:
            kind = twofactor.verify(db, services().settings.data_key_ring, customer_id, code, now)
        except twofactor.SealError:
            log.error("second factor of account %s cannot be read; reset it", customer_id)
            raise Forbidden(
                "Your two-factor secret can no longer be read. Ask an admin to reset your "
                "two-factor login (storefront users reset-2fa), then set it up again.",
                code="second_factor_unreadable",
            ) from None
        if kind is None:
            throttle.record_failure(db, keys, now)
        else:
            throttle.clear(db, keys[0])
    return kind, 0.0


# --- the second step of a login ----------------------------------------------------------------
@bp.route("/login/code", methods=["GET", "POST"])
@access("public")
def login_code() -> ResponseReturnValue:
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_LOGIN, None)
        flash("Please log in again: the code has to follow the password within five minutes.")
        return redirect(url_for("accounts.login"), 303)
    errors: dict[str, str] = {}
    if request.method == "POST":
        kind, wait = _check_code(pending["uid"], request.form.get("code", ""))
        if wait:
            return _too_many(wait, "accounts/two_factor_login.html")
        if kind is None:
            errors = {"form": "That code is not right (or was used already). Try the next one."}
        else:
            with services().db.session_scope() as db:
                customer = db.get(Customer, pending["uid"])
                version = session_version(customer) if customer else None
            if version != pending["av"]:
                session.pop(PENDING_LOGIN, None)
                flash("Please log in again.")
                return redirect(url_for("accounts.login"), 303)
            login_session(pending["uid"], pending["av"], second_factor_at=int(time.time()))
            merge_on_login(pending["uid"])
            if kind == "recovery":
                flash("You used a recovery code; each works once. Make new ones if few are left.")
            return redirect(_safe_next(pending.get("next")), 303)
    return render_template("accounts/two_factor_login.html", errors=errors), (
        401 if errors else 200
    )


# --- enrolment ---------------------------------------------------------------------------------
def _qr_svg(uri: str) -> Markup:
    qr = segno.make(uri, error="m")
    return Markup(qr.svg_inline(scale=5, title="QR code of your two-factor secret"))  # noqa: S704  # segno's own SVG, no user markup


@bp.route("/account/two-factor", methods=["GET", "POST"])
@access("operator")
def enrol() -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    ring = services().settings.data_key_ring
    db = services().db
    errors: dict[str, str] = {}
    with db.session_scope() as read:
        state = twofactor.status(read, user.id)
    if state.enabled:
        if request.method == "POST" and request.form.get("action") == "new-codes":
            gate = require_fresh_second_factor(url_for("twofactor.enrol"))
            if gate is not None:
                return gate
            with db.session_scope(write=True) as write:
                codes = twofactor.new_recovery_codes(write, user.id)
            return _no_store(render_template("accounts/two_factor_codes.html", codes=codes))
        return render_template("accounts/two_factor_on.html", state=state)
    status = 200
    headers: dict[str, str] = {"Cache-Control": "no-store"}
    if request.method == "POST":
        now = _now()
        keys = throttle.keys_for("2fa", user.id, _address())
        with db.session_scope(write=True) as write:
            wait = throttle.wait_seconds(write, keys, now)
            made: list[str] | None = None
            if not wait:
                code = request.form.get("code", "")
                made = twofactor.confirm_enrolment(write, ring, user.id, code, now)
                if made is None:
                    throttle.record_failure(write, keys, now)
        if made is not None:
            session[SECOND_FACTOR_AT] = int(time.time())
            return _no_store(render_template("accounts/two_factor_codes.html", codes=made))
        if wait:
            seconds = max(1, int(wait + 0.999))
            errors = {"form": f"Too many wrong codes. Try again in {seconds} seconds."}
            status, headers["Retry-After"] = 429, str(seconds)
        else:
            errors = {"code": "is not the one your app shows now. Check the app and try again."}
            status = 422
    with db.session_scope(write=True) as write:
        secret = twofactor.pending_secret(write, ring, user.id)
    issuer = parseaddr(services().settings.mail_from)[0] or "Storefront"
    uri = twofactor.provisioning_uri(secret, user.email, issuer)
    body = render_template(
        "accounts/two_factor_enrol.html", secret=secret, qr=_qr_svg(uri), errors=errors
    )
    return Response(body, status, headers)


def _no_store(body: str) -> Response:
    return Response(body, headers={"Cache-Control": "no-store"})


# --- step-up ---------------------------------------------------------------------------------
@bp.route("/account/two-factor/confirm", methods=["GET", "POST"])
@access("operator")
def confirm() -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    back = _safe_next(request.args.get("next"))
    if not user.second_factor:
        return redirect(back, 303)
    errors: dict[str, str] = {}
    if request.method == "POST":
        kind, wait = _check_code(user.id, request.form.get("code", ""))
        if wait:
            return _too_many(wait, "accounts/two_factor_confirm.html")
        if kind is not None:
            session[SECOND_FACTOR_AT] = int(time.time())
            return redirect(back, 303)
        errors = {"form": "That code is not right (or was used already). Try the next one."}
    return render_template("accounts/two_factor_confirm.html", errors=errors), (
        401 if errors else 200
    )


# --- the gate ----------------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _staff_must_enrol() -> ResponseReturnValue | None:
        """With ``STAFF_2FA_REQUIRED``, staff without a second factor enrol first."""
        endpoint = request.endpoint
        if endpoint is None or endpoint in SETUP_EXEMPT:
            return None
        if declared_access(app, endpoint) not in ("customer", "operator", "admin"):
            return None
        if not services(app).settings.staff_second_factor_required:
            return None
        user = current_user()
        if user is None or user.via != "session" or not user.has_role("operator"):
            return None
        if user.second_factor:
            return None
        if wants_json():
            raise Forbidden(
                "Staff accounts need two-factor login: set it up at /account/two-factor first.",
                code="second_factor_setup_required",
            )
        return redirect(url_for("twofactor.enrol"), 303 if request.method != "GET" else 302)
