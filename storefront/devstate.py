"""Where a running ``storefront dev`` is, so that the other commands find it with no settings.

``storefront dev`` chooses a few settings itself: its address (``--port``), the local lake's
token, and (unless ``DATABASE_URL`` says otherwise) its SQLite file. Once it listens it
writes them to ``DATA_DIR/dev-server.json`` and removes the file when it stops. The rule for
every other command, here and nowhere else:

- a setting from the environment or ``.env`` always wins;
- otherwise the running dev server's choice fills it in;
- a file left by a dev server that is gone (it crashed, or the machine restarted) is ignored.

The file only ever holds values the dev server made up, never a credential it was given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from storefront.config import Settings, load_settings

FILE_NAME = "dev-server.json"

#: What a command next to the dev server takes from it (when nobody set it).
SHARED = frozenset(
    {
        "base_url",
        "database_url",
        "sanity_read_token",
        "sanity_write_token",
        "gelato_order_type",
        "paypal_cert_hosts",
    }
)


@dataclass(frozen=True)
class DevServer:
    pid: int
    settings: dict[str, str]

    @property
    def base_url(self) -> str:
        return self.settings.get("base_url", "")


def state_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def record(data_dir: Path, chosen: Mapping[str, Any], *, pid: int | None = None) -> Path:
    """Write the dev server's own choices (``SHARED`` keys only) for the other commands."""
    values = {k: _plain(k, v) for k, v in chosen.items() if k in SHARED}
    path = state_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"pid": pid or os.getpid(), "settings": values}, out, indent=2)
    os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    return path


def forget(data_dir: Path, *, pid: int | None = None) -> None:
    """Remove the file if it is still ours (a second dev server may have replaced it)."""
    found = _read(state_path(data_dir))
    if found is not None and found.pid == (pid or os.getpid()):
        state_path(data_dir).unlink(missing_ok=True)


def find(data_dir: Path) -> DevServer | None:
    """The dev server recorded under ``data_dir``, if its process is still running."""
    found = _read(state_path(data_dir))
    if found is None or found.pid == os.getpid() or not _alive(found.pid):
        return None
    return found


def load_settings_near_dev(**overrides: Any) -> Settings:
    """Settings for a command: the environment first, then a running dev server's choices."""
    settings = load_settings(**overrides)
    server = find(settings.data_dir)
    if server is None:
        return settings
    given = settings.model_fields_set | overrides.keys()
    fill = {k: v for k, v in server.settings.items() if k in SHARED and k not in given}
    return load_settings(**overrides, **fill) if fill else settings


def _plain(name: str, setting: Any) -> str:
    if hasattr(setting, "get_secret_value"):
        setting = setting.get_secret_value()
    value = str(setting)
    if name == "database_url":
        url = make_url(value)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            # Relative to where the dev server runs; a command elsewhere must find the same file.
            value = url.set(database=str(Path(url.database).resolve())).render_as_string(
                hide_password=False
            )
    return value


def _read(path: Path) -> DevServer | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return DevServer(pid=int(data["pid"]), settings={**data["settings"]})
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, or not ours to understand: as if no dev server were running


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True
