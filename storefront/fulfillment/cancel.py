"""Stopping an order at Gelato while it can still be stopped (before printing)."""

from __future__ import annotations

from sqlalchemy import select

from storefront.db import Database
from storefront.fulfillment.models import GelatoOrderRecord
from storefront.gelato.client import GelatoClient
from storefront.gelato.errors import GelatoError, OrderAlreadyInProduction
from storefront.orders.models import Order
from storefront.orders.states import record_event


class CannotStop(Exception):
    """Gelato printed it already, or did not confirm; the message says which."""


def stop_printing(db: Database, client: GelatoClient, order_id: int, *, actor: str) -> list[str]:
    """Cancel every Gelato order made for ours; notes of what was done."""
    with db.session_scope() as session:
        gelato_ids = list(
            session.execute(
                select(GelatoOrderRecord.gelato_order_id).where(
                    GelatoOrderRecord.order_id == order_id
                )
            ).scalars()
        )
    notes = []
    for gelato_id in gelato_ids:
        try:
            client.cancel_order(gelato_id)
        except OrderAlreadyInProduction as exc:
            with db.session_scope(write=True) as session:
                record_event(
                    session,
                    session.get_one(Order, order_id),
                    "cancel_refused",
                    actor=actor,
                    reason=f"Gelato: already printed ({gelato_id})",
                )
            raise CannotStop(
                f"Gelato has already printed order {gelato_id}; it cannot be cancelled. "
                "Refund instead if the customer should not pay."
            ) from exc
        except GelatoError as exc:
            raise CannotStop(f"Gelato did not confirm the cancellation: {exc}") from exc
        notes.append(f"Gelato order {gelato_id} cancelled")
    return notes
