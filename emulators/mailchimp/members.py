"""The audience's members and Mailchimp's status rules, without any HTTP.

The rules reproduced (the ones a sync can get wrong):

* ``status_if_new`` is used only when the member is created; ``status`` changes an
  existing member;
* a member who unsubscribed *themselves* (the link in a campaign, :meth:`Audience.
  provider_side_status`) cannot be set back to ``subscribed``: Mailchimp answers 400
  "Member In Compliance State"; the way back is ``status: pending``, which sends the person
  Mailchimp's own opt-in e-mail, and only their click there subscribes them again
  (https://mailchimp.com/developer/marketing/docs/errors/,
  https://mailchimp.com/developer/marketing/guides/manage-subscribers-with-the-mailchimp-api/);
* a ``cleaned`` address cannot be subscribed again, not even through ``pending``;
* the batch endpoint applies ``status`` to existing members only with ``update_existing``,
  otherwise such a row fails with ``ERROR_CONTACT_EXISTS``;
* a permanently deleted address can never be re-imported;
* ``last_changed`` moves on every change, and ``since_last_changed`` filters on it.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

SETTABLE = frozenset({"subscribed", "unsubscribed", "cleaned", "pending", "transactional"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()


class MemberError(Exception):
    """A refusal Mailchimp answers with a 4xx problem document."""

    def __init__(self, status: int, title: str, detail: str, code: str = "ERROR_GENERIC") -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.code = status, title, detail, code


def _now() -> datetime:
    return datetime.now(UTC)


class Audience:
    def __init__(self, list_id: str, *, clock: Callable[[], datetime] = _now) -> None:
        self.list_id = list_id
        self.clock = clock
        self.lock = threading.RLock()
        self.members: dict[str, dict[str, Any]] = {}
        self.forgotten: set[str] = set()
        #: Addresses for which the compliance throttle fires (tests arm it).
        self.throttled: set[str] = set()
        #: Opt-in e-mails Mailchimp sent (a member set to ``pending``), oldest first.
        self.confirmations_sent: list[str] = []
        #: Members who unsubscribed themselves (not through the API): compliance state.
        self.opted_out: set[str] = set()

    def stamp(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    # --- writes ------------------------------------------------------------------------

    def upsert(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """``PUT /members/{hash}``: create or update by the rules above."""
        email = str(body.get("email_address") or "").strip()
        if not email:
            raise MemberError(400, "Invalid Resource", "email_address: required")
        if subscriber_hash(email) != key and email.lower() != key.lower():
            raise MemberError(
                400, "Invalid Resource", "The email_address does not match the subscriber hash."
            )
        with self.lock:
            member = self.members.get(subscriber_hash(email))
            if member is None or member["status"] == "archived":
                status = body.get("status") or body.get("status_if_new")
                if not status:
                    raise MemberError(
                        400,
                        "Invalid Resource",
                        "The resource submitted could not be validated: status_if_new required.",
                    )
                return self._create(email, status, body)
            if body.get("status"):
                self._set_status(member, body["status"])
            self._merge(member, body)
            return member

    def patch(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            member = self.get(key)
            if body.get("status"):
                self._set_status(member, body["status"])
            self._merge(member, body)
            return member

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /members``: only new addresses."""
        email = str(body.get("email_address") or "").strip()
        with self.lock:
            existing = self.members.get(subscriber_hash(email))
            if existing and existing["status"] != "archived":
                raise MemberError(
                    400, "Member Exists", f"{email} is already a list member. Use PUT to update."
                )
            if not body.get("status"):
                raise MemberError(400, "Invalid Resource", "status: required")
            return self._create(email, body["status"], body)

    def batch(self, rows: list[dict[str, Any]], update_existing: bool) -> dict[str, Any]:
        """``POST /lists/{id}``: per-row outcome, never an all-or-nothing failure."""
        created, updated, errors = [], [], []
        for row in rows:
            email = str(row.get("email_address") or "").strip()
            try:
                if not row.get("status"):
                    raise MemberError(400, "Invalid Resource", "status: required", "ERROR_GENERIC")
                with self.lock:
                    member = self.members.get(subscriber_hash(email))
                    if member is not None and member["status"] != "archived":
                        if not update_existing:
                            raise MemberError(
                                400,
                                "Member Exists",
                                f"{email} is already a list member, do you want to update? "
                                "Please provide update_existing:true in the request body",
                                "ERROR_CONTACT_EXISTS",
                            )
                        self._set_status(member, row["status"])
                        self._merge(member, row)
                        updated.append(member)
                    else:
                        created.append(self._create(email, row["status"], row))
            except MemberError as exc:
                errors.append(
                    {
                        "email_address": email,
                        "error": exc.detail,
                        "error_code": exc.code,
                        "field": "",
                        "field_message": "",
                    }
                )
        return {
            "new_members": created,
            "updated_members": updated,
            "errors": errors,
            "total_created": len(created),
            "total_updated": len(updated),
            "error_count": len(errors),
            "_links": [],
        }

    def archive(self, key: str) -> None:
        with self.lock:
            member = self.get(key)
            member["status"] = "archived"
            member["last_changed"] = self.stamp()

    def delete_permanently(self, key: str) -> None:
        with self.lock:
            member = self.get(key)
            del self.members[member["id"]]
            self.forgotten.add(member["id"])

    def provider_side_status(self, email: str, status: str, reason: str = "") -> dict[str, Any]:
        """What Mailchimp does when the person clicks "unsubscribe" or an address bounces."""
        with self.lock:
            member = self.get(email)
            member["status"] = status
            member["unsubscribe_reason"] = reason if status == "unsubscribed" else ""
            member["last_changed"] = self.stamp()
            if status == "unsubscribed":
                self.opted_out.add(member["id"])
            return member

    # --- reads -------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any]:
        member_id = key.lower() if len(key) == 32 and "@" not in key else subscriber_hash(key)
        member = self.members.get(member_id)
        if member is None:
            raise MemberError(
                404, "Resource Not Found", "The requested resource could not be found."
            )
        return member

    def query(
        self,
        *,
        status: str | None,
        since_last_changed: datetime | None,
        before_last_changed: datetime | None,
    ) -> list[dict[str, Any]]:
        with self.lock:
            members = list(self.members.values())
        if status:
            members = [m for m in members if m["status"] == status]
        else:
            members = [m for m in members if m["status"] != "archived"]
        if since_last_changed:
            members = [m for m in members if _time(m["last_changed"]) > since_last_changed]
        if before_last_changed:
            members = [m for m in members if _time(m["last_changed"]) < before_last_changed]
        return members

    # --- internals ---------------------------------------------------------------------

    def _create(self, email: str, status: str, body: dict[str, Any]) -> dict[str, Any]:
        if not _EMAIL.match(email):
            raise MemberError(
                400, "Invalid Resource", f"{email} looks fake or invalid, please enter a real email"
            )
        member_id = subscriber_hash(email)
        if member_id in self.forgotten:
            raise MemberError(
                400,
                "Forgotten Email Not Subscribed",
                f"{email} was permanently deleted and cannot be re-imported. "
                "The contact must re-subscribe to get back on the list.",
            )
        if email.lower() in self.throttled and status in ("subscribed", "pending"):
            raise MemberError(
                400,
                "Invalid Resource",
                f"{email} has signed up to a lot of lists very recently; "
                "we're not allowing more signups for now",
            )
        if status not in SETTABLE:
            raise MemberError(400, "Invalid Resource", f"status {status!r} is not valid")
        now = self.stamp()
        previous = self.members.get(member_id) or {}
        member: dict[str, Any] = {
            "id": member_id,
            "email_address": email,
            "unique_email_id": previous.get("unique_email_id") or uuid.uuid4().hex[:10],
            "contact_id": previous.get("contact_id") or uuid.uuid4().hex,
            "email_type": "html",
            "status": status,
            "merge_fields": {},
            "timestamp_signup": body.get("timestamp_signup") or "",
            "timestamp_opt": body.get("timestamp_opt") or "",
            "ip_signup": "",
            "ip_opt": "",
            "last_changed": now,
            "language": "",
            "vip": False,
            "source": "API - Generic",
            "tags_count": 0,
            "tags": [],
            "list_id": self.list_id,
            "unsubscribe_reason": "",
        }
        self._merge(member, body)
        member["last_changed"] = now
        self.members[member_id] = member
        if status == "pending":
            self.confirmations_sent.append(email)
        return member

    def _set_status(self, member: dict[str, Any], status: str) -> None:
        if status not in SETTABLE:
            raise MemberError(400, "Invalid Resource", f"status {status!r} is not valid")
        opted_out = member["status"] == "unsubscribed" and member["id"] in self.opted_out
        if (member["status"] == "cleaned" and status in ("subscribed", "pending")) or (
            opted_out and status == "subscribed"
        ):
            raise MemberError(
                400,
                "Member In Compliance State",
                f"{member['email_address']} is in a compliance state due to unsubscribe, "
                "bounce, or compliance review and cannot be subscribed.",
            )
        if member["email_address"].lower() in self.throttled and status == "subscribed":
            raise MemberError(
                400,
                "Invalid Resource",
                f"{member['email_address']} has signed up to a lot of lists very recently; "
                "we're not allowing more signups for now",
            )
        if member["status"] != status:
            member["status"] = status
            member["last_changed"] = self.stamp()
            self.opted_out.discard(member["id"])
            if status == "pending":
                self.confirmations_sent.append(member["email_address"])

    def confirm(self, email: str) -> dict[str, Any]:
        """The person clicks the link of Mailchimp's opt-in e-mail: ``pending`` becomes
        ``subscribed``."""
        with self.lock:
            member = self.get(email)
            if member["status"] != "pending":
                raise MemberError(400, "Invalid Resource", f"{email} is not pending")
            member["status"] = "subscribed"
            member["last_changed"] = self.stamp()
            return member

    def _merge(self, member: dict[str, Any], body: dict[str, Any]) -> None:
        fields = body.get("merge_fields") or {}
        if fields and any(member["merge_fields"].get(k) != v for k, v in fields.items()):
            member["merge_fields"].update(fields)
            member["last_changed"] = self.stamp()
        for key in ("timestamp_opt", "language"):
            if body.get(key):
                member[key] = body[key]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)
