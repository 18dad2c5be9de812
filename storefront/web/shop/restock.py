"""Back in stock: leave an e-mail on a sold-out size; confirm it (double opt-in)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

from storefront.container import services
from storefront.errors import NotFound, ValidationFailed
from storefront.mail import worker as mail_worker
from storefront.restock import services as restock
from storefront.restock.links import confirm_url
from storefront.signing import InvalidToken, read_token
from storefront.web.auth import access, current_user
from storefront.web.forms import error_details
from storefront.web.security import limiter

bp = Blueprint("restock", __name__)


class RestockForm(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    product_id: str = Field(min_length=1, max_length=128)
    variant_key: str = Field(min_length=1, max_length=128)
    email: EmailStr | None = None


@bp.post("/back-in-stock")
@access("public")
@limiter.limit("10/minute")
def ask() -> ResponseReturnValue:
    user = current_user()
    data = {k: v for k, v in request.form.to_dict().items() if v.strip()}
    try:
        form = RestockForm.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(
            "Choose the sold-out size and enter a valid e-mail address.",
            details=error_details(exc),
        ) from exc
    email = user.email if user is not None else (str(form.email) if form.email else "")
    if not email:
        raise ValidationFailed(
            "Enter the e-mail address we should write to when the size is back.",
            details=[{"field": "email", "message": "an e-mail address is required"}],
        )
    # the catalog is asked before any session is open (it may call the content API)
    offer = restock.wanted_offer(services().catalog, form.product_id, form.variant_key)
    with services().db.session_scope(write=True) as session:
        req = restock.request(
            session,
            offer,
            email,
            customer_id=user.id if user is not None else None,
            confirm_link=confirm_url,
        )
        status = req.status
    if status == restock.PENDING:
        mail_worker.kick(services().postman)
    return render_template(
        "restock/asked.html", offer=offer, email=email, confirmed=status == restock.OPEN
    )


@bp.get("/back-in-stock/confirm/<token>")
@access("public")
def confirm(token: str) -> ResponseReturnValue:
    try:
        request_id = read_token("restock-confirm", token)
    except InvalidToken as exc:
        flash(f"That confirmation link is {exc.reason}. Ask again on the product page.")
        return redirect(url_for("catalog.home"))
    if not isinstance(request_id, int):
        raise NotFound("We have no such request.")
    with services().db.session_scope(write=True) as session:
        restock.confirm(session, request_id)
    return render_template("restock/confirmed.html")
