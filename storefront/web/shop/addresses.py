"""Saved delivery addresses on the account page (validated with Gelato's limits), offered
at checkout: add, edit, delete — each only by the customer who owns the address."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from storefront.accounts.models import Address
from storefront.container import services
from storefront.countries import country_code, delivery_problem
from storefront.errors import NotFound
from storefront.gelato.address import ShippingAddress, validate_address
from storefront.web.auth import CurrentUser, access, current_user
from storefront.web.shop.market import shipping_choices, shipping_countries

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
OPTIONAL = frozenset({"company", "line2", "state", "phone"})


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


def _read_form() -> dict[str, str]:
    """The posted fields, the country as its code (a typed name such as "Germany" too)."""
    form = {k: request.form.get(k, "").strip() for k in FIELDS}
    form["country"] = country_code(form["country"]) or form["country"]
    return form


def _problems(form: dict[str, str], email: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    ships_to = shipping_countries()
    country = delivery_problem(form["country"], ships_to) if form["country"] else None
    if country:
        errors["country"] = country
    for problem in validate_address(_shipping(form, email)):
        errors.setdefault(_OURS.get(problem.field, problem.field), problem.message)
    return errors


def _values(form: dict[str, str]) -> dict[str, str | None]:
    return {k: (form[k] or None) if k in OPTIONAL else form[k] for k in FIELDS}


def _saved(user: CurrentUser) -> list[Address]:
    with services().db.session_scope() as session:
        return list(
            session.execute(
                select(Address).where(Address.customer_id == user.id).order_by(Address.id)
            )
            .scalars()
            .all()
        )


def _render(
    template: str, form: dict[str, str], errors: dict[str, str], **extra: object
) -> ResponseReturnValue:
    return render_template(
        template, form=form, errors=errors, countries=shipping_choices(), **extra
    ), (422 if errors else 200)


@bp.route("/account/addresses", methods=["GET", "POST"])
@access("customer")
def addresses() -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    errors: dict[str, str] = {}
    form = dict.fromkeys(FIELDS, "") | {"country": "DE"}
    if request.method == "POST":
        form = _read_form()
        errors = _problems(form, user.email)
        if not errors:
            with services().db.session_scope(write=True) as session:
                has_any = (
                    session.execute(
                        select(Address.id).where(Address.customer_id == user.id)
                    ).first()
                    is not None
                )
                session.add(Address(customer_id=user.id, is_default=not has_any, **_values(form)))
            flash("Address saved.")
            return redirect(url_for("addresses.addresses"), 303)
    return _render("accounts/addresses.html", form, errors, saved=_saved(user))


def _own_address(session_address: Address | None, user: CurrentUser) -> Address:
    if session_address is None or session_address.customer_id != user.id:
        raise NotFound("No such address.")  # another customer's id reveals nothing
    return session_address


@bp.route("/account/addresses/<int:address_id>/edit", methods=["GET", "POST"])
@access("customer")
def edit(address_id: int) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    db = services().db
    with db.session_scope() as session:
        address = _own_address(session.get(Address, address_id), user)
        form = {k: getattr(address, k) or "" for k in FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = _read_form()
        errors = _problems(form, user.email)
        if not errors:
            with db.session_scope(write=True) as session:
                address = _own_address(session.get(Address, address_id), user)
                for key, value in _values(form).items():
                    setattr(address, key, value)
            flash("Address updated.")
            return redirect(url_for("addresses.addresses"), 303)
    return _render("accounts/address_edit.html", form, errors, address_id=address_id)


@bp.post("/account/addresses/<int:address_id>/delete")
@access("customer")
def delete(address_id: int) -> ResponseReturnValue:
    user = current_user()
    assert user is not None
    with services().db.session_scope(write=True) as session:
        session.delete(_own_address(session.get(Address, address_id), user))
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
