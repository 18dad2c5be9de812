"""Cached catalog pages under gunicorn, next to a bare page rendering the same base template.

    .venv/bin/python bench/catalog.py [--seconds 15] [--clients 8] [--rounds 15]

Starts everything the pages touch: a migrated SQLite database, the content lake (demo
catalog) on a local port, and gunicorn (2 workers × 4 threads) serving the shop plus the
bare page (`bench/catalog_app.py`). Then loads each page with concurrent keep-alive clients
— first-time visitors, no cookies — in interleaved rounds (bare, product, listing,
product revalidated with ``If-None-Match``; ``--seconds`` split over ``--rounds``), so a
change in the machine's load hits every page alike. Prints requests per second and p50/p99
per page, the gunicorn workers' CPU time per request, each page's throughput and p99 as a
ratio to the bare page's (and the throughput ratio the CPU times alone predict, which a
busy machine disturbs less), and how many requests reached the lake while measuring. A
control line, the bare page padded to the product page's length, shows how much of the
gap is the response's size rather than catalog work.

Fails (exit status 1, with the reason) when gunicorn does not come up, a page answers with
an unexpected status or body, a request errors, or the caching headers are missing.

The client is a small raw-socket HTTP/1.1 loop rather than an HTTP library: on two cores
shared with the server, a heavier client's own CPU time would pad every page's cost alike
and pull the ratios towards 1.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class BenchFailure(Exception):
    """Something answered wrongly: the figures would mean nothing."""


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


@dataclass
class Page:
    name: str
    path: str
    marker: bytes  # must be in every 200 body
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the gunicorn workers spent while this page loaded
    failures: list[str] = field(default_factory=list)

    def request(self, port: int) -> bytes:
        lines = [f"GET {self.path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept: text/html"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return self.server_cpu / len(self.latencies) * 1000 if self.latencies else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else 0.0


class Connection:
    """One keep-alive HTTP/1.1 connection; responses must carry Content-Length."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def exchange(self, raw: bytes) -> tuple[int, bytes]:
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        closing = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                closing = True
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        if closing:
            self.reconnect()
        return status, body

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection mid-response")
        self.buf += chunk

    def reconnect(self) -> None:
        self.close()
        self.__init__(self.port)  # type: ignore[misc]

    def close(self) -> None:
        self.sock.close()


