"""Who may do what: the three roles, ranked (a higher role may do what a lower one may)."""

from __future__ import annotations

ROLES = ("customer", "operator", "admin")
ROLE_RANK = {"customer": 1, "operator": 2, "admin": 3}


def at_least(role: str | None, required: str) -> bool:
    """Whether ``role`` may do what ``required`` may; no role, or an unknown one, may not."""
    return role is not None and ROLE_RANK.get(role, 0) >= ROLE_RANK[required]
