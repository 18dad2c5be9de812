"""Personal data is not readable in the database's own bytes — over real HTTP, both databases.

A shopper with a marker name, e-mail, street and phone registers, saves an address, signs up
for the newsletter, checks out and pays with Stripe (the emulator's signed webhook comes
back over HTTP and is stored, the confirmation e-mail waits in the outbox). Then the raw
SQLite files (main file and write-ahead log) or a ``pg_dump`` of the PostgreSQL database are
searched for every marker: none may be found. The control: one subscriber written through an
engine whose cipher lets values through unsealed, and the same scan finds it — so a scan
that sees nothing has looked where the data is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from storefront.db import Database
from storefront.newsletter.models import Subscriber
from storefront.orders.models import Order
from storefront.orders.states import OrderStatus
from tests.support.devstack import DevStack, dev_stack
from tests.support.fieldcrypt import TEST_KEYS, PlaintextCipher

EMAIL = "Zephyrine.Quillfeather@Example.org"
NAME = "Zephyrine Quillfeather"
STREET = "Marmotweg 77"
PHONE = "+49 30 5550199"
#: What must not appear in the stored bytes (compared in lower case).
MARKERS = ("zephyrine", "quillfeather", "marmotweg", "5550199")
PRODUCT = "compost-happens"


def _field(html: str, name: str, suffix: str = "") -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"{suffix}', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def _shop_as_the_marker(stack: DevStack) -> None:
    """Register, save an address, sign up for the newsletter, check out, pay: all over HTTP."""
    with httpx.Client(
        base_url=stack.url, headers={"Origin": stack.url}, timeout=60, follow_redirects=False
    ) as browser:
        registered = browser.post(
            "/register", data={"email": EMAIL, "password": "correct horse battery", "name": NAME}
        )
        assert registered.status_code in (302, 303), registered.text[:500]
        page = browser.get("/account/addresses").text
        saved = browser.post(
            "/account/addresses",
            data={
                "csrf_token": _field(page, "csrf_token"),
                "first_name": "Zephyrine",
                "last_name": "Quillfeather",
                "line1": STREET,
                "city": "Berlin",
                "post_code": "10435",
                "country": "DE",
                "phone": PHONE,
            },
        )
        assert saved.status_code == 303, saved.text[:500]
        token = _field(browser.get("/").text, "csrf_token")
        signed_up = browser.post("/newsletter", data={"email": EMAIL, "csrf_token": token})
        assert signed_up.status_code == 200, signed_up.text[:500]

        product = browser.get(f"/products/{PRODUCT}").text
        added = browser.post(
            "/cart/add",
            data={
                "product_id": _field(product, "product_id"),
                "variant_key": _field(product, "variant_key", " checked"),
                "quantity": "1",
                "csrf_token": _field(product, "csrf_token"),
            },
        )
        assert added.status_code == 303, added.text[:500]
        form = browser.get("/checkout").text
        paying = browser.post(
            "/checkout",
            data={
                "csrf_token": _field(form, "csrf_token"),
                "checkout_key": _field(form, "checkout_key"),
                "email": EMAIL,
                "first_name": "Zephyrine",
                "last_name": "Quillfeather",
                "address_line1": STREET,
                "city": "Berlin",
                "post_code": "10435",
                "country": "DE",
                "phone": PHONE,
                "shipping_method": _field(form, "shipping_method", " checked"),
                "provider": "stripe",
            },
        )
        assert paying.status_code == 303, paying.text[:500]
        pay_page_url = paying.headers["location"]
        pay_page = browser.get(pay_page_url)
        assert pay_page.status_code == 200, pay_page.text[:500]
        action = re.search(r'<form method="post" action="([^"]+)"', pay_page.text)
        assert action, pay_page.text[:500]
        paid = browser.post(httpx.URL(pay_page_url).join(action.group(1)), data={"action": "pay"})
        assert paid.status_code < 400, paid.text[:500]

    db = Database(stack.settings.database_url, cipher=stack.settings.field_cipher)
    deadline = time.monotonic() + 120  # a safety net only: the webhook normally lands at once
    while True:
        with db.session_scope() as session:
            status = session.scalar(select(Order.status))
        if status == OrderStatus.PAID or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    db.dispose()
    assert status == OrderStatus.PAID, "the Stripe webhook never marked the order paid"


def _stored_bytes(url: str) -> bytes:
    """Everything the database keeps on disk (SQLite) or would hand a backup (``pg_dump``)."""
    if url.startswith("sqlite"):
        main = Path(make_url(url).database or "")
        files = sorted(main.parent.glob(main.name + "*"))  # the file, its -wal and -shm
        assert main in files
        return b"".join(f.read_bytes() for f in files)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is not on the PATH (it comes with the PostgreSQL client)")
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    done = subprocess.run(
        [pg_dump, "--no-owner", "--data-only", dsn],
        capture_output=True,
        check=True,
        timeout=120,
        env={**os.environ, "PGCONNECT_TIMEOUT": "30"},
    )
    assert b"COPY public.customers" in done.stdout, done.stdout[:500]
    return done.stdout


def _hits(raw: bytes) -> dict[str, int]:
    lowered = raw.lower()
    return {m: lowered.count(m.encode()) for m in MARKERS if m.encode() in lowered}


def test_no_marker_of_a_shopper_is_stored_readable(db_url: str, tmp_path: Path) -> None:
    with dev_stack(db_url, tmp_path / "var", data_keys=TEST_KEYS) as stack:
        _shop_as_the_marker(stack)
        db = Database(db_url, cipher=stack.settings.field_cipher)
        with db.session_scope() as session:  # it is all there, and opens with the keys
            order = session.execute(select(Order)).scalar_one()
            assert (order.email, order.shipping_address["phone"]) == (EMAIL.lower(), PHONE)
            assert session.scalar(select(Subscriber.email)) == EMAIL.lower()
        db.dispose()
    assert _hits(_stored_bytes(db_url)) == {}

    # The control: a value that bypasses encryption is found by the very same scan.
    bypass = Database(db_url, cipher=PlaintextCipher())
    with bypass.session_scope(write=True) as session:
        session.add(Subscriber(email="marmotweg.control@example.org", status="pending"))
    bypass.dispose()
    assert _hits(_stored_bytes(db_url)) == {"marmotweg": 1}
