"""Mailchimp Marketing API v3 implementation of the newsletter port, over httpx.

Decisions worth knowing:

* ``upsert_members`` sends new addresses in batch calls (``POST /lists/{id}``, ≤500 rows) with
  ``update_existing: false``. Batch rows must carry ``status`` and, with
  ``update_existing: true``, that status is applied to existing members too, which would
  re-subscribe people who left. So existing members come back as row errors
  (``ERROR_CONTACT_EXISTS``) and are then updated one by one with
  ``PUT /members/{hash}`` carrying ``status_if_new`` and no ``status``.
* Every call here is safe to repeat (PUT, GET, a batch that never updates, a delete that
  treats 404 as done), so all retry 429/5xx/network errors with jittered backoff.
* Mailchimp allows 10 concurrent connections per key: a semaphore bounds requests in flight
  across threads sharing this object (and the httpx pool when we build it).
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Self

import httpx

from storefront.circuit import CircuitBreaker
from storefront.http_retry import RetryPolicy, send_with_retries
from storefront.mailchimp.provider import (
    BatchResult,
    ComplianceRejected,
    Contact,
    MemberChange,
    MemberState,
    MemberStatus,
    NewsletterAuthError,
    NewsletterError,
    NewsletterPermanentError,
    NewsletterTransientError,
    PermanentlyDeleted,
    RowError,
    WebhookMalformed,
    WebhookNotice,
)

MAX_BATCH = 500
MAX_PAGE = 1000
MAX_CONNECTIONS = 10
LEFT_STATUSES = ("unsubscribed", "cleaned", "archived")
EXISTS_CODE = "ERROR_CONTACT_EXISTS"

_COMPLIANCE = re.compile(r"signed up to a lot of lists|compliance state", re.IGNORECASE)
_DELETED = re.compile(r"permanently deleted", re.IGNORECASE)


def subscriber_hash(email: str) -> str:
    """Mailchimp's member id: md5 of the trimmed, lower-cased address."""
    return hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()


def base_url_for_key(api_key: str) -> str:
    """``https://<dc>.api.mailchimp.com/3.0`` from the key's ``-<dc>`` suffix."""
    if "-" not in api_key:
        raise ValueError("A Mailchimp API key ends in -<data centre>, e.g. -us21")
    return f"https://{api_key.rsplit('-', 1)[1]}.api.mailchimp.com/3.0"


