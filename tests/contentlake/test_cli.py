"""``storefront content …`` through click's CliRunner; remote commands reach a lake app via
an injected httpx client (``obj=CliState(http=...)``). The installed command is tested in
``tests/cli/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contentlake.store import LakeStore
from devstack import content_cli
from devstack.content_cli import caret_lines, content, parse_param
from storefront.clistate import CliState
from storefront.config import Settings
from tests.conftest import make_settings
from tests.contentlake.support import LIVE, PROJECT, TOKEN, Lake, needs_groq
from tests.contentlake.test_exports import REF, write_folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        data_dir=tmp_path / "var",
        sanity_api_url=LIVE,
        sanity_project_id=PROJECT,
        sanity_write_token=TOKEN,
    )


def run(settings: Settings, *args: str, http: Any = None) -> Any:
    return CliRunner().invoke(content, list(args), obj=CliState(settings=settings, http=http))


def test_parse_param_prefers_json() -> None:
    assert parse_param("n=3") == ("n", 3)
    assert parse_param("$flag=true") == ("flag", True)
    assert parse_param('s="x"') == ("s", "x")
    assert parse_param("slug=doom-tee") == ("slug", "doom-tee")
    assert parse_param("l=[1,2]") == ("l", [1, 2])
    with pytest.raises(Exception, match="k=v"):
        parse_param("novalue")


def test_caret_points_at_the_span() -> None:
    assert caret_lines('*[_type == "x"', 2, 7) == '*[_type == "x"\n  ^^^^^'
    assert caret_lines("*[a ==\n  b]", 9, 10) == "  b]\n  ^"
    assert caret_lines("*", None, None) == "*"


def test_import_then_export(settings: Settings, tmp_path: Path) -> None:
    result = run(settings, "import", str(write_folder(tmp_path / "e")))
    assert result.exit_code == 0, result.output
    assert "5 documents read, 5 written" in result.output
    store = LakeStore(settings.lake_path)
    assert store.get("p1")["image"]["asset"]["_ref"] == REF
    store.close()
    again = run(settings, "import", str(tmp_path / "e"))
    assert "0 written" in again.output
    out = tmp_path / "dump.ndjson"
    result = run(settings, "export", str(out))
    assert result.exit_code == 0 and len(out.read_text().splitlines()) == 5
    result = run(settings, "export", str(tmp_path / "dump.tar.gz"), "--raw")
    assert result.exit_code == 0 and (tmp_path / "dump.tar.gz").stat().st_size > 0


def test_import_of_a_broken_file_exits_1(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ndjson"
    bad.write_text("{nope\n")
    result = run(settings, "import", str(bad))
    assert result.exit_code == 1 and "not JSON" in result.output


def test_query_prints_json_and_carets_parse_errors(settings: Settings, tmp_path: Path) -> None:
    needs_groq()
    run(settings, "import", str(write_folder(tmp_path / "e")))
    result = run(settings, "query", "*[_type == $t]{title}", "--param", "t=category")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"title": "Shirts"}]
    drafts = run(settings, "query", '*[_id == "p1"][0].title', "--perspective", "drafts")
    assert json.loads(drafts.output) == "Doom Tee v2"
    bad = run(settings, "query", '*[_type == "x"')
    assert bad.exit_code == 1
    assert "^" in bad.output and "parse error" in bad.output.lower()


def test_push_to_sanity_in_batches(settings: Settings, lake: Lake, tmp_path: Path) -> None:
    result = run(
        settings,
        "push",
        str(write_folder(tmp_path / "e")),
        "--to",
        "sanity",
        "--batch-size",
        "2",
        "--api-url",
        LIVE,
        http=lake.http,
    )
    assert result.exit_code == 0, result.output
    assert "pushed 3 documents in 2 transactions, 2 assets uploaded" in result.output
    assert lake.store.get("p1")["image"]["asset"]["_ref"] == REF


def test_import_to_sanity_uses_the_client(settings: Settings, lake: Lake, tmp_path: Path) -> None:
    result = run(
        settings, "import", str(write_folder(tmp_path / "e")), "--to", "sanity", http=lake.http
    )
    assert result.exit_code == 0, result.output
    assert lake.store.get("c1")["title"] == "Shirts"
    assert not settings.lake_path.exists()


def test_push_without_token_is_a_usage_error(tmp_path: Path) -> None:
    settings = make_settings(data_dir=tmp_path, sanity_api_url=LIVE)
    result = run(settings, "push", str(write_folder(tmp_path / "e")), "--to", "sanity")
    assert result.exit_code == 2 and "write token" in result.output


def test_serve_builds_the_lake_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda *a, **k: calls.append(a))
    result = run(
        settings,
        "serve",
        "--port",
        "4555",
        "--dataset",
        "staging",
        "--webhook",
        "http://127.0.0.1:8000/webhooks/sanity",
    )
    assert result.exit_code == 0, result.output
    host, port, app = calls[0]
    assert (host, port) == ("127.0.0.1", 4555)
    state = app.extensions["lake"]
    assert state.dataset == "staging" and TOKEN in state.tokens
    (hook,) = state.webhooks.webhooks
    assert hook.secret == settings.sanity_webhook_secret.get_secret_value()
    assert content_cli.content.name == "content"
