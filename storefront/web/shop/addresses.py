"""Saved delivery addresses on the account page (validated with Gelato's limits), offered
at checkout."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from storefront.accounts.models import Address
from storefront.container import services
from storefront.errors import NotFound
from storefront.gelato.address import ShippingAddress, validate_address
from storefront.web.auth import access, current_user

bp = Blueprint("addresses", __name__)
FIELDS = (
    "first_name",
    "last_name",
    "company",
    "line1",
    "line2",
    "city",
    "post_code",
    "state",
    "country",
    "phone",
)


def _shipping(form: dict[str, str], email: str) -> ShippingAddress:
    return ShippingAddress(
        first_name=form.get("first_name", ""),
        last_name=form.get("last_name", ""),
        address_line1=form.get("line1", ""),
        address_line2=form.get("line2", ""),
        city=form.get("city", ""),
        post_code=form.get("post_code", ""),
        state=form.get("state", ""),
        country=form.get("country", "").upper(),
        email=email,
        company_name=form.get("company", ""),
        phone=form.get("phone", ""),
    )


_OURS = {"address_line1": "line1", "address_line2": "line2", "company_name": "company"}


@bp.route("/account/addresses", methods=["GET", "POST"])
@access("customer")
def addresses() -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    errors: dict[str, str] = {}
    form = {k: request.form.get(k, "").strip() for k in FIELDS}
    db = services().db
    if request.method == "POST":
        for problem in validate_address(_shipping(form, user.email)):
            errors.setdefault(_OURS.get(problem.field, problem.field), problem.message)
        if not errors:
            with db.session_scope(write=True) as session:
                has_any = (
                    session.execute(
                        select(Address.id).where(Address.customer_id == user.id)
                    ).first()
                    is not None
                )
                session.add(
                    Address(
                        customer_id=user.id,
                        is_default=not has_any,
                        **{
                            k: (form[k] or None)
                            if k in ("company", "line2", "state", "phone")
                            else form[k]
                            for k in FIELDS
                        },
                    )
                )
            flash("Address saved.")
            return redirect(url_for("addresses.addresses"), 303)
    with db.session_scope() as session:
        saved = (
            session.execute(
                select(Address).where(Address.customer_id == user.id).order_by(Address.id)
            )
            .scalars()
            .all()
        )
    return render_template("accounts/addresses.html", saved=saved, form=form, errors=errors), (
        422 if errors else 200
    )


@bp.post("/account/addresses/<int:address_id>/delete")
@access("customer")
def delete(address_id: int) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    with services().db.session_scope(write=True) as session:
        address = session.get(Address, address_id)
        if address is None or address.customer_id != user.id:
            raise NotFound("No such address.")  # another customer's id reveals nothing
        session.delete(address)
    flash("Address deleted.")
    return redirect(url_for("addresses.addresses"), 303)


def default_address_form(customer_id: int) -> dict[str, str]:
    """The checkout form prefilled from the default saved address."""
    with services().db.session_scope() as session:
        address = (
            session.execute(
                select(Address)
                .where(Address.customer_id == customer_id)
                .order_by(Address.is_default.desc(), Address.id)
            )
            .scalars()
            .first()
        )
        if address is None:
            return {}
        return {
            "first_name": address.first_name,
            "last_name": address.last_name,
            "address_line1": address.line1,
            "address_line2": address.line2 or "",
            "city": address.city,
            "post_code": address.post_code,
            "state": address.state or "",
            "country": address.country,
            "phone": address.phone or "",
        }
