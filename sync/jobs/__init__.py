"""The job modules of the sync process — importing this package registers every job.

To add a job: write ``sync/jobs/<name>.py`` with one function decorated by
``sync.registry.job(id=..., interval=lambda s: s.sync_<name>_interval, description=...)``
taking a ``sync.context.JobContext``, then add its import below (keep the list sorted).
Nothing else needs to change: the scheduler, ``storefront sync``, health and metrics all
read the registry.
"""

from sync.jobs import (
    backup,
    campaigns,
    content,
    fulfillment,
    inventory,
    newsletter,
    outbox,
    payments,
    reviews,
)

__all__ = [
    "backup",
    "campaigns",
    "content",
    "fulfillment",
    "inventory",
    "newsletter",
    "outbox",
    "payments",
    "reviews",
]
