"""What a ``storefront`` command works with: settings, the app, an HTTP client.

Under the installed command the root context's ``obj`` is Flask's ``ScriptInfo``, so a
command must not read it. Commands take a :class:`CliState` with :data:`pass_state`
instead: click finds the one a test handed in (``invoke(group, args, obj=CliState(...))``)
or makes an empty one, which builds what is asked for from the environment, with a running
``storefront dev``'s own choices filled in (:mod:`storefront.devstate`).
"""

from __future__ import annotations

from dataclasses import dataclass

import click
import httpx
from flask import Flask

from storefront.app import create_app
from storefront.config import Settings
from storefront.container import services
from storefront.devstate import load_settings_near_dev


@dataclass
class CliState:
    settings: Settings | None = None
    app: Flask | None = None
    #: Outbound HTTP for commands that call a remote API (tests point it at a WSGI app).
    http: httpx.Client | None = None

    def get_settings(self) -> Settings:
        if self.settings is None:
            if self.app is not None:
                self.settings = services(self.app).settings
            else:
                self.settings = load_settings_near_dev()
        return self.settings

    def get_app(self) -> Flask:
        if self.app is None:
            self.app = create_app(self.get_settings())
        return self.app


pass_state = click.make_pass_decorator(CliState, ensure=True)
