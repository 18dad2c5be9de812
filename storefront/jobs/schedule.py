"""What the sync process runs, how often, and how late each job may be: one table.

The sync process binds a function to each entry (``sync/jobs``); the dashboard, the
metrics and ``storefront sync status`` judge the job runs against the same entries. The id
is the contract: it names the scheduler's job, the ``job_runs`` rows, the CLI argument and
the metrics label, so it never changes once deployed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from storefront.config import Settings

#: Without ``expected_within``, a job is overdue after this many intervals without success.
DEFAULT_EXPECTED_FACTOR = 3.0


class Plan(Protocol):
    """What health needs to know of a job (the sync registry's specs satisfy it too)."""

    @property
    def id(self) -> str: ...

    @property
    def description(self) -> str: ...

    def interval_seconds(self, settings: Settings) -> float: ...

    def expected_window(self, settings: Settings) -> timedelta: ...


#: How late a job may be: a fixed time, a factor of its interval, or read from the settings.
ExpectedWithin = timedelta | float | Callable[[Settings], timedelta]


def expected_window(expected: ExpectedWithin, interval_s: float, settings: Settings) -> timedelta:
    if isinstance(expected, timedelta):
        return expected
    if callable(expected):
        return expected(settings)
    return timedelta(seconds=interval_s * expected)


@dataclass(frozen=True)
class JobPlan:
    id: str
    description: str
    interval: Callable[[Settings], float]
    expected_within: ExpectedWithin = DEFAULT_EXPECTED_FACTOR

    def interval_seconds(self, settings: Settings) -> float:
        seconds = float(self.interval(settings))
        if seconds <= 0:
            raise ValueError(f"job {self.id!r}: interval must be positive, got {seconds}")
        return seconds

    def expected_window(self, settings: Settings) -> timedelta:
        """How long after its last success the job counts as overdue."""
        return expected_window(self.expected_within, self.interval_seconds(settings), settings)


PLANS: dict[str, JobPlan] = {
    plan.id: plan
    for plan in (
        JobPlan(
            "backup",
            "Back up the database and the content, encrypted; prune by the retention policy.",
            lambda s: s.sync_backup_interval,
            expected_within=lambda s: timedelta(seconds=s.backup_max_age_seconds),
        ),
        JobPlan(
            "campaigns",
            "Send approved newsletter campaigns through Mailchimp, once per revision; "
            "write status and reports back to the Studio.",
            lambda s: s.sync_campaigns_interval,
        ),
        JobPlan(
            "content-sweep",
            "Catch publishes whose webhook never arrived; invalidate their cache.",
            lambda s: s.sync_content_sweep_interval,
        ),
        JobPlan(
            "fulfillment-push",
            "Send paid orders to Gelato, exactly once.",
            lambda s: s.sync_outbox_interval,
        ),
        JobPlan(
            "fulfillment-status",
            "Poll Gelato for every open order's status and tracking.",
            lambda s: s.sync_fulfillment_interval,
        ),
        JobPlan(
            "inventory",
            "Ask Gelato what can be made; update Sanity inventory documents that changed.",
            lambda s: s.sync_inventory_interval,
        ),
        JobPlan(
            "mail",
            "Send queued shop e-mails (confirmations, shipping, sign-ups).",
            lambda s: s.sync_outbox_interval,
        ),
        JobPlan(
            "newsletter",
            "Pull unsubscribes from the e-mail provider, push confirmed sign-ups.",
            lambda s: s.sync_newsletter_interval,
        ),
        JobPlan(
            "payments",
            "Confirm or expire orders whose payment webhooks never arrived.",
            lambda s: s.sync_payments_interval,
        ),
        JobPlan(
            "paypal-capture",
            "Capture PayPal payments approved by webhook (idempotent per order).",
            lambda s: s.sync_outbox_interval,
        ),
        JobPlan(
            "review-invites",
            "Ask consenting buyers for a review some days after delivery (once per order).",
            lambda s: s.sync_review_invites_interval,
        ),
        JobPlan(
            "reservations",
            "Give back limited stock held by orders whose payment window lapsed.",
            lambda s: s.sync_reservations_interval,
        ),
    )
}
