"""The sync lease on SQLite and PostgreSQL: one holder, takeover only after expiry."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import delete

from storefront.db import Database, utcnow
from storefront.jobs.models import Lease as LeaseRow
from sync.lease import Lease, default_holder, read_lease
from tests.support.clocks import Instant


def test_first_claim_wins_and_a_second_process_idles(db: Database, clock: Instant) -> None:
    first = Lease(db, holder="a", ttl=90, clock=clock)
    second = Lease(db, holder="b", ttl=90, clock=clock)

    assert first.try_acquire()
    assert first.is_held()
    assert not second.try_acquire()
    assert not second.is_held()
    state = read_lease(db)
    assert state is not None
    assert (state.holder, state.expires_at) == ("a", clock.now + first.ttl)


def test_acquiring_again_renews_our_own_lease(db: Database, clock: Instant) -> None:
    lease = Lease(db, holder="a", ttl=90, clock=clock)
    assert lease.try_acquire()
    clock.advance(60)
    assert lease.try_acquire()
    assert lease.current().expires_at == clock.now + lease.ttl  # type: ignore[union-attr]


def test_a_crashed_holder_is_taken_over_after_ttl(db: Database, clock: Instant) -> None:
    crashed = Lease(db, holder="a", ttl=90, clock=clock)
    standby = Lease(db, holder="b", ttl=90, clock=clock)
    assert crashed.try_acquire()

    clock.advance(89)
    assert not standby.try_acquire()  # still live
    clock.advance(1)
    assert standby.try_acquire()  # lapsed exactly at ttl
    assert read_lease(db).holder == "b"  # type: ignore[union-attr]

    # The old holder comes back: it has lost the lease and cannot renew or release it.
    assert not crashed.renew()
    assert not crashed.is_held()
    assert not crashed.release()
    assert not crashed.try_acquire()


def test_renewal_before_expiry_keeps_the_standby_out(db: Database, clock: Instant) -> None:
    holder = Lease(db, holder="a", ttl=90, clock=clock)
    standby = Lease(db, holder="b", ttl=90, clock=clock)
    assert holder.try_acquire()
    for _ in range(5):
        clock.advance(30)
        assert holder.renew()
        assert not standby.try_acquire()
    assert holder.is_held()


def test_release_lets_the_standby_in_at_once(db: Database, clock: Instant) -> None:
    holder = Lease(db, holder="a", ttl=90, clock=clock)
    standby = Lease(db, holder="b", ttl=90, clock=clock)
    assert holder.try_acquire()
    assert holder.release()
    assert read_lease(db) is None
    assert standby.try_acquire()
    assert not holder.renew()  # renew never re-creates a released lease


def test_leases_with_different_names_are_independent(db: Database, clock: Instant) -> None:
    assert Lease(db, "sync", holder="a", clock=clock).try_acquire()
    assert Lease(db, "other", holder="b", clock=clock).try_acquire()


def _race(db: Database, threads_n: int = 6) -> list[str]:
    """``threads_n`` threads, each with its own connection, call try_acquire at once."""
    barrier = threading.Barrier(threads_n)
    wins: list[str] = []
    errors: list[BaseException] = []

    def contend(name: str) -> None:
        lease = Lease(db, holder=name, ttl=60)
        barrier.wait()
        try:
            if lease.try_acquire():
                wins.append(name)
        except BaseException as exc:  # surfaced below, not swallowed
            errors.append(exc)

    workers = [threading.Thread(target=contend, args=(f"t{i}",)) for i in range(threads_n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    return wins


def test_concurrent_acquire_of_a_free_lease_has_exactly_one_winner(db: Database) -> None:
    for _ in range(3):
        assert len(_race(db)) == 1
        assert read_lease(db) is not None
        with db.session_scope(write=True) as session:
            session.execute(delete(LeaseRow))


def test_concurrent_takeover_of_an_expired_lease_has_exactly_one_winner(db: Database) -> None:
    past = Instant(utcnow() - timedelta(hours=1))
    for _ in range(3):
        with db.session_scope(write=True) as session:
            session.execute(delete(LeaseRow))
        assert Lease(db, holder="crashed", ttl=60, clock=past).try_acquire()  # long expired
        wins = _race(db)
        assert len(wins) == 1
        assert read_lease(db).holder == wins[0]  # type: ignore[union-attr]


def test_concurrent_acquire_of_a_live_lease_has_no_winner(db: Database) -> None:
    assert Lease(db, holder="leader", ttl=60).try_acquire()
    assert _race(db) == []
    assert read_lease(db).holder == "leader"  # type: ignore[union-attr]


def test_default_holder_names_host_pid_and_a_random_part() -> None:
    a, b = default_holder(), default_holder()
    assert a != b
    assert len(a.split(":")) >= 3
