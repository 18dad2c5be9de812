"""Building blocks shared by every wire-level emulator (Stripe, PayPal, Gelato, Mailchimp…).

* :class:`FaultInjector` (:mod:`.faults`) — "the next N requests to this route answer 503 /
  hang / answer only after the state was stored" (the *did it happen?* case).
* :class:`WebhookQueue` (:mod:`.webhooks`) — outgoing webhooks through an injectable sender,
  with drops, duplicates, holds (delay) and out-of-order flushes; records every attempt so an
  emulator can answer "which events were never delivered?".
* :func:`control_blueprint` (:mod:`.control`) — the small ``/_emulator/...`` HTTP control API
  for the dev shop and browser tests (the same operations as the Python methods).
* :class:`LiveServer` (:mod:`.server`) — any WSGI app on 127.0.0.1, a free port, in a daemon
  thread.

Nothing here knows about a particular provider: an emulator passes in how its errors look.
"""

from __future__ import annotations

import secrets

from emulators.common.control import Command, control_blueprint
from emulators.common.faults import (
    FAULT_KINDS,
    ErrorRenderer,
    Fault,
    FaultInjector,
    FaultKind,
)
from emulators.common.server import LiveServer
from emulators.common.webhooks import (
    WebhookAttempt,
    WebhookQueue,
    WebhookSender,
    WSGIApp,
    httpx_sender,
    wsgi_sender,
)

_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def new_id(prefix: str, length: int = 24) -> str:
    """A random provider-looking id such as ``cs_test_a1B2…`` (letters and digits only)."""
    # One read of random bytes (not one per character); 256 % 62 skews the letters a little,
    # which no test or id check can tell.
    return prefix + "".join(_ALPHABET[b % 62] for b in secrets.token_bytes(length))


__all__ = [
    "FAULT_KINDS",
    "Command",
    "ErrorRenderer",
    "Fault",
    "FaultInjector",
    "FaultKind",
    "LiveServer",
    "WSGIApp",
    "WebhookAttempt",
    "WebhookQueue",
    "WebhookSender",
    "control_blueprint",
    "httpx_sender",
    "new_id",
    "wsgi_sender",
]
