"""The installed ``storefront`` command against real local servers.

``storefront dev`` runs in a subprocess on a free port with a scratch ``DATA_DIR`` and
nothing else; the other commands run next to it from another folder with the same
``DATA_DIR`` and no other setting, and must reach it (its port, its database, its local
token) through ``DATA_DIR/dev-server.json``. ``content push`` seeds a ``content serve``.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from storefront import devstate
from tests.cli.support import Server, console_env, free_port, json_lines, storefront
from tests.contentlake.test_exports import write_folder

pytestmark = pytest.mark.slow

API = "v2025-02-19"
TOKEN = "local-lake-token"  # what `storefront dev` gives its own lake


@dataclass
class DevShop:
    url: str
    data_dir: Path
    env: dict[str, str]
    elsewhere: Path  # a folder other than the server's: commands must not rely on the cwd
    server: Server

    def lake(self, groq: str) -> object:
        response = httpx.get(
            f"{self.url}/_emulators/sanity/{API}/data/query/production",
            params={"query": groq},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["result"]

    def mutate(self, *mutations: dict[str, object]) -> None:
        response = httpx.post(
            f"{self.url}/_emulators/sanity/{API}/data/mutate/production",
            json={"mutations": list(mutations)},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        response.raise_for_status()


def start_dev(root: Path) -> DevShop:
    port = free_port()
    data_dir = root / "var"
    env = console_env(data_dir)
    server = Server("dev", "--port", str(port), env=env, cwd=root / "server-cwd")
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_for_http(f"{url}/healthz")
    except AssertionError:
        server.stop()
        raise
    return DevShop(url, data_dir, env, root / "elsewhere", server)


@pytest.fixture(scope="module")
def dev_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevShop]:
    shop = start_dev(tmp_path_factory.mktemp("dev-shop"))
    yield shop
    shop.server.stop()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_dev_serves_the_shop_and_stops_cleanly(tmp_path: Path, sig: int) -> None:
    shop = start_dev(tmp_path)
    try:
        home = httpx.get(shop.url + "/", timeout=30)
        assert home.status_code == 200 and "text/html" in home.headers["content-type"]
        slug = re.findall(r'href="/products/([a-z0-9-]+)"', home.text)[0]
        product = httpx.get(f"{shop.url}/products/{slug}", timeout=30)
        assert product.status_code == 200
        assert re.search(r"<h1>[^<]+</h1>", product.text) and "€" in product.text
        recorded = json.loads((shop.data_dir / devstate.FILE_NAME).read_text())
        assert recorded["pid"] == shop.server.proc.pid
        assert recorded["settings"]["base_url"] == shop.url
        db_file = tmp_path / "server-cwd" / "var" / "storefront.db"  # DATABASE_URL's default
        assert recorded["settings"]["database_url"] == f"sqlite:///{db_file}"
    finally:
        code = shop.server.stop(sig)
    assert code == 0, shop.server.err
    assert shop.server.out.startswith(f"Storefront is running on {shop.url}/")
    assert shop.server.err.rstrip().endswith("Storefront stopped")
    assert not (shop.data_dir / devstate.FILE_NAME).exists()


def test_preview_url_points_at_the_dev_shop(dev_shop: DevShop) -> None:
    result = storefront(
        "preview-url", "product-compost-happens", env=dev_shop.env, cwd=dev_shop.elsewhere
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith(f"{dev_shop.url}/preview/start/")
    opened = httpx.get(link, timeout=30)  # signed with the secret the dev server checks
    assert opened.status_code == 303
    assert opened.headers["location"].endswith("/products/compost-happens")


def test_an_explicit_setting_wins_over_the_dev_shop(dev_shop: DevShop) -> None:
    env = {**dev_shop.env, "BASE_URL": "https://shop.example"}
    result = storefront("preview-url", "product-x", env=env, cwd=dev_shop.elsewhere)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("https://shop.example/preview/start/")


def test_a_failing_job_says_why_in_one_line(dev_shop: DevShop) -> None:
    env = {**dev_shop.env, "SANITY_DATASET": "no-such-dataset"}
    result = storefront("sync", "run-once", "inventory", env=env, cwd=dev_shop.elsewhere)
    assert result.returncode == 1
    assert "inventory: failed in" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and "no-such-dataset" in line
    assert line.endswith(f"(details in {dev_shop.data_dir / 'log' / 'cli.jsonl'})")
    assert "Traceback" not in result.stdout + result.stderr
    logged = [
        json.loads(raw)
        for raw in (dev_shop.data_dir / "log" / "cli.jsonl").read_text().splitlines()
    ]
    failed = [
        e for e in logged if e.get("event") == "job.failed" and "no-such-dataset" in e["error"]
    ]
    assert failed and "Traceback" in failed[-1]["exception"]


def test_a_dev_server_that_is_gone_is_ignored(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # its pid is free now, like a crashed dev server's
    devstate.record(tmp_path / "var", {"base_url": "http://127.0.0.1:9"}, pid=gone.pid)
    result = storefront("preview-url", "x", env=console_env(tmp_path / "var"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("http://127.0.0.1:8000/preview/start/")  # the default


def test_content_push_seeds_a_served_lake(tmp_path: Path) -> None:
    port = free_port()
    served = Server(
        "content", "serve", "--port", str(port),
        env=console_env(tmp_path / "served", SANITY_WRITE_TOKEN="push-token"),
        cwd=tmp_path,
    )  # fmt: skip
    query_url = f"http://127.0.0.1:{port}/{API}/data/query/production"
    try:
        served.wait_for_http(f"{query_url}?query=1")
        env = console_env(
            tmp_path / "pusher",
            SANITY_API_URL=f"http://127.0.0.1:{port}",
            SANITY_WRITE_TOKEN="push-token",
        )
        pushed = storefront(
            "content", "push", str(write_folder(tmp_path / "export")), "--to", "sanity",
            "--batch-size", "2", env=env, cwd=tmp_path,
        )  # fmt: skip
        assert pushed.returncode == 0, pushed.stderr
        assert pushed.stdout.strip() == "pushed 3 documents in 2 transactions, 2 assets uploaded"
        titles = httpx.get(
            query_url, params={"query": '*[_type == "category"].title'}, timeout=30
        ).json()["result"]
        assert titles == ["Shirts"]

        refused = storefront(
            "content", "push", str(tmp_path / "export"), "--to", "sanity",
            env={**env, "SANITY_WRITE_TOKEN": "wrong"}, cwd=tmp_path,
        )  # fmt: skip
        assert refused.returncode == 1
        assert refused.stderr.splitlines()[-1] == (
            "Error: the content API refused the token (Session not found): "
            "check SANITY_WRITE_TOKEN or --token"
        )
    finally:
        code = served.stop(signal.SIGINT)
    assert code == 0, served.err
    assert served.out.startswith(
        f"lake for project 'local', dataset 'production' on http://127.0.0.1:{port}"
    )


def test_sync_run_once_reaches_the_dev_shop_on_its_port(dev_shop: DevShop) -> None:
    # The dev server's scheduler fills the inventory once, seconds after start (this test
    # comes last so that has usually happened); wait for it, take one document away, and
    # the command must put exactly that one back in *this* shop's lake.
    dev_shop.server.wait_until(
        lambda: dev_shop.lake('count(*[_type == "inventory"])') != 0, "inventory synced"
    )
    doc = dev_shop.lake('*[_type == "inventory"] | order(_id asc)[0]{_id, productUid}')
    assert isinstance(doc, dict)
    dev_shop.mutate({"delete": {"id": doc["_id"]}})

    result = storefront("sync", "run-once", "inventory", env=dev_shop.env, cwd=dev_shop.elsewhere)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"  {doc['productUid']}: new → available\n" in result.stdout
    assert re.search(r"inventory: succeeded in [\d.]+s — read \d+, changed 1, ", result.stdout)
    assert json_lines(result.stdout + result.stderr) == []
    assert dev_shop.lake(f'*[_id == "{doc["_id"]}"][0].available') is True

    # …and recorded the run in the dev shop's database, found the same way.
    status = storefront("sync", "status", env=dev_shop.env, cwd=dev_shop.elsewhere)
    assert status.returncode == 0, status.stderr
    assert "lease: held by" in status.stdout  # the dev server's scheduler
    row = next(line for line in status.stdout.splitlines() if line.startswith("inventory "))
    assert row.split()[1] == "succeeded"
