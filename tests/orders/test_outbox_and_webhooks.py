import threading
from datetime import timedelta

from sqlalchemy import func, select

from storefront.db import Database, utcnow
from storefront.inbox.models import WebhookEvent
from storefront.inbox.services import record_delivery
from storefront.outbox import services as outbox
from storefront.outbox.models import OutboxEntry


def test_webhook_event_recorded_once(db_url: str) -> None:
    db = Database(db_url)
    results = []
    for _ in range(3):
        with db.session_scope() as session:
            results.append(
                record_delivery(
                    session, "stripe", "evt_1", "checkout.session.completed", {"id": "evt_1"}
                )
            )
    assert results == [True, False, False]
    with db.session_scope() as session:
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    db.dispose()


def test_webhook_record_rolls_back_with_the_work(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.session_scope() as session:
            record_delivery(session, "paypal", "WH-1", "PAYMENT.CAPTURE.COMPLETED", {})
            raise RuntimeError("acting on the event failed")
    except RuntimeError:
        pass
    with db.session_scope() as session:
        assert record_delivery(session, "paypal", "WH-1", "PAYMENT.CAPTURE.COMPLETED", {})
    db.dispose()


def test_enqueue_is_idempotent_and_claim_leases(db_url: str) -> None:
    db = Database(db_url)
    with db.session_scope() as session:
        assert outbox.enqueue(session, "gelato.push", "SF-1", {"order_id": 1})
        assert not outbox.enqueue(session, "gelato.push", "SF-1", {"order_id": 1})
        outbox.enqueue(
            session,
            "gelato.push",
            "SF-2",
            {"order_id": 2},
            available_at=utcnow() + timedelta(hours=1),
        )
    first = outbox.claim(db, "gelato.push", "w1")
    assert [c.key for c in first] == ["SF-1"]
    assert outbox.claim(db, "gelato.push", "w2") == []  # leased to w1, SF-2 not due
    with db.session_scope() as session:
        outbox.mark_submitting(session, first[0].id)
    with db.session_scope() as session:
        outbox.complete(session, first[0].id)
    with db.session_scope() as session:
        row = session.execute(select(OutboxEntry).where(OutboxEntry.key == "SF-1")).scalar_one()
        assert row.status == "done"
        assert row.attempts == 1
    db.dispose()


def test_expired_lease_is_claimed_again_with_its_history(db_url: str) -> None:
    db = Database(db_url)
    with db.session_scope() as session:
        outbox.enqueue(session, "gelato.push", "SF-9", {})
    (entry,) = outbox.claim(db, "gelato.push", "crashing-worker", lease=timedelta(seconds=-1))
    with db.session_scope() as session:
        outbox.mark_submitting(session, entry.id)
    (again,) = outbox.claim(db, "gelato.push", "next-worker")
    assert again.status_before == "submitting"
    assert again.attempts == 1
    db.dispose()


def test_concurrent_claims_never_share_an_entry(db_url: str) -> None:
    db = Database(db_url)
    with db.session_scope() as session:
        for i in range(40):
            outbox.enqueue(session, "gelato.push", f"SF-{i}", {})
    got: list[list[str]] = [[] for _ in range(4)]

    def worker(n: int) -> None:
        while batch := outbox.claim(db, "gelato.push", f"w{n}", limit=3):
            got[n].extend(c.key for c in batch)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keys = [k for g in got for k in g]
    assert sorted(keys) == sorted(f"SF-{i}" for i in range(40))
    assert len(keys) == len(set(keys))
    db.dispose()


def test_park_and_requeue(db_url: str) -> None:
    db = Database(db_url)
    with db.session_scope() as session:
        outbox.enqueue(session, "gelato.push", "SF-5", {})
    (entry,) = outbox.claim(db, "gelato.push", "w")
    with db.session_scope() as session:
        outbox.park(session, entry.id, "400: addressLine1 too long")
    assert outbox.claim(db, "gelato.push", "w") == []
    with db.session_scope() as session:
        assert outbox.requeue(session, "gelato.push", "SF-5")
    assert [c.key for c in outbox.claim(db, "gelato.push", "w")] == ["SF-5"]
    db.dispose()
