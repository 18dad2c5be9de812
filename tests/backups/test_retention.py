"""What the retention policy keeps: the newest few, then one a day, a week, a month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storefront.backups.retention import Policy, reasons_to_keep, to_prune
from storefront.backups.storage import StoredBackup, archive_name, created_from_name

NOW = datetime(2031, 3, 31, 23, 0, tzinfo=UTC)  # a Monday


def hourly(hours: int) -> list[StoredBackup]:
    """A backup every hour for ``hours`` hours up to NOW, newest first."""
    found = []
    for n in range(hours):
        at = NOW - timedelta(hours=n)
        found.append(StoredBackup(archive_name(at), 100, at))
    return found


def test_names_carry_their_time() -> None:
    name = archive_name(NOW)
    assert created_from_name(name) == NOW
    assert created_from_name("notes.txt") is None


def test_the_default_policy_over_a_year_of_hourly_backups() -> None:
    backups = hourly(24 * 365)
    keep = reasons_to_keep(backups, Policy())

    def at(month: int, day: int, hour: int = 23) -> datetime:
        return datetime(2031 if month <= 3 else 2030, month, day, hour, tzinfo=UTC)

    last_24 = {at(3, 31, h) for h in range(24)}
    daily = {at(3, d) for d in range(25, 32)}  # the last of each of 7 days
    weekly = {at(3, 31), at(3, 30), at(3, 23), at(3, 16)}  # ISO weeks end on Sunday
    monthly = {at(3, 31), at(2, 28), at(1, 31), at(12, 31), at(11, 30), at(10, 31)}
    kept = {b.created_at for b in backups if b.name in keep}
    assert kept == last_24 | daily | weekly | monthly
    assert len(kept) == 37
    by_time = {b.created_at: keep[b.name] for b in backups if b.name in keep}
    assert by_time[NOW] == "last, daily, weekly, monthly"
    assert by_time[at(2, 28)] == "monthly"
    assert len(to_prune(backups, Policy())) == len(backups) - 37


def test_few_backups_are_all_kept() -> None:
    backups = hourly(5)
    assert to_prune(backups, Policy()) == []


def test_keep_last_one_and_nothing_else() -> None:
    backups = hourly(10)
    gone = to_prune(backups, Policy(keep_last=1, daily=0, weekly=0, monthly=0))
    assert [b.created_at for b in gone] == [b.created_at for b in backups[1:]]
