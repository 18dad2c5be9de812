"""``storefront keys status | rotate`` through the installed console script: a rotation in
parts (stopped after one batch, then run again) moves every sealed value and blind index to
the newest key, lookups by e-mail work all along, and the old key can then be dropped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront import migrate
from storefront.accounts import services as accounts
from storefront.accounts.models import Address
from storefront.crypto import KeyRing
from storefront.db import Database
from storefront.fieldcrypt import FieldCipher
from storefront.inbox.services import record_delivery
from storefront.models import metadata
from storefront.newsletter import services as newsletter
from storefront.orders.models import Order
from storefront.rotation import columns, pending, rotate
from tests.cli.support import console_env, storefront
from tests.support.fieldcrypt import key

K1, K2 = key("k1"), key("k2")
PEOPLE = [f"person{n}@example.com" for n in range(4)]


def _cipher(keys: str) -> FieldCipher:
    return FieldCipher(KeyRing.parse(keys))


def _fill(url: str, keys: str) -> None:
    db = Database(url, cipher=_cipher(keys))
    with db.session_scope(write=True) as session:
        for n, email in enumerate(PEOPLE):
            customer = accounts.register(session, email, "correct horse battery", f"Person {n}")
            session.add(
                Address(customer_id=customer.id, first_name="P", last_name=f"N{n}", line1="Weg 1",
                        city="Berlin", post_code="10435", country="DE", phone="+49 30 1")
            )  # fmt: skip
            newsletter.sign_up(session, email, source="t", confirm_link="x")
            session.add(
                Order(number=f"SF-{n}", email=email, status="paid", currency="EUR",
                      subtotal_amount=1, shipping_amount=0, total_amount=1,
                      shipping_address={"first_name": "P", "last_name": f"N{n}"})
            )  # fmt: skip
            record_delivery(session, "stripe", f"evt_{n}", "x", {"customer_email": email})
    db.dispose()


def _everything_opens(url: str, keys: str) -> None:
    db = Database(url, cipher=_cipher(keys))
    with db.session_scope() as session:
        for email in PEOPLE:
            assert accounts.find_by_email(session, email.upper()) is not None
            assert newsletter.find(session, email) is not None
        assert len(session.execute(select(Order)).scalars().all()) == len(PEOPLE)
        assert [a.last_name for a in session.execute(select(Address)).scalars()] == [
            f"N{n}" for n in range(len(PEOPLE))
        ]
    db.dispose()


@pytest.fixture
def url(tmp_path: Path) -> str:
    found = f"sqlite:///{tmp_path / 'keys.db'}"
    migrate.upgrade(found, cipher=_cipher(K1))
    _fill(found, K1)
    return found


def _count(output: str, column: str) -> list[int]:
    line = next(li for li in output.splitlines() if li.startswith(column + "\t"))
    return [int(n) for n in line.split("\t")[1:]]


def test_rotate_in_parts_through_the_console_script(url: str, tmp_path: Path) -> None:
    env = console_env(tmp_path / "var", DATABASE_URL=url, STOREFRONT_ENV="test",
                      DATA_KEYS=f"{K2},{K1}")  # fmt: skip
    run = lambda *args: storefront("keys", *args, env=env, cwd=tmp_path)  # noqa: E731

    before = run("status")
    assert before.returncode == 0, before.stderr
    assert _count(before.stdout, "customers.email") == [0, len(PEOPLE), 0]  # k2, k1, unknown
    assert _count(before.stdout, "customers.email_index") == [0, len(PEOPLE), 0]
    assert "under older keys" in before.stdout

    db = Database(url, cipher=_cipher(f"{K2},{K1}"))
    total = pending(db, _cipher(f"{K2},{K1}"), metadata)
    db.dispose()
    part = run("rotate", "--batch-size", "2", "--max-batches", "1")
    assert part.returncode == 0, part.stderr
    assert "re-encrypting with k2" in part.stdout
    left = int(re.search(r"; (\d+) left", part.stdout).group(1))  # type: ignore[union-attr]
    assert 0 < left < total
    _everything_opens(url, f"{K2},{K1}")  # half rotated: every lookup still works

    rest = run("rotate")
    assert rest.returncode == 0, rest.stderr
    assert "; 0 left" in rest.stdout
    after = run("status")
    assert _count(after.stdout, "customers.email") == [len(PEOPLE), 0, 0]
    assert _count(after.stdout, "orders.shipping_address") == [len(PEOPLE), 0, 0]
    assert "every value is under the newest key (k2)" in after.stdout
    assert "nothing to do" in run("rotate").stdout

    _everything_opens(url, K2)  # the old key is no longer needed


def test_status_names_values_under_a_key_no_longer_listed(url: str, tmp_path: Path) -> None:
    env = console_env(tmp_path / "var", DATABASE_URL=url, STOREFRONT_ENV="test", DATA_KEYS=K2)
    shown = storefront("keys", "status", env=env, cwd=tmp_path)
    assert _count(shown.stdout, "newsletter_subscribers.email") == [0, len(PEOPLE)]
    assert "DATA_KEYS does not list: add it back" in shown.stdout
    refused = storefront("keys", "rotate", env=env, cwd=tmp_path)
    assert refused.returncode == 1
    assert "'k1', which DATA_KEYS does not hold" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_stopped_batch_leaves_nothing_half_done(url: str) -> None:
    """An error inside a batch rolls that batch back; what was committed stays; a rerun ends."""
    db = Database(url, cipher=_cipher(f"{K2},{K1}"))
    cipher = _cipher(f"{K2},{K1}")
    total = pending(db, cipher, metadata)
    seen: list[int] = []

    def stop_after_first(n: int) -> None:
        seen.append(n)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rotate(db, cipher, metadata, batch_size=3, on_batch=stop_after_first)
    assert pending(db, cipher, metadata) == total - seen[0] > 0
    assert rotate(db, cipher, metadata) == total - seen[0]
    assert pending(db, cipher, metadata) == 0
    assert {c.label for c in columns(metadata)} >= {
        "customers.email", "customers.email_index", "addresses.phone", "orders.email_index",
        "webhook_events.payload", "outbox.payload",
    }  # fmt: skip
    db.dispose()
    _everything_opens(url, K2)
