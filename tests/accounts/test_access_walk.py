"""Every route declares who may use it, and the declaration holds for anonymous visitors,
customers and operators alike."""

import re

import pytest
from flask import Flask

from storefront.accounts import services as accounts
from storefront.container import services
from storefront.web.auth import LEVELS, declared_access


def routes(app: Flask) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        level = declared_access(app, rule.endpoint)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):  # type: ignore[operator]
            out.append((rule.rule, method, level or "MISSING"))
    return out


def concrete(path: str) -> str:
    """Fill URL variables with harmless values."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: "1" if "id" in m.group(1) else "x", path)


def client_as(app: Flask, role: str | None):  # type: ignore[no-untyped-def]
    client = app.test_client()
    if role is None:
        return client
    with services(app).db.session_scope() as session:
        user = accounts.register(session, f"{role}@example.com", "correct horse battery", role=role)
        uid, version = user.id, accounts.session_version(user)
    with client.session_transaction() as sess:
        sess["uid"], sess["av"] = uid, version
    return client


def test_every_route_declares_an_access_level(app: Flask) -> None:
    missing = [r for r in routes(app) if r[2] not in LEVELS]
    assert missing == [], f"routes without @access(...): {missing}"
    assert len(routes(app)) > 40


@pytest.mark.parametrize("level", ["customer", "operator", "admin"])
def test_protected_routes_refuse_anonymous_visitors(app: Flask, level: str) -> None:
    anonymous = client_as(app, None)
    for path, method, declared in routes(app):
        if declared != level:
            continue
        resp = anonymous.open(concrete(path), method=method, headers={"Accept": "application/json"})
        assert resp.status_code in (400, 401), (path, method, resp.status_code)


def test_staff_routes_refuse_customers(app: Flask) -> None:
    customer = client_as(app, "customer")
    checked = 0
    for path, method, declared in routes(app):
        if declared not in ("operator", "admin"):
            continue
        resp = customer.open(concrete(path), method=method, headers={"Accept": "application/json"})
        # a POST without a CSRF token may stop at 400 first; it never reaches the view
        assert resp.status_code in (400, 403), (path, method, resp.status_code)
        checked += 1
    assert checked >= 8


def test_operators_reach_operator_pages(app: Flask) -> None:
    operator = client_as(app, "operator")
    for path in ("/admin", "/admin/orders", "/admin/jobs", "/admin/subscribers"):
        assert operator.get(path).status_code == 200, path