def cpu_seconds(parent: int) -> float:
    """User + system CPU time of ``parent``'s child processes (the gunicorn workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:  # fields[1] is the ppid; utime and stime follow at 11, 12
            total += int(fields[11]) + int(fields[12])
    return total / tick


def load(page: Page, port: int, seconds: float, clients: int) -> None:
    """``clients`` keep-alive connections asking for ``page`` for ``seconds``."""
    raw = page.request(port)
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        mine: list[float] = []
        problems: list[str] = []
        try:
            conn = Connection(port)
        except OSError as exc:
            problems.append(f"cannot connect: {exc}")
        else:
            try:
                while time.perf_counter() < stop:
                    start = time.perf_counter()
                    status, body = conn.exchange(raw)
                    mine.append(time.perf_counter() - start)
                    if status != page.status:
                        problems.append(f"status {status}, expected {page.status}")
                    elif status == 200 and page.marker not in body:
                        problems.append(f"the body lacks {page.marker!r}")
                    if len(problems) >= 5:
                        break
            except (OSError, ValueError, IndexError) as exc:
                problems.append(f"request failed: {exc!r}")
            finally:
                conn.close()
        with lock:
            page.latencies.extend(mine)
            page.failures.extend(problems)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    page.seconds += time.perf_counter() - started


def warm_up(base: str, page: Page, lake: Counting, connections: int = 40) -> None:
    """Fill every worker's caches: each worker has its own, and the kernel hands a new
    connection to either, but not evenly — so keep opening fresh connections until a
    whole round of them reaches the lake no more (both workers have it cached)."""
    for _ in range(20):
        before = lake.count
        for _ in range(connections):
            r = httpx.get(base + page.path, headers={"Connection": "close"}, timeout=10)
            if r.status_code != 200:
                raise BenchFailure(f"{page.name}: GET {page.path} answered {r.status_code}")
        if lake.count == before:
            return
    raise BenchFailure(f"{page.name}: still reaching the lake after 20 warm-up rounds")


def check_caching(base: str, pages: list[Page]) -> str:
    """The pages' HTTP caching before measuring; returns the product page's ETag."""
    etag = ""
    for page in pages:
        if page.status != 200:
            continue
        r = httpx.get(base + page.path, headers={"Accept": "text/html"}, timeout=10)
        if r.status_code != 200:
            raise BenchFailure(f"{page.name}: GET {page.path} answered {r.status_code}")
        cc = r.headers.get("Cache-Control", "")
        if "public" not in cc or "stale-while-revalidate" not in cc or "ETag" not in r.headers:
            raise BenchFailure(
                f"{page.name}: a first-time visitor's page is not shareable "
                f"(Cache-Control {cc!r}, ETag {r.headers.get('ETag')!r})"
            )
        if "set-cookie" in r.headers:
            raise BenchFailure(f"{page.name}: a shareable page set a cookie")
        if page.name == "product page":
            etag = r.headers["ETag"]
    again = httpx.get(
        base + "/products/compost-happens", headers={"If-None-Match": etag}, timeout=10
    )
    if again.status_code != 304:
        raise BenchFailure(f"product page: If-None-Match answered {again.status_code}, not 304")
    return etag


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0, help="per page, over all rounds")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    from cms_schema import DEMO_CATALOG
    from contentlake.exports import import_export
    from devstack.lake import create_lake_app_from_settings, open_lake
    from emulators.common import LiveServer
    from storefront import migrate
    from storefront.config import Settings

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
        "SANITY_CDN_URL": f"http://127.0.0.1:{lake_port}",
        "CONTENT_CACHE_TTL": "600",  # longer than the run: every page is served cached
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
    errors_log = folder / "gunicorn.err"
    pages = [
        Page("bare page", "/bench/bare", b"<h1>Bare page</h1>"),
        Page("product page", "/products/compost-happens", b"Compost Happens"),
        Page("listing page", "/shop/gallows-humour", b"Rest In Plastic"),
    ]
    with LiveServer(lake, port=lake_port), errors_log.open("wb") as err:
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
            stderr=err,
        )
        try:
            base = f"http://127.0.0.1:{web_port}"
            deadline = time.monotonic() + 60
            while True:
                if gunicorn.poll() is not None:
                    raise BenchFailure(f"gunicorn exited with status {gunicorn.returncode}")
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchFailure("gunicorn did not answer /healthz within 60 s")
                time.sleep(0.1)
            for page in pages:
                warm_up(base, page, lake)
            etag = check_caching(base, pages)
            sizes = {p.name: len(httpx.get(base + p.path, timeout=10).content) for p in pages}
            extra = max(0, sizes["product page"] - sizes["bare page"] - 7)  # 7: the <p></p>
            control = Page("bare, padded", f"/bench/padded/{extra}", b"<h1>Bare page</h1>")
            warm_up(base, control, lake)
            pages.insert(1, control)
            pages.append(
                Page(
                    "product 304",
                    "/products/compost-happens",
                    b"",
                    status=304,
                    headers={"If-None-Match": etag},
                )
            )
            warm = lake.count
            for _ in range(args.rounds):
                for page in pages:
                    cpu = cpu_seconds(gunicorn.pid)
                    load(page, web_port, args.seconds / args.rounds, args.clients)
                    page.server_cpu += cpu_seconds(gunicorn.pid) - cpu
            upstream = lake.count - warm
        except BenchFailure as exc:
            print(f"bench/catalog.py: FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            gunicorn.terminate()
            gunicorn.wait(10)
    failed = [p for p in pages if p.failures or not p.latencies]
    if failed:
        for page in failed:
            reasons = sorted(set(page.failures)) or ["no request completed"]
            print(f"bench/catalog.py: FAILED: {page.name}: {'; '.join(reasons)}", file=sys.stderr)
        tail = errors_log.read_text(errors="replace")[-2000:]
        if tail:
            print(f"gunicorn's stderr (end):\n{tail}", file=sys.stderr)
        return 1

    bare = pages[0]
    print(
        f"gunicorn 2 workers × 4 threads, {args.clients} keep-alive clients without cookies, "
        f"{args.seconds:.0f} s per page in {args.rounds} interleaved rounds"
    )
    print(
        f"{'':13} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10}   "
        "ratios to the bare page: throughput, p99, throughput by server CPU"
    )
    for page in pages:
        print(
            f"{page.name:<13} {page.rps:8.1f} {page.percentile(0.50):7.2f} "
            f"{page.percentile(0.99):7.2f} {page.cpu_ms:10.3f}   "
            f"×{page.rps / bare.rps:5.2f}  ×{page.percentile(0.99) / bare.percentile(0.99):5.2f}"
            f"  ×{bare.cpu_ms / page.cpu_ms:5.2f}"
        )
    print(
        f"(bare, padded: the bare page made as long as the product page, {sizes['product page']}"
        f" bytes against {sizes['bare page']} — what the bigger response alone costs)"
    )
    print(f"content requests to the lake during the measured run: {upstream} (warm-up made {warm})")
    if upstream:
        print("bench/catalog.py: FAILED: pages reached the lake while cached", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
