"""Issue invoices and credit notes inside the caller's transaction; their PDFs on demand.

An invoice is issued in the transaction that confirms the payment (its number is taken
there, see :mod:`.numbers`), a credit note in the one that records a refund. Both store
every figure they print. The PDF is rendered from those figures the first time someone
asks for it and stored; every later download returns the stored bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storefront.db import Database
from storefront.discounts.prorata import split_refund
from storefront.invoices.models import CreditNote, Invoice
from storefront.invoices.numbers import next_number
from storefront.invoices.pdf import Seller, render
from storefront.vat import vat_inside


@dataclass(frozen=True)
class VatLine:
    """One VAT rate's totals (minor units). Until VAT is worked out per destination, an
    invoice carries one line at 0% over the whole total."""

    rate: str
    net: int
    vat: int


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_amount: int
    #: Before the discount, and the line's share of the discount.
    gross: int
    discount: int


@dataclass(frozen=True)
class Sale:
    """What was sold, as the order recorded it."""

    order_number: str
    currency: str
    buyer: Sequence[str]
    lines: Sequence[Line]
    shipping: int
    shipping_discount: int
    discount_code: str | None
    total: int


def _data(
    sale: Sale, number: str, issued_at: datetime, vat: Sequence[VatLine] | None
) -> dict[str, Any]:
    vat = vat or [VatLine("0", sale.total, 0)]
    return {
        "number": number,
        "order_number": sale.order_number,
        "issued_at": issued_at.isoformat(),
        "currency": sale.currency,
        "buyer": list(sale.buyer),
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_amount": line.unit_amount,
                "discount": line.discount,
                "amount": line.gross - line.discount,
            }
            for line in sale.lines
        ],
        "goods": sum(line.gross for line in sale.lines),
        "discount": sum(line.discount for line in sale.lines),
        "discount_code": sale.discount_code,
        "shipping": sale.shipping,
        "shipping_discount": sale.shipping_discount,
        "vat": [asdict(v) for v in vat],
        "total": sale.total,
    }


def issue_invoice(
    session: Session,
    order_id: int,
    sale: Sale,
    *,
    issued_at: datetime,
    vat: Sequence[VatLine] | None = None,
) -> Invoice:
    """The order's invoice (issued once: a second call returns the first)."""
    existing = invoice_for(session, order_id)
    if existing is not None:
        return existing
    number = next_number(session, "invoice", issued_at.year)
    invoice = Invoice(
        order_id=order_id,
        number=number,
        issued_at=issued_at,
        data=_data(sale, number, issued_at, vat),
    )
    session.add(invoice)
    session.flush()
    return invoice


def invoice_for(session: Session, order_id: int) -> Invoice | None:
    return session.execute(select(Invoice).where(Invoice.order_id == order_id)).scalar_one_or_none()


def issue_credit_note(
    session: Session,
    order_id: int,
    refund: int,
    *,
    refund_key: str,
    issued_at: datetime,
) -> CreditNote | None:
    """A credit note for ``refund`` against the order's invoice (``None`` without one).

    The refund is split over the invoice's lines and shipping in proportion to what was paid
    for each, and takes back its share of the discount (:func:`split_refund`)."""
    invoice = invoice_for(session, order_id)
    if invoice is None:
        return None
    found = session.execute(
        select(CreditNote).where(CreditNote.refund_key == refund_key)
    ).scalar_one_or_none()
    if found is not None:
        return found
    data = invoice.data
    gross = [ln["amount"] + ln["discount"] for ln in data["lines"]] + [data["shipping"]]
    discounts = [ln["discount"] for ln in data["lines"]] + [data["shipping_discount"]]
    split = split_refund(refund, gross, discounts)
    number = next_number(session, "credit_note", issued_at.year)
    lines = [
        {
            "description": ln["description"],
            "quantity": ln["quantity"],
            "unit_amount": ln["unit_amount"],
            "discount": d,
            "amount": p,
        }
        for ln, p, d in zip(data["lines"], split.paid, split.discount, strict=False)
        if p or d
    ]
    note_data: dict[str, Any] = {
        "number": number,
        "invoice_number": invoice.number,
        "order_number": data["order_number"],
        "issued_at": issued_at.isoformat(),
        "currency": data["currency"],
        "buyer": data["buyer"],
        "lines": lines,
        "goods": sum(split.gross[:-1]),
        "discount": sum(split.discount[:-1]),
        "discount_code": data["discount_code"],
        "shipping": split.gross[-1],
        "shipping_discount": split.discount[-1],
        "vat": [_refund_vat(v["rate"], refund) for v in data["vat"][:1]],
        "total": refund,
    }
    note = CreditNote(
        invoice_id=invoice.id,
        refund_key=refund_key,
        number=number,
        issued_at=issued_at,
        data=note_data,
    )
    session.add(note)
    session.flush()
    return note


def _refund_vat(rate: str, refund: int) -> dict[str, Any]:
    """The VAT a refund gives back, at the invoice's rate (one rate per sale)."""
    vat = vat_inside(Decimal(rate), refund)
    return {"rate": rate, "net": refund - vat, "vat": vat}


def pdf_bytes(
    db: Database, model: type[Invoice] | type[CreditNote], number: str, seller: Seller
) -> bytes | None:
    """The stored PDF of the document ``number``; rendered and stored the first time."""
    with db.session_scope() as session:
        doc = cast(
            "Invoice | CreditNote | None",
            session.execute(select(model).where(model.number == number)).scalar_one_or_none(),
        )
        if doc is None:
            return None
        if doc.pdf is not None:
            return doc.pdf
        kind = "invoice" if model is Invoice else "credit_note"
        data = dict(doc.data)
    rendered = render(kind, data, seller)
    with db.session_scope(write=True) as session:
        session.execute(
            update(model)
            .where(model.number == number, model.pdf.is_(None))
            .values(pdf=rendered)
            .execution_options(synchronize_session=False)
        )
        stored: bytes | None = session.execute(
            select(model.pdf).where(model.number == number)
        ).scalar_one()
    return stored
