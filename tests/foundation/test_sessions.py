"""One database session per thread at a time (see ``storefront/db.py``)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from storefront.db import Database, NestedSession


def test_a_second_session_in_the_same_thread_is_refused(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with db.session_scope() as session:
        with pytest.raises(NestedSession, match=r"test_sessions\.py"), db.session_scope():
            pass  # pragma: no cover - never entered
        assert session.execute(text("SELECT 1")).scalar() == 1  # the first one still works
    with db.session_scope(write=True) as session:  # released after the block, error or not
        assert session.execute(text("SELECT 1")).scalar() == 1
    db.dispose()


def test_other_threads_have_their_own_session(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    seen: list[int] = []
    inside = threading.Event()
    with db.session_scope():

        def other() -> None:
            with db.session_scope() as session:
                seen.append(session.execute(text("SELECT 2")).scalar_one())
            inside.set()

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert inside.is_set() and seen == [2]
    db.dispose()


def test_the_hold_is_released_after_an_error(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with pytest.raises(ZeroDivisionError), db.session_scope():
        _ = 1 / 0
    with db.session_scope() as session:
        assert session.execute(text("SELECT 3")).scalar() == 3
    db.dispose()
