"""The operator dashboard: orders, their story and the actions on them, jobs, subscribers."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from datetime import date

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from storefront.accounts import tokens
from storefront.accounts.models import Customer
from storefront.container import services
from storefront.errors import NotFound
from storefront.fieldcrypt import email_matches
from storefront.fulfillment.models import GelatoOrderRecord, Parcel
from storefront.invoices import services as invoices
from storefront.jobs.health import HealthReport, compute_health
from storefront.jobs.schedule import PLANS
from storefront.money import CurrencyError, parse_amount
from storefront.newsletter.models import Subscriber
from storefront.operations import orders as operations
from storefront.operations import privacy
from storefront.orders.links import order_url
from storefront.orders.models import Order
from storefront.orders.states import ALLOWED, OrderStatus
from storefront.outbox.models import OutboxEntry
from storefront.payments.models import Payment, Refund
from storefront.stock.models import Reservation
from storefront.web.admin import charts, queries
from storefront.web.auth import access, current_user, require_fresh_second_factor

bp = Blueprint("admin", __name__, url_prefix="/admin")
STATUSES = [s.value for s in OrderStatus]


def _actor() -> str:
    user = current_user()
    return f"operator:{user.id}" if user else "operator"


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("")
@access("operator")
def dashboard() -> ResponseReturnValue:
    health = _health()
    home = services().catalog.market_for(None).currency  # read before the session opens
    with services().db.session_scope() as session:
        totals = queries.totals_by_currency(session)
        currencies = [t.currency for t in totals] or [home]
        sales = {c: queries.sales_by_day(session, currency=c) for c in currencies}
        top = queries.top_designs(session)
        recent, _ = queries.search_orders(session, queries.OrderFilters())
    return render_template(
        "admin/dashboard.html",
        health=health,
        charts=[(c, charts.revenue_chart(days, c), days) for c, days in sales.items()],
        totals=totals,
        days=next(iter(sales.values())),
        top=top,
        recent=recent[:10],
    )


@bp.get("/orders")
@access("operator")
def orders() -> ResponseReturnValue:
    args = request.args
    filters = queries.OrderFilters(
        status=args.get("status", "") if args.get("status") in STATUSES else "",
        provider=args.get("provider", "") if args.get("provider") in ("stripe", "paypal") else "",
        since=_parse_date(args.get("since")),
        until=_parse_date(args.get("until")),
        q=args.get("q", "")[:100],
        page=max(1, args.get("page", 1, type=int) or 1),
    )
    with services().db.session_scope() as session:
        rows, total = queries.search_orders(session, filters)
    pages = max(1, -(-total // queries.PAGE_SIZE))
    return render_template(
        "admin/orders.html",
        orders=rows,
        total=total,
        filters=filters,
        statuses=STATUSES,
        pages=pages,
    )


def _health() -> HealthReport:
    found = services()
    return compute_health(found.db, found.settings, PLANS.values())


def _load(number: str) -> Order:
    with services().db.session_scope() as session:
        order = session.execute(select(Order).where(Order.number == number)).scalar_one_or_none()
        if order is None:
            raise NotFound(f"No order {number}.")
        return order


@bp.get("/orders/<number>")
@access("operator")
def order_detail(number: str) -> ResponseReturnValue:
    with services().db.session_scope() as session:
        order = session.execute(select(Order).where(Order.number == number)).scalar_one_or_none()
        if order is None:
            raise NotFound(f"No order {number}.")
        context = {
            "order": order,
            "items": list(order.items),
            "events": list(order.events),
            "payments": session.execute(select(Payment).where(Payment.order_id == order.id))
            .scalars()
            .all(),
            "refunds": session.execute(select(Refund).where(Refund.order_id == order.id))
            .scalars()
            .all(),
            "gelato": session.execute(
                select(GelatoOrderRecord).where(GelatoOrderRecord.order_id == order.id)
            )
            .scalars()
            .all(),
            "parcels": session.execute(select(Parcel).where(Parcel.order_id == order.id))
            .scalars()
            .all(),
            "reservations": session.execute(
                select(Reservation).where(Reservation.order_id == order.id)
            )
            .scalars()
            .all(),
            "outbox": session.execute(select(OutboxEntry).where(OutboxEntry.key == number))
            .scalars()
            .all(),
            "invoice": invoices.invoice_for(session, order.id),
            "refundable": operations.refundable(order),
            "can_cancel": OrderStatus.CANCELLED in ALLOWED[OrderStatus(order.status)],
            "key": secrets.token_urlsafe(16),
        }
    return render_template("admin/order.html", **context)


@bp.route("/orders/<number>/refund", methods=["GET", "POST"])
@access("operator")
def refund(number: str) -> ResponseReturnValue:
    order = _load(number)
    back = (
        request.full_path
        if request.method == "GET"
        else url_for("admin.refund", number=number, amount=request.form.get("amount") or None)
    )
    if (gate := require_fresh_second_factor(back)) is not None:
        return gate
    if request.method == "GET":
        return render_template(
            "admin/confirm_refund.html",
            order=order,
            refundable=operations.refundable(order),
            key=secrets.token_urlsafe(16),
            amount=request.args.get("amount", ""),
        )
    raw = request.form.get("amount", "").strip()
    try:
        amount = parse_amount(raw, order.currency) if raw else None
    except (CurrencyError, ArithmeticError, ValueError):
        flash(f"“{raw}” is not an amount in {order.currency}, e.g. 12,50 or 12.50.")
        return redirect(url_for("admin.refund", number=number), 303)
    try:
        found = services()
        outcome = operations.refund(
            found.db,
            found.gateways,
            order.id,
            amount,
            actor=_actor(),
            key=request.form.get("key", ""),
            reason=request.form.get("reason") or None,
            order_link=order_url,
        )
    except operations.OperationError as exc:
        flash(str(exc))
        return redirect(url_for("admin.order_detail", number=number), 303)
    flash("That refund was already made." if outcome.repeated else f"Refund {outcome.status}.")
    return redirect(url_for("admin.order_detail", number=number), 303)


@bp.route("/orders/<number>/cancel", methods=["GET", "POST"])
@access("operator")
def cancel(number: str) -> ResponseReturnValue:
    order = _load(number)
    if request.method == "GET":
        return render_template(
            "admin/confirm_cancel.html", order=order, key=secrets.token_urlsafe(16)
        )
    try:
        found = services()
        notes = operations.cancel(
            found.db,
            found.gelato,
            found.gateways,
            order.id,
            actor=_actor(),
            key=request.form.get("key", "x"),
            reason=request.form.get("reason") or "cancelled by operator",
            order_link=order_url,
        )
    except operations.OperationError as exc:
        flash(str(exc))
    else:
        flash("Order cancelled. " + "; ".join(notes))
    return redirect(url_for("admin.order_detail", number=number), 303)


@bp.post("/orders/<number>/retry")
@access("operator")
def retry(number: str) -> ResponseReturnValue:
    order = _load(number)
    if operations.retry_fulfillment(services().db, order.id, actor=_actor()):
        flash("Fulfillment queued again.")
    else:
        flash("Nothing to retry: the order does not need attention.")
    return redirect(url_for("admin.order_detail", number=number), 303)


@bp.get("/jobs")
@access("operator")
def jobs() -> ResponseReturnValue:
    return render_template("admin/jobs.html", health=_health())


def _subscribers(session: Session, q: str) -> Select[Subscriber]:
    """``q`` is a status or a whole e-mail address (found by its blind index)."""
    stmt = select(Subscriber).order_by(Subscriber.id.desc())
    if q:
        stmt = stmt.where(
            or_(
                email_matches(session, Subscriber.email_index, q),
                Subscriber.status == q.strip().lower(),
            )
        )
    return stmt


@bp.get("/subscribers")
@access("operator")
def subscribers() -> ResponseReturnValue:
    q = request.args.get("q", "")[:100]
    with services().db.session_scope() as session:
        rows = session.execute(_subscribers(session, q).limit(200)).scalars().all()
        total = session.scalar(select(func.count()).select_from(Subscriber)) or 0
    return render_template("admin/subscribers.html", subscribers=rows, q=q, total=total)


def _cell(value: object) -> str:
    """Spreadsheet-safe: a leading = + - @ would run as a formula in Excel."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/subscribers.csv")
