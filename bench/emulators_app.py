"""Every outside service's emulator (and the content lake with the demo catalog) in a
process of their own, as the real services are: ``bench/checkout.py`` serves ``wsgi`` with
gunicorn (one worker, so one state; threads, and keep-alive like the real APIs), with
``SHOP_URL``, ``EMULATORS_PORT`` and ``DATA_DIR`` set."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from devstack.embedded import build_embedded
from storefront.config import load_settings

port = int(os.environ["EMULATORS_PORT"])
here = f"http://127.0.0.1:{port}"
settings = load_settings(
    base_url=os.environ["SHOP_URL"], sanity_api_url=f"{here}/_emulators/sanity"
)
wsgi = DispatcherMiddleware(NotFound(), build_embedded(settings, served_at=here).mounts())
