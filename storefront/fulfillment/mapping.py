"""Our order → Gelato's order request: one place for field names and limits."""

from __future__ import annotations

import hashlib

from storefront.gelato.address import ShippingAddress, normalized
from storefront.gelato.types import GelatoFile, GelatoItemRequest, GelatoOrderRequest
from storefront.orders.models import Order

#: Our print-file keys → Gelato's file types for apparel.
FILE_TYPES = {"front": "default", "back": "back"}


class NotPrintable(ValueError):
    """The order lacks something Gelato needs (a productUid, a print file)."""


def customer_reference(order: Order) -> str:
    if order.customer_id is not None:
        return f"customer-{order.customer_id}"
    return "guest-" + hashlib.sha256(order.email.lower().encode()).hexdigest()[:16]


def to_gelato_request(order: Order, *, order_type: str) -> GelatoOrderRequest:
    items = []
    for item in order.items:
        if not item.product_uid:
            raise NotPrintable(f"{item.title} ({item.size}) has no Gelato productUid")
        files = tuple(
            GelatoFile(url=url, type=FILE_TYPES.get(side, side))
            for side, url in sorted(item.print_files.items())
            if url
        )
        if not files:
            raise NotPrintable(f"{item.title} has no print file")
        items.append(
            GelatoItemRequest(
                item_reference_id=str(item.id),
                product_uid=item.product_uid,
                files=files,
                quantity=item.quantity,
            )
        )
    address = normalized(
        ShippingAddress(
            **{
                k: str(v or "")
                for k, v in order.shipping_address.items()
                if k in ShippingAddress.__dataclass_fields__
            }
        )
    )
    return GelatoOrderRequest(
        order_reference_id=order.number,
        customer_reference_id=customer_reference(order),
        currency=order.currency,
        items=tuple(items),
        shipping_address=address,
        order_type="draft" if order_type == "draft" else "order",
        shipment_method_uid=order.shipping_method or None,
        metadata=(("shop", "storefront"),),
    )
