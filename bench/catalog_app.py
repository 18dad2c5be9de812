"""The app `bench/catalog.py` serves under gunicorn: the real shop plus a bare page that
renders the same base template with no content work (the baseline).

The bare page goes through everything a catalog page goes through except the catalog: the
same middleware, the same base template (header, mini-cart, footer form), and the same HTTP
caching rule (``shared_cacheable``: ETag, 304, Cache-Control)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import render_template
from jinja2 import ChoiceLoader, DictLoader

from storefront.app import create_app
from storefront.auth import access
from storefront.httpcache import shared_cacheable

app = create_app()
# A real (cached, compiled once) template, like every page of the shop.
app.jinja_loader = ChoiceLoader(
    [  # type: ignore[assignment]
        DictLoader(
            {
                "bench_bare.html": '{% extends "base.html" %}'
                "{% block content %}<h1>Bare page</h1>{% endblock %}"
            }
        ),
        app.jinja_loader,  # type: ignore[list-item]
    ]
)


@app.get("/bench/bare")
@access("public")
@shared_cacheable()
def bare() -> str:
    return render_template("bench_bare.html")
