"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from flask import Flask

from storefront.money import format_money


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
