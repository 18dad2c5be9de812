"""How a job run ends: the one rule, decided by the run's item counts.

Every report a job builds on (``PushReport``, ``ReconcileReport``, ``InventoryReport``,
``NewsletterReport``, ``MailReport``, and the job's own tally ``sync.context.RunCounts``)
says how many items it handled and how many of those failed, as :class:`ItemCounts`. The
reports keep their own fields (a pushed order is not a written inventory document); only
these two numbers are shared, and :func:`outcome_of` reads nothing else:

==========================  =============
no item failed (or none)    ``succeeded``
some items failed           ``partial``
every item failed           ``failed``
==========================  =============

A failure before any item could be looked at (the provider's list call itself failed)
counts as an item that failed, so "nothing read, one failure" is ``failed`` too. A run
whose job raised is ``failed`` whatever its counts (``sync.runner``). ``running`` marks a
run that has not finished (or whose process died).
"""

from __future__ import annotations

from typing import Final, Literal, Protocol

Outcome = Literal["succeeded", "partial", "failed"]

SUCCEEDED: Final = "succeeded"
PARTIAL: Final = "partial"
FAILED: Final = "failed"
RUNNING: Final = "running"
#: Every value ``job_runs.outcome`` can hold (a plain string column: no CHECK constraint).
ALL: Final = (RUNNING, SUCCEEDED, PARTIAL, FAILED)


class ItemCounts(Protocol):
    """What a job report exposes for the outcome rule."""

    @property
    def items(self) -> int:
        """Items the run handled (read, tried, checked), failed ones included."""
        ...

    @property
    def failed(self) -> int:
        """Of those, the items that failed."""
        ...


def outcome_of(counts: ItemCounts) -> Outcome:
    """``succeeded``, ``partial`` or ``failed`` by the counts (see the module docstring)."""
    if counts.failed <= 0:
        return SUCCEEDED
    if counts.failed >= counts.items:
        return FAILED
    return PARTIAL
