"""The installed ``storefront`` command for everything that needs no running server.

Every row of the README's "Command line" table that works offline runs here as a person
would run it: the console script in a subprocess, a scratch ``DATA_DIR``, a database file in
it. Success leaves the console to the command's own words (no JSON log lines on it); a
failure is one line naming what to do.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cms_schema import DEMO_CATALOG
from storefront import migrate
from tests.cli.support import console_env, json_lines, storefront

PASSWORD = "a long admin password"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "var"


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return console_env(data_dir, DATABASE_URL=f"sqlite:///{data_dir / 'shop.db'}")


@pytest.fixture
def migrated_env(env: dict[str, str], sqlite_template: Path, data_dir: Path) -> dict[str, str]:
    """``env`` on a database at head (a copy of the run's migrated template)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "shop.db").write_bytes(sqlite_template.read_bytes())
    return env


def test_db_upgrade_current_and_downgrade(env: dict[str, str], tmp_path: Path) -> None:
    head = migrate.head_revision()
    fresh = storefront("db", "current", env=env, cwd=tmp_path)
    assert (fresh.returncode, fresh.stdout.split()) == (0, ["current:", "None", "head:", head])

    up = storefront("db", "upgrade", env=env, cwd=tmp_path)
    assert up.returncode == 0, up.stderr
    assert up.stdout.startswith(f"database at head: sqlite:///{tmp_path}/var/shop.db")
    assert up.stderr == ""  # Alembic's INFO lines are in the log file, not on the console
    assert "Running upgrade" in (tmp_path / "var" / "log" / "cli.jsonl").read_text()

    down = storefront("db", "downgrade", "-1", env=env, cwd=tmp_path)
    assert (down.returncode, down.stdout.strip()) == (0, "database at -1")
    now = storefront("db", "current", env=env, cwd=tmp_path)
    assert now.stdout.split()[1] not in (head, "None")


def test_content_import_query_and_export(env: dict[str, str], tmp_path: Path) -> None:
    """These crashed under the installed command (the root context holds Flask's ScriptInfo)."""
    imported = storefront("content", "import", str(DEMO_CATALOG), env=env, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    read, written = map(int, re.findall(r"(\d+) documents read, (\d+) written", imported.stdout)[0])
    assert read == written > 0
    assert json_lines(imported.stdout + imported.stderr) == []

    query = storefront(
        "content", "query", "*[_type == $t] | order(title asc)[0..1]{title}",
        "--param", "t=category", env=env, cwd=tmp_path,
    )  # fmt: skip
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout) == [{"title": "Climate Anxiety"}, {"title": "Compost Club"}]

    broken = storefront("content", "query", '*[_type == "x"', env=env, cwd=tmp_path)
    assert broken.returncode == 1
    assert "GROQ parse error" in broken.stderr and "^" in broken.stderr
    assert "Traceback" not in broken.stderr

    out = tmp_path / "dump.ndjson"
    export = storefront("content", "export", str(out), env=env, cwd=tmp_path)
    assert export.returncode == 0, export.stderr
    count = int(export.stdout.split()[0])
    assert count == len(out.read_text().splitlines()) >= read
    raw = storefront(
        "content", "export", str(tmp_path / "dump.tar.gz"), "--raw", env=env, cwd=tmp_path
    )
    assert raw.returncode == 0 and (tmp_path / "dump.tar.gz").stat().st_size > 0


def test_content_check(env: dict[str, str], tmp_path: Path) -> None:
    demo = storefront("content", "check", env=env, cwd=tmp_path)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert re.fullmatch(r"all \d+ documents are valid and print-ready\n", demo.stdout)

    bad = tmp_path / "bad.ndjson"
    bad.write_text(json.dumps({"_id": "product-x", "_type": "product", "title": "X"}) + "\n")
    problems = storefront("content", "check", str(bad), env=env, cwd=tmp_path)
    assert problems.returncode == 1
    assert problems.stdout.splitlines()[-1].endswith("problem(s) in 1 documents")


def test_schema_studio_check(env: dict[str, str], tmp_path: Path) -> None:
    result = storefront("schema", "studio", "--check", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.fullmatch(r"Studio files are up to date \(\d+ files\)\n", result.stdout)


def test_users_and_tokens(migrated_env: dict[str, str], tmp_path: Path) -> None:
    env = migrated_env
    created = storefront(
        "users", "create-admin", "Ops@Example.com", "--role", "operator", "--password-stdin",
        env=env, cwd=tmp_path, input=f"{PASSWORD}\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created ops@example.com (id 1) with role operator"

    issued = storefront(
        "tokens", "create", "--email", "ops@example.com", "--role", "operator", "--name", "ci",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    assert "it is not shown again" in issued.stderr
    secret = issued.stdout.strip()
    assert len(secret) > 20 and "\n" not in secret

    listed = storefront("tokens", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    row = listed.stdout.splitlines()[1].split("\t")
    assert row[:3] == ["1", "ops@example.com", "operator"] and row[-1] == "active"
    assert secret not in listed.stdout and row[3].rstrip("…") == secret[: len(row[3]) - 1]

    revoked = storefront("tokens", "revoke", "1", env=env, cwd=tmp_path)
    assert revoked.returncode == 0 and revoked.stdout.startswith("revoked token 1 (")
    again = storefront("tokens", "list", env=env, cwd=tmp_path)
    assert again.stdout.splitlines()[1].split("\t")[-1].startswith("revoked ")

    unknown = storefront("tokens", "revoke", "99", env=env, cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stderr.startswith("Error: ")


def test_sync_list_status_and_a_dry_run(migrated_env: dict[str, str], tmp_path: Path) -> None:
    env = migrated_env
    listed = storefront("sync", "list", env=env, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    jobs = [line.split()[0] for line in listed.stdout.splitlines()[1:]]
    assert {"inventory", "payments", "reservations", "newsletter"} <= set(jobs)

    dry = storefront("sync", "run-once", "reservations", "--dry-run", env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "reservations: succeeded (dry run: nothing written)" in dry.stdout
    assert dry.stderr == ""

    status = storefront("sync", "status", env=env, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "lease: free (no sync process is running)" in status.stdout
    row = next(line for line in status.stdout.splitlines() if line.startswith("reservations"))
    assert row.split()[1:3] == ["succeeded", "(dry)"]

    unknown = storefront("sync", "run-once", "invetory", env=env, cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown job 'invetory'" in unknown.stderr


UNMIGRATED = [
    ("sync", "status"),
    ("sync", "run-once", "reservations"),
    ("sync", "run"),
    ("tokens", "list"),
    ("users", "create-admin", "root@example.com", "--password-stdin"),
]


@pytest.mark.parametrize("args", UNMIGRATED, ids=lambda a: " ".join(a[:2]))
def test_an_unmigrated_database_is_one_line_saying_what_to_run(
    env: dict[str, str], tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = storefront(*args, env=env, cwd=tmp_path, input=f"{PASSWORD}\n")
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"storefront: the database sqlite:///{tmp_path}/var/shop.db has no")
    assert "run `storefront db upgrade`" in line
    log = (tmp_path / "var" / "log" / "cli.jsonl").read_text()
    assert "Traceback" in log and "no such table" in log  # the details, where they belong


@pytest.mark.postgres
def test_an_unmigrated_postgresql_database_says_the_same(pg_server: str, tmp_path: Path) -> None:
    from tests.support.postgres import create_database

    url = create_database(pg_server, "cli_never_migrated")
    env = console_env(tmp_path / "var", DATABASE_URL=url)
    result = storefront("sync", "status", env=env, cwd=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "has no schema yet: run `storefront db upgrade`" in line
    assert "UndefinedTable" in (tmp_path / "var" / "log" / "cli.jsonl").read_text()


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = console_env(tmp_path / "var", DATABASE_URL="mysql://nope")
    result = storefront("sync", "status", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "storefront: configuration error: DATABASE_URL: must be a sqlite:/// or "
        "postgresql+psycopg:// URL"
    ]


def test_import_of_a_broken_export_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.ndjson"
    bad.write_text("{nope\n")
    result = storefront("content", "import", str(bad), env=env, cwd=tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and "not JSON" in line
