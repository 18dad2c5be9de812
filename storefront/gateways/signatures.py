"""Webhook signature checks for Stripe and PayPal — the one place each rule lives.

Both work on the raw request bytes (never re-serialised JSON) and both refuse a message
whose signed time lies more than five minutes from our clock, in either direction: Stripe's
timestamp and PayPal's transmission time are signed, so a message dated ahead would
otherwise be a replay kept for later. (Stripe's own libraries refuse only old timestamps,
and PayPal documents no window at all.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from storefront.gateways.port import SignatureError
from storefront.signing import secrets_match

STRIPE_TOLERANCE = 300
PAYPAL_TOLERANCE = 300
PAYPAL_CERT_HOSTS = ("paypal.com",)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def verify_stripe_signature(
    payload: bytes,
    header: str | None,
    secret: str,
    *,
    tolerance: int = STRIPE_TOLERANCE,
    now: float | None = None,
) -> int:
    """Check ``Stripe-Signature`` (``t=…,v1=…[,v1=…]``); returns the signed timestamp.

    Any ``v1`` may match (several are sent while a secret rotates); other schemes are
    ignored. A timestamp more than ``tolerance`` seconds in the past or the future is
    refused — tolerance must be positive, a zero would silently switch the replay
    protection off.
    """
    if tolerance <= 0:
        raise ValueError("tolerance must be positive")
    if not header:
        raise SignatureError("missing Stripe-Signature header", provider="stripe")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError(
                    "bad timestamp in Stripe-Signature", provider="stripe"
                ) from None
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("Stripe-Signature has no t= or v1=", provider="stripe")
    signed = f"{timestamp}.".encode() + payload
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(secrets_match(candidate, expected) for candidate in candidates):
        raise SignatureError("Stripe signature does not match the payload", provider="stripe")
    current = time.time() if now is None else now
    if timestamp < current - tolerance:
        raise SignatureError("Stripe signature timestamp is too old", provider="stripe")
    if timestamp > current + tolerance:
        raise SignatureError("Stripe signature timestamp is in the future", provider="stripe")
    return timestamp


def paypal_message(
    transmission_id: str, transmission_time: str, webhook_id: str, payload: bytes
) -> bytes:
    """What PayPal signs: ``id|time|webhook_id|crc32(raw body) as unsigned decimal``."""
    crc = zlib.crc32(payload) & 0xFFFFFFFF
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}".encode()


def cert_fingerprint(certificate: x509.Certificate | bytes) -> str:
    """SHA-256 of a certificate's DER bytes as 64 lower-case hex digits (a PEM is loaded)."""
    if isinstance(certificate, bytes):
        certificate = x509.load_pem_x509_certificate(certificate)
    return certificate.fingerprint(hashes.SHA256()).hex()


def _loopback(url: str) -> bool:
    """Served from this machine (``urlsplit`` gives the host name in lower case)."""
    return urlsplit(url).hostname in LOOPBACK_HOSTS


def cert_host_allowed(url: str, allowed_hosts: Iterable[str]) -> bool:
    """https on an allowed host or its subdomains; plain http only for loopback test hosts.
    A URL without a host, and a blank entry in the list, allow nothing."""
    parts = urlsplit(url)
    host = parts.hostname
    if host is None:
        return False
    for allowed in allowed_hosts:
        allowed = allowed.lower().strip()
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return parts.scheme == "https" or (parts.scheme == "http" and _loopback(url))
    return False


class PayPalVerifier:
    """PayPal's self-verification: fetch the cert (allow-listed host, cached by URL), check
    the RSA-SHA256 PKCS#1 v1.5 signature over :func:`paypal_message` and the time window.

    ``cert_pins`` (SHA-256 fingerprints, :func:`cert_fingerprint`): when given, only those
    certificates are trusted, wherever they are served. A certificate served from this
    machine (an emulator on 127.0.0.1) is trusted only when pinned: any local process can
    serve one, so the host alone proves nothing. Without pins, the https URL on PayPal's
    own host (TLS proves who serves it) and the certificate's validity period decide.

    ``fetch_cert(url) -> PEM bytes`` is injected by the adapter (it owns the HTTP client).
    """

    def __init__(
        self,
        webhook_id: str,
        fetch_cert: Callable[[str], bytes],
        *,
        allowed_cert_hosts: Iterable[str] = PAYPAL_CERT_HOSTS,
        tolerance: int = PAYPAL_TOLERANCE,
        cert_pins: Iterable[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.webhook_id = webhook_id
        self._fetch = fetch_cert
        self._allowed = tuple(allowed_cert_hosts)
        self._pins = frozenset(pin.replace(":", "").lower() for pin in cert_pins)
        self._tolerance = tolerance
        self._clock = clock
        self._certs: dict[str, x509.Certificate] = {}
        self._lock = threading.Lock()

    def verify(self, payload: bytes, headers: dict[str, str]) -> None:
        """Raise :class:`SignatureError` unless the headers prove PayPal sent ``payload``."""
        h = {k.lower(): v for k, v in headers.items()}
        transmission_id = h.get("paypal-transmission-id")
        transmission_time = h.get("paypal-transmission-time")
        signature = h.get("paypal-transmission-sig")
        cert_url = h.get("paypal-cert-url")
        algo = h.get("paypal-auth-algo")
        if not (transmission_id and transmission_time and signature and cert_url):
            raise SignatureError("missing PayPal transmission headers", provider="paypal")
        if algo != "SHA256withRSA":
            raise SignatureError(f"unsupported PayPal auth algo {algo!r}", provider="paypal")
        self._check_time(transmission_time)
        if not cert_host_allowed(cert_url, self._allowed):
            raise SignatureError("PayPal cert URL is not on an allowed host", provider="paypal")
        if _loopback(cert_url) and not self._pins:
            raise SignatureError(
                "a PayPal cert served from this machine is trusted only when pinned",
                provider="paypal",
            )
        certificate = self._certificate(cert_url)
        if self._pins and cert_fingerprint(certificate) not in self._pins:
            raise SignatureError("PayPal cert is not a pinned certificate", provider="paypal")
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise SignatureError("PayPal cert does not hold an RSA key", provider="paypal")
        try:
            raw_signature = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("PayPal signature is not base64", provider="paypal") from None
        message = paypal_message(transmission_id, transmission_time, self.webhook_id, payload)
        try:
            public_key.verify(raw_signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise SignatureError(
                "PayPal signature does not match the payload", provider="paypal"
            ) from None

    def _check_time(self, value: str) -> None:
        try:
            sent = datetime.fromisoformat(value)  # Python 3.11+ reads a trailing "Z"
        except ValueError:
            raise SignatureError("bad PAYPAL-TRANSMISSION-TIME", provider="paypal") from None
        if sent.tzinfo is None:
            raise SignatureError("PAYPAL-TRANSMISSION-TIME has no timezone", provider="paypal")
        if abs(self._clock() - sent.timestamp()) > self._tolerance:
            raise SignatureError(
                "PayPal transmission is outside the time window", provider="paypal"
            )

    def _certificate(self, url: str) -> x509.Certificate:
        with self._lock:
            cached = self._certs.get(url)
        if cached is not None:
            return cached
        try:
            certificate = x509.load_pem_x509_certificate(self._fetch(url))
        except ValueError:
            raise SignatureError(
                "PayPal cert is not a PEM certificate", provider="paypal"
            ) from None
        now = datetime.fromtimestamp(self._clock(), UTC)
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise SignatureError("PayPal cert is outside its validity period", provider="paypal")
        with self._lock:
            self._certs[url] = certificate
        return certificate