class MailchimpProvider:
    """One audience (list) of one account."""

    def __init__(
        self,
        *,
        api_key: str,
        list_id: str,
        base_url: str | None = None,
        timeout: float = 15.0,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int = MAX_CONNECTIONS,
        status_if_new: str = "subscribed",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if not 1 <= max_concurrency <= MAX_CONNECTIONS:
            raise ValueError(f"max_concurrency must be 1..{MAX_CONNECTIONS} (Mailchimp's limit)")
        self._list_id = list_id
        self._base = (base_url or base_url_for_key(api_key)).rstrip("/")
        self._auth = httpx.BasicAuth("storefront", api_key)
        self._timeout = httpx.Timeout(timeout)
        self._owns_http = http is None
        self._http = http or httpx.Client(
            timeout=self._timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=max_concurrency),
        )
        self._retry = retry or RetryPolicy()
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._concurrency = max_concurrency
        self._status_if_new = status_if_new
        self._breaker = breaker

    @classmethod
    def from_settings(
        cls,
        settings: Any,
        *,
        http: httpx.Client | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> Self:
        return cls(
            api_key=settings.mailchimp_api_key.get_secret_value(),
            list_id=settings.mailchimp_list_id,
            base_url=settings.mailchimp_base,
            http=http,
            breaker=breaker,
        )

    @property
    def list_id(self) -> str:
        return self._list_id

    def request(
        self, method: str, path: str, *, retry: RetryPolicy | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """One API call (``path`` under ``/3.0``); ``retry=NO_RETRY`` for calls not safe
        to repeat. Errors come back as the port's exceptions."""
        return self._request(method, path, retry=retry, **kwargs)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the port ----------------------------------------------------------------------

    def upsert_members(self, contacts: Iterable[Contact]) -> BatchResult:
        unique: dict[str, Contact] = {}
        for contact in contacts:
            unique[contact.email.strip().lower()] = contact
        created: list[str] = []
        updated: list[str] = []
        errors: list[RowError] = []
        existing: list[Contact] = []
        rows = list(unique.values())
        for start in range(0, len(rows), MAX_BATCH):
            chunk = rows[start : start + MAX_BATCH]
            by_email = {c.email.strip().lower(): c for c in chunk}
            data = self._request(
                "POST",
                f"/lists/{self._list_id}",
                json={
                    "members": [self._batch_row(c) for c in chunk],
                    "update_existing": False,
                },
            )
            created += [str(m["email_address"]).lower() for m in data.get("new_members") or []]
            for error in data.get("errors") or []:
                email = str(error.get("email_address") or "").lower()
                if error.get("error_code") == EXISTS_CODE and email in by_email:
                    existing.append(by_email[email])
                else:
                    errors.append(RowError(email, str(error.get("error")), error.get("error_code")))
        if existing:
            with ThreadPoolExecutor(max_workers=self._concurrency) as pool:
                outcomes = list(pool.map(self._update_existing, existing))
            for contact, outcome in zip(existing, outcomes, strict=True):
                if isinstance(outcome, RowError):
                    errors.append(outcome)
                else:
                    updated.append(contact.email.strip().lower())
        return BatchResult(tuple(created), tuple(updated), tuple(errors))

    def upsert_member(self, contact: Contact) -> MemberState:
        """One person: created with ``status_if_new``, else fields updated, status untouched."""
        data = self._request("PUT", self._member_path(contact.email), json=self._put_body(contact))
        return _member_state(data)

    def unsubscribe(self, email: str) -> None:
        self._request(
            "PUT",
            self._member_path(email),
            json={
                "email_address": email.strip(),
                "status_if_new": "unsubscribed",
                "status": "unsubscribed",
            },
        )

    def resubscribe(self, contact: Contact) -> MemberState:
        """``status: pending``: Mailchimp refuses ``subscribed`` for someone who unsubscribed
        ("Member In Compliance State") and sends its own opt-in e-mail for ``pending``
        (https://mailchimp.com/developer/marketing/docs/errors/)."""
        body = {**self._put_body(contact), "status": "pending"}
        return _member_state(self._request("PUT", self._member_path(contact.email), json=body))

    def get_member(self, email: str) -> MemberState | None:
        try:
            return _member_state(self._request("GET", self._member_path(email)))
        except NewsletterPermanentError as exc:
            if exc.status_code == 404:
                return None
            raise

    def changed_since(
        self, since: datetime, *, statuses: Iterable[str] = LEFT_STATUSES, page_size: int = MAX_PAGE
    ) -> Iterator[MemberChange]:
        if not 1 <= page_size <= MAX_PAGE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE}")
        stamp = since.astimezone(UTC).isoformat(timespec="seconds")
        for status in statuses:
            offset = 0
            while True:
                page = self._request(
                    "GET",
                    f"/lists/{self._list_id}/members",
                    params={
                        "since_last_changed": stamp,
                        "status": status,
                        "count": page_size,
                        "offset": offset,
                        "fields": "members.email_address,members.status,"
                        "members.last_changed,total_items",
                    },
                )
                members = page.get("members") or []
                for m in members:
                    yield MemberChange(
                        email=str(m.get("email_address") or "").lower(),
                        status=MemberStatus.parse(m.get("status")),
                        changed_at=_parse_time(m.get("last_changed")),
                    )
                offset += len(members)
                if not members or offset >= int(page.get("total_items") or 0):
                    break

    def delete_permanently(self, email: str) -> None:
        try:
            self._request("POST", f"{self._member_path(email)}/actions/delete-permanent")
        except NewsletterPermanentError as exc:
            if exc.status_code != 404:  # already gone (an earlier attempt, or never there)
                raise

    def parse_webhook(self, form: Mapping[str, str]) -> WebhookNotice:
        return parse_webhook(form)

    # --- helpers -----------------------------------------------------------------------

    def _member_path(self, email: str) -> str:
        return f"/lists/{self._list_id}/members/{subscriber_hash(email)}"

    def _batch_row(self, contact: Contact) -> dict[str, Any]:
        row: dict[str, Any] = {
            "email_address": contact.email.strip(),
            "status": self._status_if_new,
            "merge_fields": dict(contact.merge_fields),
        }
        if contact.consent_time:
            row["timestamp_opt"] = _stamp(contact.consent_time)
            row["timestamp_signup"] = _stamp(contact.consent_time)
        return row

    def _put_body(self, contact: Contact) -> dict[str, Any]:
        body: dict[str, Any] = {
            "email_address": contact.email.strip(),
            "status_if_new": self._status_if_new,
            "merge_fields": dict(contact.merge_fields),
        }
        if contact.consent_time:
            body["timestamp_opt"] = _stamp(contact.consent_time)
        return body

    def _update_existing(self, contact: Contact) -> MemberState | RowError:
        try:
            return self.upsert_member(contact)
        except NewsletterPermanentError as exc:
            return RowError(contact.email.strip().lower(), exc.message, type(exc).__name__)

    def _request(
        self, method: str, path: str, *, retry: RetryPolicy | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        def send() -> httpx.Response:
            with self._slots:
                return self._http.request(
                    method, self._base + path, auth=self._auth, timeout=self._timeout, **kwargs
                )

        response = send_with_retries(
            send,
            retry or self._retry,
            unreachable=lambda exc: NewsletterTransientError(f"Mailchimp unreachable: {exc!r}"),
            broken=lambda exc: NewsletterError(f"HTTP error talking to Mailchimp: {exc!r}"),
            exhausted=lambda resp: _error(resp, NewsletterTransientError),
            breaker=self._breaker,
            unavailable=lambda exc: NewsletterTransientError(str(exc)),
        )
        status = response.status_code
        if status >= 400:
            raise _error(response, None)
        if status == 204 or not response.content:
            return {}
        try:
            data = response.json()
        except ValueError as exc:
            raise NewsletterTransientError("Mailchimp sent a body that is not JSON") from exc
        return data if isinstance(data, dict) else {}


def _error(response: httpx.Response, cls: type[NewsletterError] | None) -> NewsletterError:
    try:
        body = response.json()
    except ValueError:
        body = {"detail": response.text}
    if not isinstance(body, dict):
        body = {"detail": body}
    title = str(body.get("title") or "")
    detail = str(body.get("detail") or "")
    text = f"{title}: {detail}" if title and detail else title or detail or "Mailchimp error"
    if cls is None:
        cls = NewsletterPermanentError
        if response.status_code in (401, 403) and "compliance" not in text.lower():
            cls = NewsletterAuthError
        elif _DELETED.search(text):
            cls = PermanentlyDeleted
        elif _COMPLIANCE.search(text):
            cls = ComplianceRejected
    return cls(
        text,
        status_code=response.status_code,
        detail=body,
        request_id=response.headers.get("x-request-id") or body.get("instance"),
    )


def _member_state(data: dict[str, Any]) -> MemberState:
    return MemberState(
        email=str(data.get("email_address") or "").lower(),
        status=MemberStatus.parse(data.get("status")),
        merge_fields=dict(data.get("merge_fields") or {}),
        last_changed=_parse_time(data.get("last_changed")),
        provider_id=str(data.get("id") or ""),
    )


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _parse_time(value: object) -> datetime | None:
    if not value:
        return None
    text = str(value)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:  # audience webhooks: "Y-m-d H:i:s"
            parsed = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_KNOWN_KINDS = frozenset({"subscribe", "unsubscribe", "profile", "cleaned", "upemail", "campaign"})


def parse_webhook(form: Mapping[str, str]) -> WebhookNotice:
    """An audience webhook (``application/x-www-form-urlencoded``, ``data[...]`` keys)."""
    kind = str(form.get("type") or "")
    if kind not in _KNOWN_KINDS:
        raise WebhookMalformed(f"unknown Mailchimp webhook type {kind!r}")
    email = form.get("data[email]") or form.get("data[new_email]") or ""
    if kind != "campaign" and not email:
        raise WebhookMalformed("Mailchimp webhook without data[email]")
    merges = {
        key[len("data[merges][") : -1]: value
        for key, value in form.items()
        if key.startswith("data[merges][") and key.endswith("]")
    }
    return WebhookNotice(
        kind=kind,
        email=str(email).strip().lower(),
        list_id=form.get("data[list_id]"),
        fired_at=_parse_time(form.get("fired_at")),
        action=form.get("data[action]"),
        reason=form.get("data[reason]"),
        new_email=(form.get("data[new_email]") or "").lower() or None,
        old_email=(form.get("data[old_email]") or "").lower() or None,
        merges=merges,
    )
