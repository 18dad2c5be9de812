from datetime import timedelta

import pytest

from storefront.config import Settings
from sync.context import JobContext
from sync.registry import REGISTRY, JobRegistry, UnknownJob, load_jobs
from tests.conftest import make_settings


def _noop(ctx: JobContext) -> None:
    pass


def _other(ctx: JobContext) -> None:
    pass


def test_decorator_registers_and_returns_the_function() -> None:
    reg = JobRegistry()
    decorated = reg.job(id="inventory", interval=lambda s: 5.0, description="d")(_noop)
    assert decorated is _noop
    spec = reg.get("inventory")
    assert spec.fn is _noop
    assert spec.description == "d"
    assert reg.ids() == ["inventory"]
    assert "inventory" in reg
    assert len(reg) == 1


def test_interval_and_expected_window_come_from_settings() -> None:
    settings: Settings = make_settings(sync_outbox_interval=20.0)
    reg = JobRegistry()
    reg.job(id="outbox", interval=lambda s: s.sync_outbox_interval, description="o")(_noop)
    reg.job(
        id="fixed",
        interval=lambda s: 10.0,
        expected_within=timedelta(hours=2),
        description="f",
    )(_other)
    assert reg.get("outbox").interval_seconds(settings) == 20.0
    assert reg.get("outbox").expected_window(settings) == timedelta(seconds=60)  # 3x default
    assert reg.get("fixed").expected_window(settings) == timedelta(hours=2)


def test_duplicate_id_with_another_function_is_refused() -> None:
    reg = JobRegistry()
    reg.job(id="inventory", interval=lambda s: 5.0, description="d")(_noop)
    reg.job(id="inventory", interval=lambda s: 7.0, description="again")(_noop)  # re-import
    assert reg.get("inventory").description == "again"
    with pytest.raises(ValueError, match="taken by"):
        reg.job(id="inventory", interval=lambda s: 5.0, description="d")(_other)


@pytest.mark.parametrize("bad", ["", "Inventory", "1job", "_lease", "has space", "x" * 65])
def test_bad_ids_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="must match"):
        JobRegistry().job(id=bad, interval=lambda s: 5.0, description="d")(_noop)


def test_expected_factor_below_one_and_non_positive_interval_are_refused() -> None:
    with pytest.raises(ValueError, match="factor"):
        JobRegistry().job(id="a", interval=lambda s: 5.0, expected_within=0.5, description="")(
            _noop
        )
    reg = JobRegistry()
    reg.job(id="a", interval=lambda s: 0.0, description="")(_noop)
    with pytest.raises(ValueError, match="positive"):
        reg.get("a").interval_seconds(make_settings())


def test_unknown_job_lists_the_known_ids() -> None:
    reg = JobRegistry()
    reg.job(id="b", interval=lambda s: 5.0, description="")(_noop)
    reg.job(id="a", interval=lambda s: 5.0, description="")(_other)
    with pytest.raises(UnknownJob) as info:
        reg.get("nope")
    assert info.value.known == ["a", "b"]
    assert str(info.value) == "unknown job 'nope'; known jobs: a, b"
    assert "(none registered)" in str(UnknownJob("x", []))


def test_load_jobs_imports_the_job_package_into_the_real_registry() -> None:
    assert load_jobs() is REGISTRY
    for spec in REGISTRY:  # whatever others registered must be well-formed
        assert spec.interval_seconds(make_settings()) > 0
