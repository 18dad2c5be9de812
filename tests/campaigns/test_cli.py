"""Through the doors a person uses: ``storefront dev`` in a subprocess (its own lake and
Mailchimp emulator), then ``storefront sync run-once campaigns --dry-run`` and two
``run-once campaigns`` processes started together — one Mailchimp campaign, sent once."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from storefront.mailchimp.client import subscriber_hash
from tests.cli.support import DEADLINE_S, STOREFRONT, Server, console_env, free_port, storefront

pytestmark = pytest.mark.slow

API = "v2025-02-19"
LAKE_TOKEN = "local-lake-token"
MAILCHIMP = ("storefront", "local-key-us1")  # the dev shop's emulator, its default key


def campaigns_ran(db_file: Path) -> bool:
    if not db_file.exists():
        return False
    with sqlite3.connect(db_file) as conn:
        try:
            rows = conn.execute(
                "SELECT count(*) FROM job_runs WHERE job_id = 'campaigns' AND outcome != 'running'"
            ).fetchone()
        except sqlite3.OperationalError:
            return False
    return bool(rows and rows[0])


def test_dry_run_then_two_processes_send_one_campaign(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Its own scheduler runs the job once at start, then not for an hour: the commands below
    # are the only ones that act on the campaign.
    env = console_env(tmp_path / "var", SYNC_CAMPAIGNS_INTERVAL="3600")
    server = Server("dev", "--port", str(port), env=env, cwd=tmp_path / "server-cwd")
    try:
        server.wait_for_http(f"{url}/healthz")
        server.wait_until(
            lambda: campaigns_ran(tmp_path / "server-cwd" / "var" / "storefront.db"),
            "through the first campaigns run",
        )
        mailchimp = f"{url}/_emulators/mailchimp/3.0"
        for email in ("ana@example.com", "ben@example.com"):
            put = httpx.put(
                f"{mailchimp}/lists/local-list/members/{subscriber_hash(email)}",
                json={"email_address": email, "status_if_new": "subscribed"},
                auth=MAILCHIMP,
                timeout=30,
            )
            assert put.status_code == 200, put.text
        lake = f"{url}/_emulators/sanity/{API}/data"
        headers = {"Authorization": f"Bearer {LAKE_TOKEN}"}
        doc: dict[str, Any] = {
            "_id": "campaign-cli",
            "_type": "newsletterCampaign",
            "title": "From the command line",
            "subject": "Sent from two processes",
            "audience": {"kind": "everyone"},
            "sendNow": True,
            "ready": True,
            "body": [
                {
                    "_type": "productCard",
                    "_key": "p",
                    "product": {"_type": "reference", "_ref": "product-compost-happens"},
                }
            ],
        }
        created = httpx.post(
            f"{lake}/mutate/production",
            json={"mutations": [{"createOrReplace": doc}]},
            headers=headers,
            timeout=30,
        )
        assert created.status_code == 200, created.text

        elsewhere = tmp_path / "elsewhere"
        dry = storefront("sync", "run-once", "campaigns", "--dry-run", env=env, cwd=elsewhere)
        assert dry.returncode == 0, dry.stdout + dry.stderr
        assert (
            "would send 'Sent from two processes' (campaign-cli) to 2 people "
            "(everyone on the list) now" in dry.stdout
        ), dry.stdout
        listed = httpx.get(f"{mailchimp}/campaigns", auth=MAILCHIMP, timeout=30).json()
        assert listed["total_items"] == 0  # a dry run creates nothing

        elsewhere.mkdir(exist_ok=True)
        racers = [
            subprocess.Popen(
                [str(STOREFRONT), "sync", "run-once", "campaigns"],
                env=env,
                cwd=elsewhere,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=DEADLINE_S) for p in racers]
        assert [p.returncode for p in racers] == [0, 0], outputs

        listed = httpx.get(f"{mailchimp}/campaigns", auth=MAILCHIMP, timeout=30).json()
        assert listed["total_items"] == 1, listed
        (campaign,) = listed["campaigns"]
        assert campaign["status"] == "sent" and campaign["emails_sent"] == 2
        stored = httpx.get(f"{lake}/doc/production/campaign-cli", headers=headers, timeout=30)
        (document,) = stored.json()["documents"]
        assert document["delivery"]["state"] == "sent"
        assert document["delivery"]["mailchimpId"] == campaign["id"]
    finally:
        server.stop()
