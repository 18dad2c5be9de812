"""Operators' discount codes: create, list, pause and resume (the API has the same)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from storefront.container import services
from storefront.discounts import services as discounts
from storefront.discounts.schemas import DiscountIn
from storefront.money import CurrencyError, normalise_currency, parse_amount
from storefront.web.auth import access, current_user
from storefront.web.forms import field_errors

bp = Blueprint("admin_discounts", __name__, url_prefix="/admin/discounts")


def _actor() -> str:
    user = current_user()
    return f"operator:{user.id}" if user else "operator"


def _per_currency(text: str, field: str) -> dict[str, int]:
    """``EUR 5.00, GBP 4,50`` → ``{"EUR": 500, "GBP": 450}`` (a comma before a currency
    code separates, any other is a decimal mark)."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[;,]\s*(?=[A-Za-z]{3}\b)", text))):
        currency, _, amount = part.partition(" ")
        try:
            code = normalise_currency(currency)
            out[code] = parse_amount(amount.strip(), code)
        except CurrencyError as exc:
            raise ValueError(f"{field}: write it like “EUR 5.00, GBP 4.00” ({exc})") from exc
    return out


def _moment(text: str) -> datetime | None:
    """A ``datetime-local`` value, read as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def _from_form(form: dict[str, str]) -> tuple[DiscountIn | None, dict[str, str]]:
    data: dict[str, Any] = {"code": form.get("code", ""), "kind": form.get("kind", "")}
    try:
        for key in ("percent", "max_uses", "max_uses_per_customer"):
            if form.get(key):
                data[key] = form[key]
        if form.get("amounts"):
            data["amounts"] = _per_currency(form["amounts"], "amounts")
        if form.get("min_subtotal"):
            data["min_subtotal"] = _per_currency(form["min_subtotal"], "min_subtotal")
        data["collections"] = [c.strip() for c in form.get("collections", "").split(",") if c]
        for key in ("starts_at", "ends_at"):
            data[key] = _moment(form.get(key, ""))
    except ValueError as exc:
        return None, {"form": str(exc)}
    try:
        return DiscountIn.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc)


@bp.route("", methods=["GET", "POST"])
@access("operator")
def index() -> ResponseReturnValue:
    db = services().db
    errors: dict[str, str] = {}
    form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token"}
    status = 200
    if request.method == "POST":
        data, errors = _from_form(form)
        if data is not None:
            with db.session_scope(write=True) as session:
                try:
                    discounts.create(session, data, actor=_actor())
                except discounts.DuplicateCode as exc:
                    errors = {"code": str(exc)}
            if not errors:
                flash(f"Code {data.code} created.")
                return redirect(url_for("admin_discounts.index"), 303)
        status = 422
    with db.session_scope() as session:
        codes = list(discounts.listing(session, limit=200))
    return render_template("admin/discounts.html", codes=codes, form=form, errors=errors), status


@bp.post("/<code>/state")
@access("operator")
def set_state(code: str) -> ResponseReturnValue:
    paused = request.form.get("paused") == "1"
    with services().db.session_scope(write=True) as session:
        found = discounts.set_paused(session, code, paused)
    if found is None:
        flash("No such code.")
    else:
        flash(f"Code {found.code} {'paused' if paused else 'active again'}.")
    return redirect(url_for("admin_discounts.index"), 303)
