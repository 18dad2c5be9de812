"""A throwaway PostgreSQL server from the machine's binaries, for the test run.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user in a
temporary folder it owns (the recipe in shared/docs/TESTING.md). Set ``STOREFRONT_TEST_PG_URL``
to use an existing server instead.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


class PostgresCluster:
    """A throwaway server that can also be stopped and started again on its data (the
    production rehearsal restarts it); :func:`postgres_server` is the usual way in."""

    def __init__(self) -> None:
        initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
        if not initdb or not pg_ctl:
            raise PostgresUnavailable("initdb/pg_ctl not on PATH (install the PostgreSQL server)")
        if os.geteuid() == 0:
            try:
                self._pw: pwd.struct_passwd | None = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root but no 'postgres' user exists") from exc
        else:
            self._pw = None
        self.pg_ctl = pg_ctl
        self.root = Path(tempfile.mkdtemp(prefix="storefront-pg-"))
        if self._pw is not None:
            os.chown(self.root, self._pw.pw_uid, self._pw.pw_gid)
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        try:
            subprocess.run(
                _as_server_user(
                    [
                        initdb,
                        "-D",
                        str(self.data),
                        "-U",
                        "postgres",
                        "--auth=trust",
                        "--no-sync",
                        "-E",
                        "UTF8",
                    ]
                ),
                check=True,
                capture_output=True,
                timeout=120,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(self.root, ignore_errors=True)
            raise PostgresUnavailable(f"initdb failed: {getattr(exc, 'stderr', b'')!r}") from exc

    def start(self) -> None:
        try:
            subprocess.run(
                _as_server_user(
                    [
                        self.pg_ctl,
                        "-D",
                        str(self.data),
                        "-l",
                        str(self.log),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                        "-c max_connections=200",
                        "start",
                    ]
                ),
                check=True,
                capture_output=True,
                timeout=90,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            if self.log.exists():
                detail += self.log.read_bytes()[-2000:]
            raise PostgresUnavailable(
                f"could not start PostgreSQL: {detail.decode(errors='replace')}"
            ) from exc
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)

    def stop(self, mode: str = "immediate") -> None:
        subprocess.run(
            _as_server_user([self.pg_ctl, "-D", str(self.data), "stop", "-m", mode]),
            capture_output=True,
            timeout=60,
            check=False,
        )

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A fresh server of our own (never ``STOREFRONT_TEST_PG_URL``'s), removed afterwards."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield ``postgresql+psycopg://…`` of a fresh server; stop and delete it afterwards."""
    if url := os.environ.get("STOREFRONT_TEST_PG_URL"):
        yield url
        return
    with postgres_cluster() as cluster:
        yield cluster.url


def create_database(server_url: str, name: str) -> str:
    """A new empty database on the server; returns its URL."""
    import psycopg

    dsn = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + f"/{name}"
