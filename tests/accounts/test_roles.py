"""Access control rule by rule: the role ranking, and the one hook that enforces every
route's declared level (what mutation testing found no test for)."""

from __future__ import annotations

import pytest
from flask import Flask, g
from flask import session as cookie

from storefront.accounts import services as accounts
from storefront.accounts.roles import ROLES, at_least
from storefront.container import services
from storefront.web.auth import (
    PENDING_LOGIN,
    access,
    current_user,
    hold_login,
    login_session,
    logout_session,
)
from tests.accounts.test_access_walk import client_as


@pytest.mark.parametrize("required", ROLES)
@pytest.mark.parametrize("role", [*ROLES, None, "", "superuser"])
def test_roles_rank_and_anything_unknown_ranks_below_customers(
    role: str | None, required: str
) -> None:
    expected = role in ROLES and ROLES.index(role) >= ROLES.index(required)
    assert at_least(role, required) is expected


def test_asking_for_an_unknown_role_is_a_mistake_not_a_no() -> None:
    with pytest.raises(KeyError):
        at_least("admin", "owner")
    with pytest.raises(ValueError, match="unknown access level 'staff'"):
        access("staff")


def test_an_anonymous_page_view_goes_to_login_and_back(app: Flask) -> None:
    visitor = app.test_client()
    page = visitor.get("/account?tab=orders", headers={"Accept": "text/html"})
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=/account?tab%3Dorders"
    api = visitor.get("/account", headers={"Accept": "application/json"})
    assert api.status_code == 401
    assert api.get_json()["error"]["code"] == "unauthorized"
    post = visitor.post("/account/addresses", headers={"Accept": "text/html"})
    assert post.status_code in (400, 401)  # never a redirect for a POST


def test_higher_roles_reach_lower_pages_and_not_the_other_way(app: Flask) -> None:
    admin, operator, customer = (client_as(app, r) for r in ("admin", "operator", "customer"))
    assert admin.get("/admin/orders").status_code == 200
    assert operator.get("/account").status_code == 200
    assert customer.get("/account").status_code == 200
    assert customer.get("/admin/orders", headers={"Accept": "text/html"}).status_code == 403


def test_a_route_without_a_declaration_is_refused(app: Flask) -> None:
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    response = app.test_client().get("/undeclared", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


def test_dev_pages_are_not_there_in_production(app: Flask) -> None:
    assert app.test_client().get("/_dev/mail").status_code == 200
    found = services(app)
    found.settings = found.settings.model_copy(update={"storefront_env": "production"})
    assert found.settings.is_production
    assert app.test_client().get("/_dev/mail").status_code == 404


def test_login_and_logout_change_who_is_there_at_once(app: Flask) -> None:
    with services(app).db.session_scope() as session:
        user = accounts.register(session, "eve@example.com", "correct horse battery")
        uid, version = user.id, accounts.session_version(user)
    with app.test_request_context("/"):
        assert current_user() is None
        login_session(uid, version)
        from flask import session as cookie

        assert (cookie["uid"], cookie["av"], cookie.permanent) == (uid, version, True)
        user_now = current_user()
        assert user_now is not None
        assert (user_now.id, user_now.email, user_now.role) == (uid, "eve@example.com", "customer")
        assert user_now.has_role("customer") and not user_now.has_role("operator")
        logout_session()
        assert "uid" not in cookie and "current_user" not in g
        assert current_user() is None


def test_a_password_waiting_for_its_code_is_nobody_at_once(app: Flask) -> None:
    """Staff with a second factor: once the password is accepted, the earlier login in that
    browser is gone and nobody is logged in, in that very request too, until the code."""
    with services(app).db.session_scope() as session:
        user = accounts.register(
            session, "olive@example.com", "correct horse battery", role="operator"
        )
        uid, version = user.id, accounts.session_version(user)
    with app.test_request_context("/"):
        login_session(uid, version)
        assert current_user() is not None
        hold_login(uid, version, "/admin/orders", 1_700_000_000)
        assert current_user() is None
        assert dict(cookie) == {
            PENDING_LOGIN: {"uid": uid, "av": version, "next": "/admin/orders", "at": 1_700_000_000}
        }
