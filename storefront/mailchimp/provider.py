"""The newsletter port: what the shop needs from any mailing-list provider, in neutral terms.

Our database is the record of consent (``newsletter.models.Subscriber``); a provider only
mirrors it. The one rule every implementation must keep: a sync never re-subscribes someone
who left. ``upsert_members`` sets a status only on *new* members; existing members keep
their status, whatever it is. Only explicit shopper actions (``unsubscribe``) change status.

Exception tree::

    NewsletterError (message, status_code, detail, request_id)
    ├── NewsletterTransientError   retry later (429, 5xx, network) once retries are spent
    └── NewsletterPermanentError   the provider refused this request
        ├── NewsletterAuthError        bad API key / wrong data centre
        ├── ComplianceRejected         compliance throttle ("signed up to a lot of lists
        │                              recently"), compliance state (cleaned/abuse)
        └── PermanentlyDeleted         the address was erased (GDPR) and cannot be re-added
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable


class MemberStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    CLEANED = "cleaned"
    PENDING = "pending"
    TRANSACTIONAL = "transactional"
    ARCHIVED = "archived"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, value: object) -> MemberStatus:
        try:
            return cls(str(value))
        except ValueError:
            return cls.UNKNOWN

    @property
    def receives_mail(self) -> bool:
        return self is MemberStatus.SUBSCRIBED


@dataclass(frozen=True)
class Contact:
    """A person to mirror: ``consent_time`` is when they confirmed (double opt-in)."""

    email: str
    merge_fields: Mapping[str, str] = field(default_factory=dict)
    consent_time: datetime | None = None


@dataclass(frozen=True)
class MemberState:
    email: str
    status: MemberStatus
    merge_fields: Mapping[str, object]
    last_changed: datetime | None
    provider_id: str


@dataclass(frozen=True)
class RowError:
    email: str
    message: str
    code: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """Outcome of one ``upsert_members`` call; rows that failed are listed, never raised."""

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    errors: tuple[RowError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class MemberChange:
    """Someone who left (or was removed) on the provider side since a given time."""

    email: str
    status: MemberStatus
    changed_at: datetime | None


@dataclass(frozen=True)
class WebhookNotice:
    """A provider's push notification, parsed; re-read the member before acting on it."""

    kind: str
    email: str
    list_id: str | None
    fired_at: datetime | None
    action: str | None = None
    reason: str | None = None
    new_email: str | None = None
    old_email: str | None = None
    merges: Mapping[str, str] = field(default_factory=dict)


class NewsletterError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        detail: object = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.detail = detail
        self.request_id = request_id


class NewsletterTransientError(NewsletterError):
    pass


class NewsletterPermanentError(NewsletterError):
    pass


class NewsletterAuthError(NewsletterPermanentError):
    pass


class ComplianceRejected(NewsletterPermanentError):
    pass


class PermanentlyDeleted(NewsletterPermanentError):
    pass


class WebhookMalformed(ValueError):
    """The form is not a notification we understand (answer 400, do not retry)."""


@runtime_checkable
class NewsletterProvider(Protocol):
    def upsert_members(self, contacts: Iterable[Contact]) -> BatchResult:
        """Add new people as subscribed; update fields of existing ones, never their status."""
        ...

    def unsubscribe(self, email: str) -> None:
        """The shopper asked to leave: record it (creating an unsubscribed member if needed)."""
        ...

    def resubscribe(self, contact: Contact) -> MemberState:
        """Someone who left confirmed again on the shop: the provider asks them to confirm
        once more (``pending``); only that puts them back on the list."""
        ...

    def get_member(self, email: str) -> MemberState | None: ...

    def changed_since(self, since: datetime) -> Iterator[MemberChange]:
        """Members unsubscribed, cleaned or archived after ``since`` (all pages)."""
        ...

    def delete_permanently(self, email: str) -> None:
        """GDPR erasure; the address can never be re-imported afterwards."""
        ...

    def parse_webhook(self, form: Mapping[str, str]) -> WebhookNotice: ...
