"""The versioned JSON API under ``/api/v1``.

To add endpoints: write a module whose views use ``storefront.web.api.framework.v1`` (see its
docstring) and add the module's dotted name to :data:`ENDPOINT_MODULES`. ``init_app`` imports
them all before the blueprint is registered (Flask freezes a blueprint's routes then).
"""

from __future__ import annotations

import importlib

from flask import Flask

from storefront.web.api import bearer
from storefront.web.api.framework import v1
from storefront.web.state import web_state

#: Every module that declares /api/v1 operations, in the order of the reference docs.
ENDPOINT_MODULES = (
    "storefront.web.api.users",
    "storefront.web.api.tokens",
    "storefront.web.api.catalog",
    "storefront.web.api.reviews",
    "storefront.web.api.cart",
    "storefront.web.api.orders",
    "storefront.web.api.operator",
    "storefront.web.api.newsletter",
    "storefront.web.api.openapi",
    "storefront.web.api.docs",
)


def init_app(app: Flask) -> None:
    """Mount /api/v1 and put the bearer-token resolver before the session one."""

    if v1.name in app.blueprints:
        return  # already mounted: safe to call twice
    for name in ENDPOINT_MODULES:
        importlib.import_module(name)
    app.register_blueprint(v1.blueprint)
    resolvers = web_state(app).user_resolvers
    if bearer.bearer_user not in resolvers:
        resolvers.insert(0, bearer.bearer_user)
