import subprocess
import sys
from pathlib import Path

import pytest

from storefront.cli import main
from storefront.config import DEV_SECRET_KEY, ConfigError, load_settings
from storefront.crypto import DEV_DATA_KEYS
from tests.conftest import make_settings

REPO = Path(__file__).resolve().parents[2]

GOOD_PRODUCTION = {
    "STOREFRONT_ENV": "production",
    "SECRET_KEY": "x" * 40,
    "BASE_URL": "https://shop.example",
    "DATABASE_URL": "postgresql://shop@db/shop",
    "SANITY_PROJECT_ID": "abc123",
    "SANITY_WEBHOOK_SECRET": "s1",
    "STRIPE_API_KEY": "sk_live_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
    "PAYPAL_CLIENT_SECRET": "pp",
    "PAYPAL_WEBHOOK_ID": "WH-5JS12345AB678901C",
    "GELATO_API_KEY": "g",
    "GELATO_WEBHOOK_SECRET": "gw",
    "MAILCHIMP_API_KEY": "k-us21",
    "MAILCHIMP_WEBHOOK_SECRET": "mw",
    "SMTP_URL": "smtp://mail.example:587",
    "DATA_KEYS": "k1:" + "A" * 43 + "=",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for key in GOOD_PRODUCTION:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def test_embedded_defaults_point_at_local_emulators(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.sanity_live_url == "http://127.0.0.1:8000/_emulators/sanity"
    assert settings.stripe_base == "http://127.0.0.1:8000/_emulators/stripe"
    assert settings.gelato_order_type == "draft"


def test_production_with_real_settings_derives_real_hosts(clean_env: pytest.MonkeyPatch) -> None:
    for key, value in GOOD_PRODUCTION.items():
        clean_env.setenv(key, value)
    settings = load_settings()
    assert settings.database_url == "postgresql+psycopg://shop@db/shop"
    assert settings.sanity_live_url == "https://abc123.api.sanity.io"
    assert settings.sanity_public_url == "https://abc123.apicdn.sanity.io"
    assert settings.stripe_base == "https://api.stripe.com"
    assert settings.mailchimp_base == "https://us21.api.mailchimp.com/3.0"
    assert settings.gelato_base is None


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"SECRET_KEY": DEV_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"BASE_URL": "http://shop.example"}, "BASE_URL"),
        ({"STRIPE_API_KEY": "sk_test_local"}, "STRIPE_API_KEY"),
        ({"PAYPAL_WEBHOOK_ID": "WH-LOCAL"}, "PAYPAL_WEBHOOK_ID"),
        ({"PAYPAL_CERT_PINS": "not-a-fingerprint"}, "PAYPAL_CERT_PINS"),
        ({"SANITY_PROJECT_ID": "local"}, "SANITY_PROJECT_ID"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"STOREFRONT_ENV": "staging"}, "STOREFRONT_ENV"),
        ({"CONTENT_CACHE_TTL": "soon"}, "CONTENT_CACHE_TTL"),
        ({"DATA_KEYS": ""}, "DATA_KEYS"),
        ({"DATA_KEYS": DEV_DATA_KEYS}, "DATA_KEYS"),
        ({"DATA_KEYS": "k1:c2hvcnQ="}, "DATA_KEYS"),
        ({"BACKUP_URL": "s3:///no-bucket"}, "BACKUP_URL"),
        ({"SYNC_BACKUP_INTERVAL": "3600", "BACKUP_MAX_AGE": "600"}, "BACKUP_MAX_AGE"),
    ],
)
def test_bad_production_setting_is_named(
    clean_env: pytest.MonkeyPatch, change: dict[str, str], named: str
) -> None:
    for key, value in {**GOOD_PRODUCTION, **change}.items():
        clean_env.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(f"{named}:")
    assert "\n" not in str(info.value)


def test_cli_prints_one_line_for_a_bad_setting(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("DATABASE_URL", "mysql://nope")
    with pytest.raises(SystemExit) as info:
        main(["db", "upgrade"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "storefront: configuration error: DATABASE_URL: must be a sqlite:/// or "
        "postgresql+psycopg:// URL"
    ]


def test_wsgi_refuses_the_development_secret_in_production(tmp_path: Path) -> None:
    env = {**GOOD_PRODUCTION, "SECRET_KEY": DEV_SECRET_KEY, "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "storefront: configuration error: SECRET_KEY: set a random value of 32+ characters "
        "for production"
    ]


def test_secrets_are_not_printed_in_repr() -> None:
    settings = make_settings(stripe_api_key="sk_live_very_secret")
    assert "sk_live_very_secret" not in repr(settings)
