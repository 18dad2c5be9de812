"""The invoice and credit note PDFs (fpdf2), the same bytes for the same document.

Everything printed comes from the document's stored figures; the PDF's creation date is
the document's issue time, so rendering it again gives identical bytes. The built-in
Helvetica covers Latin-1: other characters are written without their accents (NFKD) or as
``?`` — figures are never affected.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpdf import FPDF

from storefront.money import to_decimal_string


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    vat_id: str | None = None


def _text(value: object) -> str:
    text = str(value)
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        plain = unicodedata.normalize("NFKD", text).encode("latin-1", "ignore").decode("latin-1")
        return "".join(c if unicodedata.category(c) != "Mn" else "" for c in plain) or "?"


def money(amount: int, currency: str) -> str:
    return f"{currency} {to_decimal_string(amount, currency)}"


def render(kind: str, data: Mapping[str, Any], seller: Seller) -> bytes:
    """``kind``: ``invoice`` or ``credit_note``."""
    issued = datetime.fromisoformat(data["issued_at"])
    currency = data["currency"]
    pdf = FPDF(format="A4")
    pdf.set_creation_date(issued)
    title = "Invoice" if kind == "invoice" else "Credit note"
    pdf.set_title(f"{title} {data['number']}")
    pdf.set_author(_text(seller.name))
    pdf.set_producer("storefront")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text(f"{title} {data['number']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    facts = [f"Date: {issued.date().isoformat()}", f"Order: {data['order_number']}"]
    if kind == "credit_note":
        facts.append(f"Refers to invoice: {data['invoice_number']}")
    for line in facts:
        pdf.cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    top = pdf.get_y()
    seller_lines = [seller.name, *seller.address.split("\n")]
    if seller.vat_id:
        seller_lines.append(f"VAT id: {seller.vat_id}")
    pdf.multi_cell(90, 5, _text("Seller\n" + "\n".join(seller_lines)))
    pdf.set_xy(110, top)
    pdf.multi_cell(90, 5, _text("Buyer\n" + "\n".join(data["buyer"])))
    pdf.set_y(max(pdf.get_y(), top + 5 * (len(seller_lines) + 1)) + 6)

    pdf.set_font("Helvetica", "B", 10)
    widths = (86, 14, 30, 30, 30)
    for width, head in zip(
        widths, ("Item", "Qty", "Unit price", "Discount", "Amount"), strict=True
    ):
        pdf.cell(width, 7, head, border="B", align="L" if head == "Item" else "R")
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for line in data["lines"]:
        cells = (
            _text(line["description"])[:48],
            str(line["quantity"]),
            money(line["unit_amount"], currency),
            money(-line["discount"], currency) if line["discount"] else "",
            money(line["amount"], currency),
        )
        for width, cell in zip(widths, cells, strict=True):
            pdf.cell(width, 6, cell, align="L" if width == widths[0] else "R")
        pdf.ln()
    pdf.ln(3)

    def row(label: str, amount: int, bold: bool = False) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", 10)
        pdf.cell(150, 6, _text(label), align="R")
        pdf.cell(40, 6, money(amount, currency), align="R", new_x="LMARGIN", new_y="NEXT")

    row("Goods", data["goods"])
    if data["discount"]:
        row(f"Discount ({data['discount_code']})", -data["discount"])
    row("Shipping", data["shipping"])
    if data["shipping_discount"]:
        row(f"Shipping discount ({data['discount_code']})", -data["shipping_discount"])
    for vat in data["vat"]:
        row(f"VAT {vat['rate']}% on {money(vat['net'], currency)}", vat["vat"])
    row("Total refunded" if kind == "credit_note" else "Total", data["total"], bold=True)
    return bytes(pdf.output())
