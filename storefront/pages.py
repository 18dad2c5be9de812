"""The shop's front door until the catalog lands: a home page that proves the stack is up."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from storefront.auth import access

bp = Blueprint("pages", __name__)


@bp.get("/")
@access("public")
def home() -> ResponseReturnValue:
    return render_template("home.html")
