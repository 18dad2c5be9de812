"""How the PayPal emulator signs webhooks: its own RSA key and a self-signed X.509 cert,
served like PayPal's at ``/v1/notifications/certs/<name>`` and named in ``PAYPAL-CERT-URL``;
and how it checks them again for ``POST /v1/notifications/verify-webhook-signature``, the
postback many integrations use instead of checking the certificate themselves
(https://developer.paypal.com/api/webhooks/v1/#verify-webhook-signature_post).

The signed message is ``<transmission id>|<transmission time>|<webhook id>|<CRC32 of the
body, decimal>`` (SHA256withRSA), as PayPal documents for self-verification
(https://developer.paypal.com/api/rest/webhooks/rest/#link-selfverificationmethod).
"""

from __future__ import annotations

import base64
import threading
import uuid
import zlib
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


class WebhookSigner:
    """Key and cert are made on first use (a 2048-bit key takes a moment)."""

    def __init__(self, cert_name: str | None = None) -> None:
        self.cert_name = cert_name or f"CERT-360caa42-fca2a594-{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()
        self._key: rsa.RSAPrivateKey | None = None
        self._cert_pem: bytes | None = None

    def _ensure(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                name = x509.Name(
                    [
                        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PayPal emulator"),
                        x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts.local"),
                    ]
                )
                now = datetime.now(UTC)
                cert = (
                    x509.CertificateBuilder()
                    .subject_name(name)
                    .issuer_name(name)
                    .public_key(key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now - timedelta(days=1))
                    .not_valid_after(now + timedelta(days=365))
                    .sign(key, hashes.SHA256())
                )
                self._key = key
                self._cert_pem = cert.public_bytes(serialization.Encoding.PEM)
            return self._key

    @property
    def cert_pem(self) -> bytes:
        self._ensure()
        assert self._cert_pem is not None
        return self._cert_pem

    def headers(
        self, body: bytes, *, webhook_id: str, cert_url: str, now: datetime | None = None
    ) -> dict[str, str]:
        """The transmission headers PayPal sends with a webhook POST."""
        key = self._ensure()
        transmission_id = str(uuid.uuid1())
        when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        message = self.message(transmission_id, when, webhook_id, body)
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "Content-Type": "application/json",
            "User-Agent": "PayPal/AUHD-214.0-58843103",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": when,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-CERT-URL": cert_url,
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-AUTH-VERSION": "v2",
        }

    @staticmethod
    def message(transmission_id: str, when: str, webhook_id: str, body: bytes) -> bytes:
        crc = zlib.crc32(body) & 0xFFFFFFFF
        return f"{transmission_id}|{when}|{webhook_id}|{crc}".encode()

    def verify(
        self, *, transmission_id: str, when: str, webhook_id: str, body: bytes, signature: str
    ) -> bool:
        """Whether ``signature`` (base64) is ours over this transmission of ``body``."""
        key = self._ensure()
        try:
            raw = base64.b64decode(signature, validate=True)
            key.public_key().verify(
                raw,
                self.message(transmission_id, when, webhook_id, body),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True
