"""/api/v1/users and /api/v1/tokens through the real app: validation, auth, CSRF, limits."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from storefront.accounts.models import Customer
from storefront.accounts.token_models import ApiToken
from storefront.container import services
from storefront.outbox.models import OutboxEntry
from storefront.web.state import web_state
from tests.api.conftest import PASSWORD, Account, bearer, csrf_token, issue_token, log_in


def _register(client: FlaskClient, body: object, **kwargs: object):  # type: ignore[no-untyped-def]
    headers = {"X-CSRFToken": csrf_token(client)}
    return client.post("/api/v1/users", json=body, headers=headers, **kwargs)


# --- POST /users -------------------------------------------------------------------------------
def test_register_creates_a_customer_and_queues_the_confirmation(
    app: Flask, client: FlaskClient
) -> None:
    response = _register(client, {"email": "Zoe@Example.com", "password": PASSWORD, "name": "Zoe"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "zoe@example.com"
    assert body["role"] == "customer"
    assert body["email_verified_at"] is None
    assert "password" not in str(body) and "hash" not in str(body)
    assert response.headers["Location"] == "/api/v1/users/me"
    with services(app).db.session_scope() as session:
        customer = session.get(Customer, body["id"])
        assert customer is not None and customer.role == "customer"
        mails = session.execute(select(OutboxEntry.key)).scalars().all()
    assert any(key.startswith(f"verify_email:{body['id']}:") for key in mails)


def test_register_ignores_a_role_in_the_body(client: FlaskClient) -> None:
    response = _register(
        client, {"email": "eve@example.com", "password": PASSWORD, "role": "admin"}
    )
    assert response.status_code == 201
    assert response.get_json()["role"] == "customer"


def test_invalid_body_is_422_with_field_and_reason(client: FlaskClient) -> None:
    response = _register(client, {"email": "not-an-address", "password": "short"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    fields = {d["field"]: d["message"] for d in error["details"]}
    assert set(fields) == {"email", "password"}
    assert "at least 10 characters" in fields["password"]
    assert "email" in fields["email"].lower()


def test_a_422_keeps_its_details_and_says_what_to_fix_in_its_message(
    client: FlaskClient,
) -> None:
    response = _register(client, {"email": "not-an-address", "password": "short"})
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert {d["field"] for d in error["details"]} == {"email", "password"}  # machine shape
    assert error["message"] == (
        "Some fields need fixing: "
        "Please enter a valid e-mail address, like name@example.com. "
        "Password must be at least 10 characters."
    )


def test_missing_fields_and_wrong_types_are_named(client: FlaskClient) -> None:
    response = _register(client, {"password": 12345678901})
    details = response.get_json()["error"]["details"]
    assert response.status_code == 422
    assert {"field": "email", "message": "Field required"} in details
    assert any(d["field"] == "password" and "string" in d["message"] for d in details)


def test_a_json_array_is_422_not_500(client: FlaskClient) -> None:
    response = _register(client, ["email", "password"])
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "body"


def test_a_form_body_is_415(client: FlaskClient) -> None:
    headers = {"X-CSRFToken": csrf_token(client)}
    response = client.post(
        "/api/v1/users", data={"email": "x@example.com", "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


def test_malformed_json_is_400_invalid_json(client: FlaskClient) -> None:
    headers = {"X-CSRFToken": csrf_token(client), "Content-Type": "application/json"}
    response = client.post("/api/v1/users", data="{not json", headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_taken_email_is_409(client: FlaskClient, customer: Account) -> None:
    response = _register(client, {"email": customer.email.upper(), "password": PASSWORD})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "email_taken"
    assert error["details"] == [{"field": "email", "message": "already has an account"}]


def test_cookie_posts_without_the_csrf_header_are_refused(
    client: FlaskClient, customer: Account
) -> None:
    log_in(client, customer)  # now the browser holds a logged-in session cookie
    response = client.post("/api/v1/tokens", json={"name": "from elsewhere"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_a_session_without_a_login_is_no_credential(client: FlaskClient) -> None:
    """Nothing to forge with: the anonymous caller's 401, or the public operation itself."""
    client.get("/api/v1/csrf-token")  # a session cookie, holding no login
    response = client.post("/api/v1/tokens", json={"name": "x"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    response = client.post("/api/v1/users", json={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 201


def test_cookieless_posts_need_no_csrf_token(app) -> None:  # type: ignore[no-untyped-def]
    # No cookie means no ambient credentials to forge a request with: scripts just post.
    response = app.test_client(use_cookies=False).post(
        "/api/v1/users", json={"email": "script@example.com", "password": PASSWORD}
    )
    assert response.status_code == 201


def test_register_is_rate_limited(client: FlaskClient) -> None:
    statuses = [
        _register(client, {"email": f"u{i}@example.com", "password": "short"}).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
    response = _register(client, {"email": "late@example.com", "password": PASSWORD})
    assert response.get_json()["error"]["code"] == "rate_limited"


# --- GET /users/me -----------------------------------------------------------------------------
def test_me_without_credentials_is_401_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_me_with_the_session_cookie(client: FlaskClient, customer: Account) -> None:
    log_in(client, customer)
    response = client.get("/api/v1/users/me")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["email"], body["via"]) == (customer.id, customer.email, "session")
    assert body["effective_role"] == "customer"


def test_me_with_a_bearer_token(app: Flask, client: FlaskClient, customer: Account) -> None:
    token = issue_token(app, customer)
    response = client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["via"] == "token"
    with services(app).db.session_scope() as session:
        row = session.execute(select(ApiToken)).scalar_one()
    assert row.last_used_at is not None


def test_operator_token_acts_with_the_lower_of_token_and_account_role(
    app: Flask, client: FlaskClient, operator: Account
) -> None:
    customer_scoped = issue_token(app, operator, role="customer")
    operator_scoped = issue_token(app, operator, role="operator")
    me = client.get("/api/v1/users/me", headers=bearer(customer_scoped)).get_json()
    assert (me["role"], me["effective_role"]) == ("operator", "customer")
    me = client.get("/api/v1/users/me", headers=bearer(operator_scoped)).get_json()
    assert me["effective_role"] == "operator"
    # Demote the account: its operator-scoped token narrows with it.
    with services(app).db.session_scope(write=True) as session:
        row = session.get(Customer, operator.id)
        assert row is not None
        row.role = "customer"
    me = client.get("/api/v1/users/me", headers=bearer(operator_scoped)).get_json()
    assert me["effective_role"] == "customer"


def test_revoked_token_is_401(app: Flask, client: FlaskClient, customer: Account) -> None:
    token = issue_token(app, customer)
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 200
    with services(app).db.session_scope(write=True) as session:
        from storefront.accounts import tokens

        row = session.execute(select(ApiToken)).scalar_one()
        tokens.revoke_token(session, row.id)
    response = client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_bad_token_never_falls_back_to_the_session(client: FlaskClient, customer: Account) -> None:
    log_in(client, customer)
    assert client.get("/api/v1/users/me").status_code == 200
    for header in ("Bearer sf_made-up", "Bearer ", "Bearer not-even-ours"):
        response = client.get("/api/v1/users/me", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_bad_token_is_refused_on_public_operations_too(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/users",
        json={"email": "a@example.com", "password": PASSWORD},
        headers=bearer("sf_made-up"),
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_token"


def test_bearer_requests_need_no_csrf(app: Flask, client: FlaskClient, customer: Account) -> None:
    token = issue_token(app, customer)
    response = client.delete("/api/v1/tokens/999", headers=bearer(token))
    assert response.status_code == 404  # reached the view: no csrf_failed


def test_anonymised_account_tokens_stop_working(
    app: Flask, client: FlaskClient, customer: Account
) -> None:
    token = issue_token(app, customer)
    with services(app).db.session_scope(write=True) as session:
        from storefront.db import utcnow

        row = session.get(Customer, customer.id)
        assert row is not None
        row.anonymised_at = utcnow()
    assert client.get("/api/v1/users/me", headers=bearer(token)).status_code == 401


def test_deleting_the_account_deletes_its_tokens(app: Flask, customer: Account) -> None:
    issue_token(app, customer)
    with services(app).db.session_scope(write=True) as session:
        row = session.get(Customer, customer.id)
        session.delete(row)
    with services(app).db.session_scope() as session:
        assert session.execute(select(ApiToken)).first() is None


# --- /tokens -----------------------------------------------------------------------------------
def test_session_user_mints_a_customer_token_that_works(
    client: FlaskClient, operator: Account
) -> None:
    log_in(client, operator)
    response = client.post(
        "/api/v1/tokens", json={"name": "my script"}, headers={"X-CSRFToken": csrf_token(client)}
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["role"] == "customer"  # never above customer from here, even for staff
    assert created["token"].startswith(created["token_prefix"])
    fresh = client.application.test_client()
    me = fresh.get("/api/v1/users/me", headers=bearer(created["token"])).get_json()
    assert (me["id"], me["effective_role"]) == (operator.id, "customer")
    listed = client.get("/api/v1/tokens").get_json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and listed[0]["token_prefix"] == created["token_prefix"]


def test_minting_needs_the_csrf_header(client: FlaskClient, customer: Account) -> None:
    log_in(client, customer)
    response = client.post("/api/v1/tokens", json={"name": "x"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_a_token_cannot_mint_tokens(app: Flask, client: FlaskClient, customer: Account) -> None:
    token = issue_token(app, customer)
    response = client.post("/api/v1/tokens", json={"name": "again"}, headers=bearer(token))
    assert response.status_code == 403
    assert "session" in response.get_json()["error"]["message"]


def test_mint_body_is_validated(client: FlaskClient, customer: Account) -> None:
    log_in(client, customer)
    headers = {"X-CSRFToken": csrf_token(client)}
    response = client.post("/api/v1/tokens", json={"name": "", "role": "admin"}, headers=headers)
    assert response.status_code == 422
    fields = {d["field"] for d in response.get_json()["error"]["details"]}
    assert fields == {"name", "role"}  # extra fields are refused here, not ignored


def test_revoke_own_token_only(app: Flask, client: FlaskClient, customer: Account) -> None:
    from tests.api.conftest import make_account

    other = make_account(app, "bob@example.com")
    mine = issue_token(app, customer)
    theirs = issue_token(app, other)
    with services(app).db.session_scope() as session:
        ids = {row.customer_id: row.id for row in session.execute(select(ApiToken)).scalars()}
    response = client.delete(f"/api/v1/tokens/{ids[other.id]}", headers=bearer(mine))
    assert response.status_code == 404
    assert client.get("/api/v1/users/me", headers=bearer(theirs)).status_code == 200
    response = client.delete(f"/api/v1/tokens/{ids[customer.id]}", headers=bearer(mine))
    assert response.status_code == 204 and response.data == b""
    assert client.get("/api/v1/users/me", headers=bearer(mine)).status_code == 401


def test_init_app_is_idempotent_and_puts_the_token_resolver_first(app: Flask) -> None:
    from storefront.web import api
    from storefront.web.api.bearer import bearer_user

    api.init_app(app)  # the fixture already did once
    resolvers = web_state(app).user_resolvers
    assert resolvers[0] is bearer_user and resolvers.count(bearer_user) == 1
    assert len(resolvers) >= 2  # the session resolver is still there, after it


def test_tokens_only_count_on_api_paths(app: Flask, client: FlaskClient, customer: Account) -> None:
    """Elsewhere the header is ignored: pages keep cookie login and CSRF as they were."""
    token = issue_token(app, customer)
    response = client.get("/account", headers=bearer(token))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
