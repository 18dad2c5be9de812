"""Who may use which route: every view declares it, and one hook enforces it.

Views are decorated with :func:`access` (``public``, ``customer``, ``operator``, ``admin``,
``webhook`` or ``dev``). A view without a declaration is refused (403) and reported, so a
forgotten decorator fails closed; ``tests/accounts/test_access_walk.py`` walks every route.
The current user comes from the session cookie (browsers) or a bearer API token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flask import Flask, g, has_request_context, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from storefront.accounts.roles import at_least
from storefront.accounts.twofactor import FRESH_SECONDS
from storefront.container import services
from storefront.errors import Forbidden, NotFound, Unauthorized, wants_json
from storefront.web.state import web_state

F = TypeVar("F", bound=Callable[..., Any])

STEP_UP_MESSAGE = (
    "This needs a fresh second factor: confirm it is you with a code from your "
    "authenticator app at /account/two-factor/confirm, then try again "
    f"(a code counts for {FRESH_SECONDS // 60} minutes)."
)

LEVELS = ("public", "webhook", "dev", "customer", "operator", "admin")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    role: str
    via: Literal["session", "token"]
    #: Staff with a second factor enrolled (:mod:`storefront.web.shop.twofactor`).
    second_factor: bool = False

    def has_role(self, role: str) -> bool:
        return at_least(self.role, role)


def access(level: str) -> Callable[[F], F]:
    if level not in LEVELS:
        raise ValueError(f"unknown access level {level!r}")

    def mark(view: F) -> F:
        view._access = level  # type: ignore[attr-defined]  # a mark on the view function, kept by functools.wraps
        return view

    return mark


def declared_access(app: Flask, endpoint: str) -> str | None:
    view = app.view_functions.get(endpoint)
    return getattr(view, "_access", None)


def current_user() -> CurrentUser | None:
    if not has_request_context():  # jobs rendering e-mails have no visitor
        return None
    if "current_user" not in g:
        g.current_user = _load_user()
    user: CurrentUser | None = g.current_user
    return user


def _load_user() -> CurrentUser | None:
    """Resolvers tried in order (:class:`~storefront.web.state.WebState`): the API's bearer
    token first, then the session."""
    for resolver in web_state().user_resolvers:
        user = resolver()
        if user is not None:
            return user
    return None


#: The session key that holds a login: a session without it carries no credential.
LOGIN_KEY = "uid"
#: When the session's holder last gave a second factor (epoch seconds).
SECOND_FACTOR_AT = "2fa_at"
#: A password accepted, the second factor still to come: no login yet.
PENDING_LOGIN = "2fa_login"


def login_session(user_id: int, auth_version: str, *, second_factor_at: int | None = None) -> None:
    session.clear()
    session[LOGIN_KEY] = user_id
    session["av"] = auth_version
    if second_factor_at is not None:
        session[SECOND_FACTOR_AT] = second_factor_at
    session.permanent = True
    g.pop("current_user", None)


def hold_login(user_id: int, auth_version: str, next_path: str, now: int) -> None:
    """The password was right for staff with a second factor: remember that, log in later."""
    session.clear()
    session[PENDING_LOGIN] = {"uid": user_id, "av": auth_version, "next": next_path, "at": now}
    g.pop("current_user", None)


def second_factor_is_fresh() -> bool:
    """The current user gave a second factor in the last ten minutes, or has none to give
    (customers; staff before enrolling where ``STAFF_2FA_REQUIRED`` is off)."""
    user = current_user()
    if user is None or not user.second_factor:
        return True
    given = session.get(SECOND_FACTOR_AT)
    return isinstance(given, int) and 0 <= time.time() - given <= FRESH_SECONDS


def require_fresh_second_factor(back: str) -> ResponseReturnValue | None:
    """Before a refund, an erasure or a new API token: None when it may go ahead, else the
    redirect to the step-up page (which returns to ``back``); JSON callers get a 403
    ``second_factor_required`` saying what to do."""
    if second_factor_is_fresh():
        return None
    if wants_json():
        raise Forbidden(STEP_UP_MESSAGE, code="second_factor_required")
    return redirect(url_for("twofactor.confirm", next=back), 303)


def logout_session() -> None:
    session.clear()
    g.pop("current_user", None)


def init_app(app: Flask) -> None:

    @app.before_request
    def _enforce() -> ResponseReturnValue | None:
        if request.endpoint is None or request.routing_exception is not None:
            return None  # 404/405 are raised by routing
        if request.endpoint == "static":
            return None
        level = declared_access(app, request.endpoint)
        if level is None:
            app.logger.error("route %s declares no access level; refusing", request.endpoint)
            raise Forbidden("This page is not available.")
        if level in ("public", "webhook"):
            return None
        if level == "dev":
            if services(app).settings.is_production:
                raise NotFound()
            return None
        user = current_user()
        if user is None:
            if (
                not wants_json()
                and request.method == "GET"
                and "accounts.login" in app.view_functions
            ):
                return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
            raise Unauthorized("Please log in to see this page.")
        if not user.has_role(level):
            raise Forbidden()
        return None

    @app.context_processor
    def _user() -> dict[str, Any]:
        return {"current_user": current_user()}
