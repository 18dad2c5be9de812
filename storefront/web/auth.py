"""Who may use which route: every view declares it, and one hook enforces it.

Views are decorated with :func:`access` (``public``, ``customer``, ``operator``, ``admin``,
``webhook`` or ``dev``). A view without a declaration is refused (403) and reported, so a
forgotten decorator fails closed; ``tests/accounts/test_access_walk.py`` walks every route.
The current user comes from the session cookie (browsers) or a bearer API token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flask import Flask, g, has_request_context, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from storefront.accounts.roles import at_least
from storefront.container import services
from storefront.errors import Forbidden, NotFound, Unauthorized, wants_json
from storefront.web.state import web_state

F = TypeVar("F", bound=Callable[..., Any])

LEVELS = ("public", "webhook", "dev", "customer", "operator", "admin")


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    role: str
    via: Literal["session", "token"]

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


def login_session(user_id: int, auth_version: str) -> None:
    session.clear()
    session[LOGIN_KEY] = user_id
    session["av"] = auth_version
    session.permanent = True
    g.pop("current_user", None)


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
