"""The two webhook signature rules, exercised directly on their edges."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from emulators.paypal.signing import WebhookSigner
from emulators.stripe import sign_payload
from storefront.gateways.port import SignatureError
from storefront.gateways.signatures import (
    PayPalVerifier,
    cert_fingerprint,
    cert_host_allowed,
    verify_stripe_signature,
)

BODY = json.dumps({"id": "evt_1", "object": "event"}).encode()


def test_stripe_signature_window_is_five_minutes_either_way() -> None:
    now = int(time.time())
    assert verify_stripe_signature(BODY, sign_payload(BODY, "whsec_a", now), "whsec_a") == now
    later = sign_payload(BODY, "whsec_a", now + 30)  # a clock a little ahead of ours
    assert verify_stripe_signature(BODY, later, "whsec_a") == now + 30
    # Stripe's own check refuses only old timestamps; a future one would be a replay in wait.
    ahead = sign_payload(BODY, "whsec_a", 1000)
    assert verify_stripe_signature(BODY, ahead, "whsec_a", now=700) == 1000
    with pytest.raises(SignatureError, match="future"):
        verify_stripe_signature(BODY, ahead, "whsec_a", now=699)


@pytest.mark.parametrize(
    "header",
    ["", "t=abc,v1=00", "v1=00", "t=123", "garbage", "t=1,v0=00"],
)
def test_stripe_signature_refuses_malformed_headers(header: str) -> None:
    with pytest.raises(SignatureError):
        verify_stripe_signature(BODY, header, "whsec_a")


def test_stripe_signature_tolerance_cannot_be_switched_off() -> None:
    with pytest.raises(ValueError):
        verify_stripe_signature(BODY, "t=1,v1=00", "whsec_a", tolerance=0)
    old = sign_payload(BODY, "whsec_a", 1000)
    assert verify_stripe_signature(BODY, old, "whsec_a", now=1200) == 1000
    with pytest.raises(SignatureError, match="too old"):
        verify_stripe_signature(BODY, old, "whsec_a", now=1301)


@pytest.mark.parametrize(
    ("url", "hosts", "allowed"),
    [
        ("https://api.paypal.com/v1/notifications/certs/CERT-1", ("paypal.com",), True),
        ("https://paypal.com/cert", ("paypal.com",), True),
        ("http://api.paypal.com/cert", ("paypal.com",), False),  # never plain http
        ("https://paypal.com.evil.example/cert", ("paypal.com",), False),
        ("https://evilpaypal.com/cert", ("paypal.com",), False),
        ("http://127.0.0.1:8000/v1/notifications/certs/C", ("paypal.com",), False),
        ("http://127.0.0.1:8000/v1/notifications/certs/C", ("paypal.com", "127.0.0.1"), True),
        ("file:///etc/passwd", ("paypal.com",), False),
        # A blank entry (a stray comma in a hand-built list) allows nothing at all.
        ("https://evil.example./cert", ("paypal.com", ""), False),
        ("https:///cert", ("paypal.com", " "), False),
    ],
)
def test_cert_host_allow_list(url: str, hosts: tuple[str, ...], allowed: bool) -> None:
    assert cert_host_allowed(url, hosts) is allowed


CERT_URL = "https://api.paypal.com/v1/notifications/certs/CERT-test"


def verifier(
    pem: bytes,
    *,
    webhook_id: str = "WH-1",
    clock: float | None = None,
    hosts: tuple[str, ...] = ("paypal.com",),
    pins: tuple[str, ...] = (),
) -> PayPalVerifier:
    return PayPalVerifier(
        webhook_id,
        lambda _url: pem,
        allowed_cert_hosts=hosts,
        cert_pins=pins,
        clock=(lambda: clock) if clock is not None else time.time,
    )


def test_paypal_window_is_five_minutes_either_way() -> None:
    signer = WebhookSigner()
    sent = datetime.now(UTC).replace(microsecond=0)
    headers = signer.headers(BODY, webhook_id="WH-1", cert_url=CERT_URL, now=sent)
    for offset in (-300, 0, 300):
        verifier(signer.cert_pem, clock=sent.timestamp() + offset).verify(BODY, headers)
    for offset in (-301, 301, 360):
        with pytest.raises(SignatureError, match="time window"):
            verifier(signer.cert_pem, clock=sent.timestamp() + offset).verify(BODY, headers)


def refusal(check: PayPalVerifier, headers: dict[str, str]) -> tuple[str, str | None]:
    """What an operator reads in the log when ``check`` refuses the webhook."""
    with pytest.raises(SignatureError) as caught:
        check.verify(BODY, headers)
    return str(caught.value), caught.value.provider


def test_paypal_certs_from_this_machine_need_a_pin() -> None:
    signer, other = WebhookSigner(), WebhookSigner()
    local = "http://127.0.0.1:8000/v1/notifications/certs/CERT-local"
    headers = signer.headers(BODY, webhook_id="WH-1", cert_url=local)
    hosts = ("paypal.com", "127.0.0.1")
    assert refusal(verifier(signer.cert_pem, hosts=hosts), headers) == (
        "a PayPal cert served from this machine is trusted only when pinned",
        "paypal",
    )
    assert refusal(
        verifier(signer.cert_pem, hosts=hosts, pins=(cert_fingerprint(other.cert_pem),)),
        headers,
    ) == ("PayPal cert is not a pinned certificate", "paypal")
    pin = cert_fingerprint(signer.cert_pem)
    verifier(signer.cert_pem, hosts=hosts, pins=(pin,)).verify(BODY, headers)
    colons = ":".join(pin[i : i + 2] for i in range(0, 64, 2)).upper()
    verifier(signer.cert_pem, hosts=hosts, pins=(colons,)).verify(BODY, headers)
    # Pins bind PayPal's own host too: an unpinned cert is refused wherever it is served.
    with pytest.raises(SignatureError, match="not a pinned"):
        verifier(signer.cert_pem, pins=(cert_fingerprint(other.cert_pem),)).verify(
            BODY, signer.headers(BODY, webhook_id="WH-1", cert_url=CERT_URL)
        )


def test_paypal_verifier_accepts_the_emulators_signature() -> None:
    signer = WebhookSigner()
    headers = signer.headers(BODY, webhook_id="WH-1", cert_url=CERT_URL)
    verifier(signer.cert_pem).verify(BODY, headers)
    lower = {k.lower(): v for k, v in headers.items()}  # header case never matters
    verifier(signer.cert_pem).verify(BODY, lower)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PAYPAL-AUTH-ALGO": "SHA1withRSA"}, "unsupported"),
        ({"PAYPAL-TRANSMISSION-SIG": "***"}, "base64"),
        ({"PAYPAL-TRANSMISSION-TIME": "yesterday"}, "TRANSMISSION-TIME"),
        ({"PAYPAL-TRANSMISSION-TIME": "2026-01-01T00:00:00"}, "timezone"),
        ({"PAYPAL-TRANSMISSION-ID": "another-id"}, "does not match"),
    ],
)
def test_paypal_verifier_refuses_bad_headers(change: dict[str, str], message: str) -> None:
    signer = WebhookSigner()
    headers = {**signer.headers(BODY, webhook_id="WH-1", cert_url=CERT_URL), **change}
    with pytest.raises(SignatureError, match=message):
        verifier(signer.cert_pem).verify(BODY, headers)


def test_paypal_verifier_refuses_bad_and_expired_certs() -> None:
    signer = WebhookSigner()
    headers = signer.headers(BODY, webhook_id="WH-1", cert_url=CERT_URL)
    with pytest.raises(SignatureError, match="PEM"):
        verifier(b"not a cert").verify(BODY, headers)
    # A certificate past its validity, signing a message sent "now" by our clock.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old")])
    start = datetime(2020, 1, 1, tzinfo=UTC)
    old_cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=30))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )
    with pytest.raises(SignatureError, match="validity"):
        verifier(old_cert).verify(BODY, headers)


def test_gateways_build_from_settings_without_any_network() -> None:
    from storefront.config import Settings
    from storefront.gateways.paypal_gateway import PayPalGateway
    from storefront.gateways.stripe_gateway import StripeGateway

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, storefront_env="test", paypal_cert_hosts="paypal.com, 127.0.0.1"
    )
    stripe_gateway = StripeGateway.from_settings(settings)
    paypal_gateway = PayPalGateway.from_settings(settings)
    assert stripe_gateway.provider == "stripe" and paypal_gateway.provider == "paypal"
    assert paypal_gateway._client.base_url == settings.paypal_base
    assert paypal_gateway._verifier.webhook_id == settings.paypal_webhook_id


# --- every refusal says why, and names its provider (operators read these in the logs) ----
NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing Stripe-Signature header"),
        ("", "missing Stripe-Signature header"),
        ("t=abc,v1=00", "bad timestamp in Stripe-Signature"),
        ("t=1=2,v1=00", "bad timestamp in Stripe-Signature"),
        ("v1=00", "Stripe-Signature has no t= or v1="),
        ("t=123", "Stripe-Signature has no t= or v1="),
        (f"t={NOW},v1=00", "Stripe signature does not match the payload"),
        (sign_payload(BODY, "whsec_other", NOW), "Stripe signature does not match the payload"),
        (sign_payload(BODY, "whsec_a", NOW - 301), "Stripe signature timestamp is too old"),
        (
            sign_payload(BODY, "whsec_a", NOW + 301),
            "Stripe signature timestamp is in the future",
        ),
    ],
)
def test_stripe_refusals_say_why(header: str | None, message: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify_stripe_signature(BODY, header, "whsec_a", now=NOW)
    assert (str(caught.value), caught.value.provider) == (message, "stripe")


def test_stripe_tolerance_edges() -> None:
    with pytest.raises(ValueError, match=r"^tolerance must be positive$"):
        verify_stripe_signature(BODY, "t=1,v1=00", "whsec_a", tolerance=-5)
    exact = sign_payload(BODY, "whsec_a", NOW - 300)
    assert verify_stripe_signature(BODY, exact, "whsec_a", now=NOW) == NOW - 300
    one = sign_payload(BODY, "whsec_a", NOW - 1)
    assert verify_stripe_signature(BODY, one, "whsec_a", now=NOW, tolerance=1) == NOW - 1
    rotated = f"{sign_payload(BODY, 'whsec_old', NOW)},{sign_payload(BODY, 'whsec_a', NOW)}"
    assert verify_stripe_signature(BODY, rotated, "whsec_a", now=NOW) == NOW


@pytest.mark.parametrize(
    ("url", "hosts"),
    [("http://localhost:8000/c", ("localhost",)), ("http://[::1]:8000/c", ("::1",))],
)
def test_plain_http_certs_only_from_loopback_names(url: str, hosts: tuple[str, ...]) -> None:
    assert cert_host_allowed(url, hosts)
    assert not cert_host_allowed(url.replace("http:", "ftp:"), hosts)


def ec_cert() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PAYPAL-TRANSMISSION-ID": ""}, "missing PayPal transmission headers"),
        ({"PAYPAL-TRANSMISSION-TIME": ""}, "missing PayPal transmission headers"),
        ({"PAYPAL-TRANSMISSION-SIG": ""}, "missing PayPal transmission headers"),
        ({"PAYPAL-CERT-URL": ""}, "missing PayPal transmission headers"),
        ({"PAYPAL-AUTH-ALGO": "SHA1withRSA"}, "unsupported PayPal auth algo 'SHA1withRSA'"),
        ({"PAYPAL-AUTH-ALGO": ""}, "unsupported PayPal auth algo ''"),
        ({"PAYPAL-TRANSMISSION-TIME": "yesterday"}, "bad PAYPAL-TRANSMISSION-TIME"),
        (
            {"PAYPAL-TRANSMISSION-TIME": "2026-01-01T00:00:00"},
            "PAYPAL-TRANSMISSION-TIME has no timezone",
        ),
        (
            {"PAYPAL-TRANSMISSION-TIME": "2020-01-01T00:00:00Z"},
            "PayPal transmission is outside the time window",
        ),
        (
            {"PAYPAL-CERT-URL": "https://evil.example/cert"},
            "PayPal cert URL is not on an allowed host",
        ),
        ({"PAYPAL-TRANSMISSION-SIG": "***"}, "PayPal signature is not base64"),
        ({"PAYPAL-TRANSMISSION-ID": "other"}, "PayPal signature does not match the payload"),
    ],
)
def test_paypal_refusals_say_why(change: dict[str, str], message: str) -> None:
    signer = WebhookSigner()
    headers = {**signer.headers(BODY, webhook_id="WH-1", cert_url=CERT_URL), **change}
    with pytest.raises(SignatureError) as caught:
        verifier(signer.cert_pem).verify(BODY, headers)
    assert (str(caught.value), caught.value.provider) == (message, "paypal")


def test_paypal_refuses_other_certs_and_keeps_good_ones() -> None:
    signer = WebhookSigner()
    headers = signer.headers(BODY, webhook_id="WH-1", cert_url=CERT_URL)
    for pem, message in [
        (b"not a cert", "PayPal cert is not a PEM certificate"),
        (ec_cert(), "PayPal cert does not hold an RSA key"),
    ]:
        with pytest.raises(SignatureError) as caught:
            verifier(pem).verify(BODY, headers)
        assert (str(caught.value), caught.value.provider) == (message, "paypal")
    with pytest.raises(SignatureError) as caught:
        verifier(signer.cert_pem, webhook_id="WH-2").verify(BODY, headers)
    assert str(caught.value) == "PayPal signature does not match the payload"
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return signer.cert_pem

    cached = PayPalVerifier("WH-1", fetch)
    cached.verify(BODY, headers)
    cached.verify(BODY, signer.headers(BODY, webhook_id="WH-1", cert_url=CERT_URL))
    assert fetched == [CERT_URL]


def test_paypal_time_window_both_ways() -> None:
    signer = WebhookSigner()
    sent = datetime.fromtimestamp(NOW, UTC)
    headers = signer.headers(BODY, webhook_id="WH-1", cert_url=CERT_URL, now=sent)
    verifier(signer.cert_pem, clock=NOW + 300).verify(BODY, headers)
    verifier(signer.cert_pem, clock=NOW - 300).verify(BODY, headers)
    for clock in (NOW + 301, NOW - 301):
        with pytest.raises(SignatureError, match="outside the time window"):
            verifier(signer.cert_pem, clock=clock).verify(BODY, headers)


@pytest.mark.parametrize("local", ["http://localhost:8000/c", "http://[::1]:8000/c"])
def test_every_loopback_name_needs_a_pin(local: str) -> None:
    signer = WebhookSigner()
    headers = signer.headers(BODY, webhook_id="WH-1", cert_url=local)
    hosts = ("paypal.com", "localhost", "::1")
    assert refusal(verifier(signer.cert_pem, hosts=hosts), headers) == (
        "a PayPal cert served from this machine is trusted only when pinned",
        "paypal",
    )
    pinned = verifier(signer.cert_pem, hosts=hosts, pins=(cert_fingerprint(signer.cert_pem),))
    pinned.verify(BODY, headers)


def rsa_cert(key: rsa.RSAPrivateKey, not_before: datetime, not_after: datetime) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "paypal-test")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(3)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )


def signed_headers(key: rsa.RSAPrivateKey, sent: datetime) -> dict[str, str]:
    """PayPal's transmission headers for BODY, signed by ``key`` at ``sent``."""
    when = sent.strftime("%Y-%m-%dT%H:%M:%SZ")
    message = WebhookSigner.message("T-1", when, "WH-1", BODY)
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {
        "PAYPAL-TRANSMISSION-ID": "T-1",
        "PAYPAL-TRANSMISSION-TIME": when,
        "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
        "PAYPAL-CERT-URL": CERT_URL,
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
    }


def test_a_cert_is_good_through_both_ends_of_its_validity() -> None:
    # RFC 5280 4.1.2.5: valid from notBefore through notAfter, both included.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=30)
    pem = rsa_cert(key, start, end)
    for edge in (start, end):
        verifier(pem, clock=edge.timestamp()).verify(BODY, signed_headers(key, edge))
    for outside in (start - timedelta(seconds=1), end + timedelta(seconds=1)):
        check = verifier(pem, clock=outside.timestamp())
        assert refusal(check, signed_headers(key, outside)) == (
            "PayPal cert is outside its validity period",
            "paypal",
        )
