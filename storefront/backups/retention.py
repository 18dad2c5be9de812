"""Which backups to keep: the newest few, then one a day, a week and a month.

The newest ``keep_last`` are kept whatever their age; then, newest first, the newest backup
of each of the last ``daily`` days that have one, of the last ``weekly`` ISO weeks and of the
last ``monthly`` months. Everything else is pruned. (The rule restic and borg use.)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from storefront.backups.storage import StoredBackup
from storefront.config import Settings


@dataclass(frozen=True)
class Policy:
    keep_last: int = 24
    daily: int = 7
    weekly: int = 4
    monthly: int = 6

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            settings.backup_keep_last,
            settings.backup_keep_daily,
            settings.backup_keep_weekly,
            settings.backup_keep_monthly,
        )


def reasons_to_keep(backups: Sequence[StoredBackup], policy: Policy) -> dict[str, str]:
    """``{name: why it is kept}`` for every backup the policy keeps."""
    newest_first = sorted(backups, key=lambda b: (b.created_at, b.name), reverse=True)
    kept: dict[str, list[str]] = {}
    for backup in newest_first[: policy.keep_last]:
        kept.setdefault(backup.name, []).append("last")
    buckets: list[tuple[str, int, Callable[[StoredBackup], Hashable]]] = [
        ("daily", policy.daily, lambda b: b.created_at.date()),
        ("weekly", policy.weekly, lambda b: b.created_at.isocalendar()[:2]),
        ("monthly", policy.monthly, lambda b: (b.created_at.year, b.created_at.month)),
    ]
    for label, count, bucket in buckets:
        seen: set[Hashable] = set()
        for backup in newest_first:
            if len(seen) >= count:
                break
            key = bucket(backup)
            if key not in seen:
                seen.add(key)
                kept.setdefault(backup.name, []).append(label)
    return {name: ", ".join(why) for name, why in kept.items()}


def to_prune(backups: Sequence[StoredBackup], policy: Policy) -> list[StoredBackup]:
    keep = reasons_to_keep(backups, policy)
    return [b for b in backups if b.name not in keep]
