"""Cached catalog pages under gunicorn, next to a bare page rendering the same base template.

    .venv/bin/python bench/catalog.py [--seconds 8] [--clients 8]

Starts the content lake (demo catalog) on a local port, gunicorn with 2 workers, then loads
each page with concurrent clients for a fixed time. Prints requests per second and p50/p99
per page, the ratio of each page to the bare page, and how many requests reached the lake.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Counting:
    """WSGI middleware counting the requests that reach the lake."""

    def __init__(self, app):  # type: ignore[no-untyped-def]
        self.app, self.count = app, 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        with self.lock:
            self.count += 1
        return self.app(environ, start_response)


def load(url: str, seconds: float, clients: int) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        with httpx.Client(timeout=10) as client:
            mine = []
            while time.perf_counter() < stop:
                start = time.perf_counter()
                status = client.get(url).status_code
                mine.append(time.perf_counter() - start)
                if status != 200:
                    errors += 1
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99 * 1000, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    from storefront import migrate
    from storefront.config import Settings
    from storefront.content.exports import import_export
    from storefront.content.lake.app import create_lake_app_from_settings, open_lake
    from storefront.emulators.common import LiveServer
    from storefront.emulators.embedded import DEMO_CATALOG

    folder = Path(tempfile.mkdtemp(prefix="storefront-bench-catalog-"))
    lake_port, web_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'shop.db'}",
        "DATA_DIR": str(folder),
        "LOG_LEVEL": "WARNING",
        "STOREFRONT_ENV": "test",
        "BASE_URL": f"http://127.0.0.1:{web_port}",
        "SANITY_API_URL": f"http://127.0.0.1:{lake_port}",
        "CONTENT_CACHE_TTL": "60",
        "PYTHONPATH": str(ROOT),
    }
    settings = Settings(
        _env_file=None,
        database_url=env["DATABASE_URL"],
        data_dir=folder,  # type: ignore[call-arg]
        sanity_api_url=env["SANITY_API_URL"],
    )
    migrate.upgrade(settings.database_url)
    store, files = open_lake(settings)
    import_export(
        DEMO_CATALOG,
        store,
        files,
        project_id=settings.sanity_project_id,
        dataset=settings.sanity_dataset,
        cdn_base=settings.sanity_live_url,
    )
    store.close()
    lake = Counting(create_lake_app_from_settings(settings))
    with LiveServer(lake, port=lake_port):
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "2",
                "--threads",
                "4",
                "-b",
                f"127.0.0.1:{web_port}",
                "--chdir",
                str(ROOT / "bench"),
                "--log-level",
                "warning",
                "catalog_app:app",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            base = f"http://127.0.0.1:{web_port}"
            for _ in range(100):
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            pages = {
                "bare page": "/bench/bare",
                "product page": "/products/compost-happens",
                "listing page": "/shop/gallows-humour",
            }
            for path in pages.values():  # warm both workers' caches
                for _ in range(4):
                    httpx.get(base + path, timeout=10)
            warm = lake.count
            results = {
                name: load(base + path, args.seconds, args.clients) for name, path in pages.items()
            }
            upstream = lake.count - warm
        finally:
            gunicorn.terminate()
            gunicorn.wait(10)
    bare_rps = results["bare page"][0]
    print(f"gunicorn 2 workers × 4 threads, {args.clients} clients, {args.seconds:.0f} s each")
    for name, (rps, p50, p99, errors) in results.items():
        print(
            f"{name:<14} {rps:8.1f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   "
            f"ratio to bare {rps / bare_rps:5.2f}" + (f"   ERRORS {errors}" if errors else "")
        )
    print(f"content requests to the lake during the measured run: {upstream} (warm-up made {warm})")


if __name__ == "__main__":
    main()
