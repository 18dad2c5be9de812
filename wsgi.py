"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

import sys

from storefront.config import ConfigError

try:
    from storefront.app import create_app

    app = create_app()
except ConfigError as exc:  # one clear line instead of a traceback wall
    sys.stderr.write(f"storefront: configuration error: {exc}\n")
    raise SystemExit(2) from None
