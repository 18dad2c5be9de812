"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from flask import Flask

from storefront.money import format_money

COUNTRY_NAMES = {
    "DE": "Germany",
    "AT": "Austria",
    "NL": "the Netherlands",
    "FR": "France",
    "BE": "Belgium",
    "ES": "Spain",
    "IT": "Italy",
    "SE": "Sweden",
    "DK": "Denmark",
    "IE": "Ireland",
    "GB": "the United Kingdom",
    "US": "the United States",
    "CA": "Canada",
    "AU": "Australia",
    "PL": "Poland",
    "CZ": "Czechia",
    "PT": "Portugal",
    "NO": "Norway",
    "JP": "Japan",
}


def country_name(code: str) -> str:
    return COUNTRY_NAMES.get((code or "").upper(), code)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
