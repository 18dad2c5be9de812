"""Shared set-up for the benchmarks: a migrated SQLite file in a temp folder, an app."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from storefront.container import services

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def temp_app(**overrides: object):  # type: ignore[no-untyped-def]
    from storefront import migrate
    from storefront.app import create_app
    from storefront.config import Settings

    folder = Path(tempfile.mkdtemp(prefix="storefront-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    migrate.upgrade(url)
    settings = Settings(
        _env_file=None,
        storefront_env="test",
        log_level="WARNING",  # type: ignore[call-arg]
        database_url=url,
        data_dir=folder / "var",
        **overrides,
    )
    app = create_app(settings)
    services(app).mail_delivery = "off"
    return app


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
