"""The rule for finding a running ``storefront dev`` (``storefront/devstate.py``)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.server import dev_choices
from storefront import devstate
from storefront.config import load_settings
from tests.cli.support import console_env

LIVE_PID = os.getppid()  # a process that is certainly running, and not this one


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No inherited shop settings, no .env; ``DATA_DIR`` is the returned folder."""
    for key in set(os.environ) - set(console_env(tmp_path)):
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    data_dir = tmp_path / "var"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    return data_dir


def dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    return gone.pid


CHOSEN = {
    "base_url": "http://127.0.0.1:8201",
    "sanity_write_token": "local-lake-token",
    "database_url": "sqlite:///var/storefront.db",
}


def test_a_running_dev_server_fills_what_nobody_set(clean_env: Path) -> None:
    devstate.record(clean_env, CHOSEN, pid=LIVE_PID)
    settings = devstate.load_settings_near_dev()
    assert settings.base_url == "http://127.0.0.1:8201"
    assert settings.sanity_write_token is not None
    assert settings.sanity_write_token.get_secret_value() == "local-lake-token"
    # A relative SQLite path is the dev server's: recorded absolute, found from anywhere.
    assert settings.database_url == f"sqlite:///{clean_env.parent / 'var' / 'storefront.db'}"


def test_the_environment_and_explicit_overrides_win(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    devstate.record(clean_env, CHOSEN, pid=LIVE_PID)
    monkeypatch.setenv("BASE_URL", "https://shop.example")
    settings = devstate.load_settings_near_dev(sanity_write_token="mine")
    assert settings.base_url == "https://shop.example"
    assert settings.sanity_write_token is not None
    assert settings.sanity_write_token.get_secret_value() == "mine"
    assert settings.database_url.endswith("/var/storefront.db")  # still filled in


def test_a_file_whose_process_is_gone_or_is_us_is_ignored(clean_env: Path) -> None:
    for pid in (dead_pid(), os.getpid()):
        devstate.record(clean_env, CHOSEN, pid=pid)
        assert devstate.find(clean_env) is None
        assert devstate.load_settings_near_dev().base_url == "http://127.0.0.1:8000"


def test_an_unreadable_file_is_as_if_none(clean_env: Path) -> None:
    clean_env.mkdir()
    devstate.state_path(clean_env).write_text("{half a file")
    assert devstate.find(clean_env) is None


def test_only_shared_values_are_written_and_privately(clean_env: Path) -> None:
    path = devstate.record(clean_env, {**CHOSEN, "secret_key": "x" * 40}, pid=LIVE_PID)
    assert "secret_key" not in json.loads(path.read_text())["settings"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_forget_removes_only_its_own_file(clean_env: Path) -> None:
    devstate.record(clean_env, CHOSEN, pid=LIVE_PID)
    devstate.forget(clean_env, pid=LIVE_PID + 1)  # a second dev server replaced it: keep
    assert devstate.state_path(clean_env).exists()
    devstate.forget(clean_env, pid=LIVE_PID)
    assert not devstate.state_path(clean_env).exists()


def test_dev_never_shares_a_value_it_was_given(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = dev_choices(load_settings(), "127.0.0.1", 8201)
    assert own["base_url"] == "http://127.0.0.1:8201"
    assert own["sanity_write_token"] == "local-lake-token"
    assert own["database_url"] == "sqlite:///var/storefront.db"

    monkeypatch.setenv("DATABASE_URL", "postgresql://shop:pw@127.0.0.1/shop")
    monkeypatch.setenv("SANITY_WRITE_TOKEN", "a-real-token")
    given = dev_choices(load_settings(), "127.0.0.1", 8201)
    assert not {"database_url", "sanity_write_token", "sanity_read_token"} & given.keys()
