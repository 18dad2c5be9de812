"""The app `bench/catalog.py` serves under gunicorn: the real shop plus a bare page that
renders the same base template with no content work (the baseline).

The bare page goes through everything a catalog page goes through except the catalog: the
same middleware, the same base template (header, mini-cart, footer form), and the same HTTP
caching rule (``shared_cacheable``: ETag, 304, Cache-Control).

``/bench/padded/<n>`` is the bare page with ``n`` bytes of fixed text added: a control, not
a baseline. Made as long as the product page, it shows what the bigger response alone costs
(writing, sending and reading more bytes) apart from any catalog work."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Response
from jinja2 import ChoiceLoader, DictLoader

from storefront.app import create_app
from storefront.web.auth import access
from storefront.web.httpcache import render_page, shared_cacheable

app = create_app()
# A real (cached, compiled once) template, like every page of the shop.
app.jinja_loader = ChoiceLoader(
    [  # type: ignore[assignment]
        DictLoader(
            {
                "bench_bare.html": '{% extends "base.html" %}'
                "{% block content %}<h1>Bare page</h1>{{ filler }}{% endblock %}"
            }
        ),
        app.jinja_loader,  # type: ignore[list-item]
    ]
)


@app.get("/bench/bare")
@access("public")
@shared_cacheable()
def bare() -> Response:
    return render_page("bench_bare.html")


@app.get("/bench/padded/<int:size>")
@access("public")
@shared_cacheable()
def padded(size: int) -> Response:
    return render_page("bench_bare.html", filler=_filler(min(size, 1_000_000)))


@functools.lru_cache(maxsize=8)
def _filler(size: int) -> str:
    return f"<p>{('Nothing made that nobody wants. ' * (size // 32 + 1))[:size]}</p>"
