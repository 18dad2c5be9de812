"""Operators moderate reviews: approve, reject, reply. A decision shows on the product page
at once in this process (the board is expired) and within a second in the others."""

from __future__ import annotations

from typing import cast

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from storefront.container import services
from storefront.errors import BadRequest
from storefront.reviews import services as reviews
from storefront.web.auth import access, current_user

bp = Blueprint("admin_reviews", __name__, url_prefix="/admin/reviews")
STATUSES = (reviews.PENDING, reviews.APPROVED, reviews.REJECTED)


@bp.get("")
@access("operator")
def queue() -> ResponseReturnValue:
    status = request.args.get("status", reviews.PENDING)
    status = status if status in STATUSES else reviews.PENDING
    with services().db.session_scope() as session:
        found = reviews.pending(session, status=status)
    return render_template("admin/reviews.html", reviews=found, status=status, statuses=STATUSES)


@bp.post("/<int:review_id>")
@access("operator")
def decide(review_id: int) -> ResponseReturnValue:
    decision = request.form.get("decision", "")
    if decision not in ("approve", "reject", "reply"):
        raise BadRequest("Choose approve, reject or reply.", code="unknown_decision")
    user = current_user()
    actor = f"operator:{user.id}" if user else "operator"
    with services().db.session_scope(write=True) as session:
        reviews.moderate(
            session,
            review_id,
            cast(reviews.Decision, decision),
            actor=actor,
            reply=request.form.get("reply", ""),
        )
    services().reviews.expire()
    flash({"approve": "Approved.", "reject": "Rejected.", "reply": "Reply saved."}[decision])
    return redirect(url_for("admin_reviews.queue", status=request.args.get("status")), code=303)
