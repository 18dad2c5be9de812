"""Review pages: the buyer's form, the one-click opt-out from invites, the preference."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from storefront.accounts.models import Customer
from storefront.container import services
from storefront.errors import ValidationFailed, wants_json
from storefront.orders.models import Order
from storefront.reviews import services as reviews
from storefront.reviews.invites import opt_out
from storefront.reviews.rules import ReviewInput
from storefront.signing import InvalidToken, read_token
from storefront.web.auth import access, current_user
from storefront.web.forms import error_details, field_errors
from storefront.web.security import limiter

bp = Blueprint("reviews", __name__)


def _user_id() -> int:
    user = current_user()
    assert user is not None  # access("customer") made sure
    return user.id


def _title(order: Order, product_id: str) -> str:
    return next(i.title for i in order.items if i.product_id == product_id)


@bp.route("/orders/<number>/review/<product_id>", methods=["GET", "POST"])
@access("customer")
@limiter.limit("10/minute", methods=["POST"])
def write(number: str, product_id: str) -> ResponseReturnValue:
    """The buyer of a delivered order rates one of its shirts (once)."""
    uid = _user_id()
    errors: dict[str, str] = {}
    form = request.form.to_dict() if request.method == "POST" else {}
    if request.method == "POST":
        try:
            data = ReviewInput.model_validate(form)
        except ValidationError as exc:
            if wants_json():
                raise ValidationFailed(
                    "Give 1 to 5 stars, a name to show and a few lines.",
                    details=error_details(exc),
                ) from exc
            errors = field_errors(exc)
        else:
            with services().db.session_scope(write=True) as session:
                reviews.submit(session, number, product_id, uid, data)
            flash("Thank you! Your review will appear once we have read it.")
            return redirect(url_for("accounts.account"), code=303)
    with services().db.session_scope() as session:
        order = reviews.may_review(session, number, product_id, uid)
        title = _title(order, product_id)
    status = 422 if errors else 200
    return (
        render_template(
            "reviews/write.html",
            number=number,
            product_id=product_id,
            title=title,
            form=form,
            errors=errors,
        ),
        status,
    )


@bp.route("/reviews/opt-out/<token>", methods=["GET", "POST"])
@access("public")
def optout(token: str) -> ResponseReturnValue:
    """GET shows one button (mail scanners follow links); POST withdraws the consent."""
    try:
        email = read_token("review-optout", token)
    except InvalidToken:
        flash("That opt-out link is damaged. Reply to the e-mail and we will stop asking.")
        return redirect(url_for("catalog.home"))
    if request.method == "POST":
        with services().db.session_scope(write=True) as session:
            opt_out(session, email)
        return render_template("reviews/opted_out.html")
    return render_template("reviews/optout.html")


@bp.post("/account/review-invites")
@access("customer")
@limiter.limit("10/minute")
def preference() -> ResponseReturnValue:
    wanted = request.form.get("review_invites") == "yes"
    with services().db.session_scope(write=True) as session:
        customer = session.get(Customer, _user_id())
        assert customer is not None
        customer.review_invites = wanted
    flash(
        "We will ask you for a review after a delivery."
        if wanted
        else "We will not ask you for reviews."
    )
    return redirect(url_for("accounts.account"), code=303)


def reviewable(customer_id: int) -> list[dict[str, str]]:
    """Delivered shirts of the customer not reviewed yet: the account page's links."""
    with services().db.session_scope() as session:
        due = reviews.reviewable(session, customer_id)
    return [
        {
            "title": title,
            "number": number,
            "link": url_for("reviews.write", number=number, product_id=product_id),
        }
        for number, product_id, title in due
    ]
