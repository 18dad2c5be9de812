"""The app ``bench/checkout.py`` serves under gunicorn: the shop, configured from the
environment the benchmark sets (every outside service at the emulators' own process), plus
a plain database-write route, the baseline."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storefront.app import create_app
from storefront.container import services
from storefront.inbox.services import record_delivery
from storefront.web.auth import access

app = create_app()


@app.post("/bench/write")
@access("public")
def bench_write() -> Any:
    """One small row written in one transaction, behind the same middleware and CSRF check."""
    with services(app).db.session_scope(write=True) as session:
        record_delivery(session, "bench", secrets.token_hex(8), "bench", {})
    return "ok"
