"""``storefront sync run`` as a real process (the installed console script): takes the lease,
stops cleanly on SIGTERM, frees it."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from storefront.db import Database
from sync.lease import read_lease
from tests.cli.support import STOREFRONT, console_env


def test_run_holds_the_lease_and_shuts_down_cleanly_on_sigterm(
    sqlite_url: str, tmp_path: Path
) -> None:
    env = console_env(
        tmp_path / "var",
        DATABASE_URL=sqlite_url,
        STOREFRONT_ENV="test",
        LOG_LEVEL="WARNING",
        SYNC_LEASE_TTL="30",
    )
    proc = subprocess.Popen(
        [str(STOREFRONT), "sync", "run"],
        cwd=tmp_path,  # no stray .env
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    db = Database(sqlite_url)
    try:
        deadline = time.monotonic() + 120  # a safety net: the loop ends at the lease
        while read_lease(db) is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        state = read_lease(db)
        assert state is not None, proc.stderr.read() if proc.poll() is not None else "no lease"
        assert f":{proc.pid}:" in state.holder

        proc.send_signal(signal.SIGTERM)  # SIGINT takes the same handler
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "finishing running jobs" in err
    assert "sync scheduler stopped" in err
    assert read_lease(db) is None  # released: a standby takes over at once
    db.dispose()
