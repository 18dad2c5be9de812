import json

from storefront.app import create_app
from tests.conftest import make_settings


def test_healthz(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_readyz_reports_the_database(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/readyz")
    assert resp.status_code == 200
    assert resp.get_json()["checks"]["database"] == {"status": "up"}


def test_readyz_is_503_when_the_database_is_down(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
        data_dir=tmp_path,
    )
    app = create_app(settings)
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["status"] == "down"


def test_home_page_renders(client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/")
    assert resp.status_code == 200
    assert '<html lang="en">' in resp.get_data(as_text=True)


def test_request_id_is_echoed_or_made(client) -> None:  # type: ignore[no-untyped-def]
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] != "bad id with spaces"
    assert len(made.headers["X-Request-ID"]) == 32


def test_one_json_log_line_per_request(tmp_path, sqlite_url, capfd) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(database_url=sqlite_url, data_dir=tmp_path, log_level="INFO"))
    capfd.readouterr()
    app.test_client().get("/healthz?x=1", headers={"X-Request-ID": "req-42"})
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.strip()]
    access = [line for line in lines if line.get("logger") == "storefront.access"]
    assert len(access) == 1
    entry = access[0]
    assert entry["method"] == "GET"
    assert entry["path"] == "/healthz"
    assert entry["status"] == 200
    assert entry["request_id"] == "req-42"
    assert isinstance(entry["duration_ms"], float)