@access("operator")
def subscribers_csv() -> ResponseReturnValue:
    q = request.args.get("q", "")[:100]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["email", "status", "consent_at", "consent_source", "confirmed_at", "unsubscribed_at"]
    )
    with services().db.session_scope() as session:
        for s in session.execute(_subscribers(session, q)).scalars():
            values = (
                s.email,
                s.status,
                s.consent_at,
                s.consent_source,
                s.confirmed_at,
                s.unsubscribed_at,
            )
            writer.writerow([_cell(v) for v in values])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=subscribers.csv"},
    )


@bp.route("/tokens", methods=["GET", "POST"])
@access("operator")
def api_tokens() -> ResponseReturnValue:
    """Your API tokens: create one (shown once), see and revoke the others."""

    user = current_user()
    assert user is not None
    created = None
    db = services().db
    if request.method == "POST" and not request.form.get("revoke"):
        gate = require_fresh_second_factor(url_for("admin.api_tokens"))
        if gate is not None:
            return gate
    if request.method == "POST":
        if request.form.get("revoke"):
            with db.session_scope(write=True) as session:
                try:
                    tokens.revoke_token(session, int(request.form["revoke"]), customer_id=user.id)
                    flash("Token revoked.")
                except (tokens.TokenError, ValueError):
                    flash("No such token.")
        else:
            name = (request.form.get("name") or "").strip()[:80] or "dashboard"
            role = request.form.get("role") or "customer"
            with db.session_scope(write=True) as session:
                try:
                    issued = tokens.create_token(
                        session, session.get_one(Customer, user.id), role=role, name=name
                    )
                    created = issued.plaintext
                except tokens.TokenError as exc:
                    flash(str(exc))
    with db.session_scope() as session:
        mine = tokens.list_tokens(session, customer_id=user.id)
    return render_template(
        "admin/tokens.html",
        tokens=mine,
        created=created,
        roles=[r for r in ("customer", "operator", "admin") if user.has_role(r)],
    )


