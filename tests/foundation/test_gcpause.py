"""The cycle collector is paused for the length of a batch job, and only for that."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from storefront.gcpause import collector_paused


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def failing_job(seen: list[bool]) -> None:
    with collector_paused():
        seen.append(gc.isenabled())
        raise RuntimeError("the job failed")


def test_paused_inside_and_running_again_after_even_on_error() -> None:
    seen: list[bool] = []
    with pytest.raises(RuntimeError):
        failing_job(seen)
    assert seen == [False]
    assert gc.isenabled()


def test_jobs_side_by_side_resume_it_when_the_last_ends() -> None:
    first_in, second_done = threading.Event(), threading.Event()
    seen: list[bool] = []

    def second() -> None:
        first_in.wait()
        with collector_paused():
            pass
        seen.append(gc.isenabled())  # the first job is still running
        second_done.set()

    other = threading.Thread(target=second)
    other.start()
    with collector_paused():
        first_in.set()
        second_done.wait()
    other.join()
    assert seen == [False]
    assert gc.isenabled()


def test_a_process_that_runs_without_the_collector_keeps_it_off() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