@bp.get("/customers")
@access("operator")
def customers() -> ResponseReturnValue:
    q = request.args.get("q", "").strip().lower()[:100]
    rows: Sequence[Customer] = []
    if q:
        with services().db.session_scope() as session:
            rows = (
                session.execute(
                    select(Customer)
                    .where(email_matches(session, Customer.email_index, q))
                    .order_by(Customer.id)
                    .limit(50)
                )
                .scalars()
                .all()
            )
    return render_template("admin/customers.html", customers=rows, q=q)


@bp.get("/customers/<int:customer_id>/export")
@access("operator")
def customer_export(customer_id: int) -> ResponseReturnValue:
    """A person's data on their request (the same export they can download themselves)."""
    import json

    with services().db.session_scope() as session:
        try:
            data = privacy.export(session, customer_id)
        except LookupError as exc:
            raise NotFound("No such customer.") from exc
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=customer-{customer_id}.json"},
    )


@bp.post("/customers/<int:customer_id>/forget")
@access("operator")
def customer_forget(customer_id: int) -> ResponseReturnValue:
    """Erase a person on their request: anonymise here, delete at the e-mail provider."""

    if (gate := require_fresh_second_factor(url_for("admin.customers"))) is not None:
        return gate
    if request.form.get("confirm") != "forget":
        flash("Type “forget” to confirm.")
        return redirect(url_for("admin.customers"), 303)
    erasure = services().erase_customer(customer_id, actor=_actor())
    flash(
        "Personal data erased; the e-mail provider deletes the member on the next sync."
        + (
            f" {erasure.waiting} order(s) still being printed or delivered keep the address "
            "until they arrive, then it is erased too."
            if erasure.waiting
            else ""
        )
    )
    return redirect(url_for("admin.customers"), 303)
