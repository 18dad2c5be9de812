"""The production rehearsal: the production topology as separate processes on this machine —
PostgreSQL, Redis, an SMTP server, two web processes under gunicorn on two ports and two
``storefront sync run`` processes, all started from ``deploy/Procfile`` with
``STOREFRONT_ENV=production``, and the outside services emulated by ``storefront emulators
serve`` in a process of their own. Then, as in real life:

1. the leading sync process holds the lease, the other idles on it;
2. a shopper pays through web A, and the order page on web B shows the order paid;
3. an editor publishes, and both web processes serve the change (the content cache lasts
   ten minutes here, so only the publish webhook and the shared cache can explain it);
4. login throttling counts the wrong passwords for one account across both web processes;
5. the leading sync process is killed with SIGKILL while its Gelato call is in flight (the
   order is already stored at Gelato, the answer never arrives); the other one takes the
   lease over and finishes the order: exactly one Gelato order;
6. everything of the shop is stopped and started again (PostgreSQL and Redis included):
   nothing is lost, nothing is sent twice, and the hourly backup job ran in this topology.

Every wait is a poll with a generous deadline as a safety net; what it measures (how long a
publish took to show, how long the takeover took) is printed, never asserted against a clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from devstack.emulators_cli import shop_settings
from storefront.accounts.throttle import LOGIN_PER_ACCOUNT
from storefront.crypto import KeyRing
from storefront.db import Database, utcnow
from storefront.fieldcrypt import FieldCipher
from storefront.fulfillment.push import TOPIC
from storefront.gelato.client import GelatoClient
from storefront.jobs.models import JobRun
from storefront.orders.models import Order, OrderEvent
from storefront.outbox.models import OutboxEntry
from storefront.payments.models import Payment
from sync.lease import read_lease
from tests.cli.support import free_port
from tests.rehearsal.topology import (
    Process,
    Shopper,
    answers,
    form_value,
    path_of,
    procfile,
    production_env,
    wait_until,
)
from tests.support.material import missing
from tests.support.postgres import PostgresCluster, PostgresUnavailable, create_database
from tests.support.redis_server import RedisUnavailable, redis_server
from tests.support.smtp_sink import SmtpSink

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
T = TypeVar("T")

PRODUCT = "compost-happens"
SHOPPER_IP, GUESSER_IP = "203.0.113.10", "198.51.100.23"
LOGIN_LIMIT = LOGIN_PER_ACCOUNT.free  # wrong passwords before the account is slowed
#: Short leases, so that a crash is taken over in seconds (production: 30 s and 45 s).
LEASES = {"SYNC_LEASE_TTL": "6", "OUTBOX_LEASE": "6"}
QUIET = {  # only the outbox runs often; everything else once at start, then hourly
    "SYNC_OUTBOX_INTERVAL": "1",
    "SYNC_REQUESTS_INTERVAL": "1",
    **{
        f"SYNC_{job}_INTERVAL": "3600"
        for job in ("INVENTORY", "NEWSLETTER", "PAYMENTS", "FULFILLMENT", "RESERVATIONS")
    },
    "SYNC_CONTENT_SWEEP_INTERVAL": "3600",
    "SYNC_BACKUP_INTERVAL": "3600",
    "CONTENT_CACHE_TTL": "600",
}


def keys_of(env: dict[str, str]) -> FieldCipher:
    """The processes' DATA_KEYS: what opens the personal data they wrote."""
    return FieldCipher(KeyRing.parse(env["DATA_KEYS"]))


@dataclass
class Shop:
    tmp: Path
    cluster: PostgresCluster
    smtp: SmtpSink
    db_url: str
    emulators: str
    web_a: str
    web_b: str
    env: dict[str, str]
    processes: dict[str, Process] = field(default_factory=dict)
    retired: set[str] = field(default_factory=set)  # ran to completion, killed or stopped
    measured: dict[str, float] = field(default_factory=dict)

    def wait(self, what: str, probe: Callable[[], T | None]) -> T:
        return wait_until(what, probe, logs=self.logs, alive=self.serving)

    def serving(self) -> list[Process]:
        return [p for name, p in self.processes.items() if name not in self.retired]

    def stop(self, name: str) -> int:
        self.retired.add(name)
        return self.processes[name].stop()

    def logs(self) -> str:
        tails = []
        for name, proc in self.processes.items():
            lines = proc.output().splitlines()[-25:]
            tails.append(f"--- {name} (pid {proc.pid}) ---\n" + "\n".join(lines))
        return "\n".join(tails)

    def start(self, name: str, kind: str, **env: str) -> Process:
        """Process type ``kind`` of the Procfile (or a command of its own) as ``name``
        (``name-2``… when started again after a restart)."""
        taken = sum(1 for n in self.processes if n == name or n.startswith(f"{name}-"))
        name = f"{name}-{taken + 1}" if taken else name
        command = procfile().get(kind, kind)
        proc = Process(name, command, {**self.env, **env}, self.tmp / "logs")
        self.processes[name] = proc
        return proc

    def release(self) -> None:
        proc = self.start("release", "release")
        self.retired.add(proc.name)
        assert proc.proc.wait(180) == 0, proc.output()

    def start_webs(self) -> None:
        for name, url in (("web-a", self.web_a), ("web-b", self.web_b)):
            self.start(name, "web", PORT=url.rsplit(":", 1)[1], LOG_LEVEL="WARNING")
        for url in (self.web_a, self.web_b):
            self.wait(f"{url}/healthz", lambda u=url: answers(f"{u}/healthz"))

    def start_syncs(self) -> tuple[Process, Process]:
        """The first one leads (it is started alone and waited for), the second idles."""
        leader = self.start("sync", "sync", LOG_LEVEL="INFO")
        db = Database(self.db_url, cipher=keys_of(self.env))
        try:
            self.wait(
                "the first sync process to take the lease",
                lambda: (s := read_lease(db)) and f":{leader.pid}:" in s.holder,
            )
        finally:
            db.dispose()
        standby = self.start("sync", "sync", LOG_LEVEL="INFO")
        self.wait(
            "the second sync process to idle on the lease",
            lambda: '"standby"' in standby.output(),
        )
        return leader, standby


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with ExitStack() as stack:
        try:
            cluster = PostgresCluster()
            stack.callback(cluster.remove)
            cluster.start()
        except PostgresUnavailable as exc:
            missing(f"PostgreSQL for the rehearsal: {exc}")
        smtp = stack.enter_context(SmtpSink())
        emulators = f"http://127.0.0.1:{free_port()}"
        web_a, web_b = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
        db_url = create_database(cluster.url, "storefront")
        env = production_env(
            tmp_path / "var",
            DATABASE_URL=db_url,
            SMTP_URL=smtp.url,
            **shop_settings(emulators),
            **LEASES,
            **QUIET,
        )
        found = Shop(tmp_path, cluster, smtp, db_url, emulators, web_a, web_b, env)
        emulator_port = emulators.rsplit(":", 1)[1]
        found.start(
            "emulators",
            f"storefront emulators serve --port {emulator_port} --shop-url {web_a}",
            LOG_LEVEL="WARNING",
        )
        stack.callback(_stop_all, found)
        found.wait("the emulators", lambda: answers(f"{emulators}/healthz"))
        yield found


@contextmanager
def redis() -> Iterator[str]:
    try:
        with redis_server() as url:
            yield url
    except RedisUnavailable as exc:
        missing(f"Redis for the rehearsal: {exc}")


def _stop_all(shop: Shop) -> None:
    for proc in reversed(list(shop.processes.values())):
        proc.stop()


# --- what the shopper, the editor and the guesser do ----------------------------------------
def pay_through(shop: Shop, shopper: Shopper, web: str) -> tuple[str, str]:
    """Cart, checkout and the Stripe page, all through ``web``; returns the order number
    and the order page's path."""
    page = shopper.get(web, f"/products/{PRODUCT}")
    assert page.status_code == 200, page.text[:500]
    added = shopper.post(
        web,
        "/cart/add",
        {
            "product_id": form_value(page.text, "product_id"),
            "variant_key": form_value(page.text, "variant_key", " checked"),
            "quantity": "1",
        },
    )
    assert added.status_code == 303, added.text[:500]
    form = shopper.get(web, "/checkout").text
    placed = shopper.post(
        web,
        "/checkout",
        {
            "csrf_token": form_value(form, "csrf_token"),
            "checkout_key": form_value(form, "checkout_key"),
            "email": "shopper@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "address_line1": "Kastanienallee 1",
            "city": "Berlin",
            "post_code": "10435",
            "country": "DE",
            "shipping_method": form_value(form, "shipping_method", " checked"),
            "provider": "stripe",
        },
    )
    assert placed.status_code == 303, placed.text[:500]
    stripe_page = placed.headers["location"]
    assert stripe_page.startswith(f"{shop.emulators}/_emulators/stripe/pay/")
    paid = shopper.http.post(stripe_page, data={"action": "pay"})
    assert paid.status_code in (302, 303), paid.text[:500]
    back = shopper.get(web, path_of(paid.headers["location"]))  # the return page
    assert back.status_code == 303, back.text[:500]
    order_path = path_of(back.headers["location"])
    number = order_path.split("/orders/", 1)[1].split("?", 1)[0]
    return number, order_path


def publish(shop: Shop, title: str) -> None:
    """An editor changes the product's title in the Studio (a mutation to the content API)."""
    api = f"{shop.env['SANITY_API_URL']}/v2025-02-19/data"
    auth = {"Authorization": f"Bearer {shop.env['SANITY_WRITE_TOKEN']}"}
    found = httpx.get(
        f"{api}/query/production",
        params={"query": f'*[_type == "product" && slug.current == "{PRODUCT}"][0]._id'},
        headers=auth,
    ).json()["result"]
    done = httpx.post(
        f"{api}/mutate/production",
        json={"mutations": [{"patch": {"id": found, "set": {"title": title}}}]},
        headers=auth,
    )
    assert done.status_code == 200, done.text


def gelato(shop: Shop) -> GelatoClient:
    base = shop.env["GELATO_API_BASE"]
    return GelatoClient(
        api_key=shop.env["GELATO_API_KEY"],
        order_base=base,
        product_base=base,
        shipment_base=base,
        timeout=30,
    )


# --- the rehearsal ---------------------------------------------------------------------------
def test_production_rehearsal(shop: Shop) -> None:
    first_redis = ExitStack()
    shop.env["REDIS_URL"] = first_redis.enter_context(redis())
    shop.release()
    shop.start_webs()
    leader, standby = shop.start_syncs()
    db = Database(shop.db_url, cipher=keys_of(shop.env))
    gelato_api = gelato(shop)

    # A Gelato call that stores the order and then never answers (in time): the leader will
    # be killed while it waits.
    held = httpx.post(
        f"{shop.env['GELATO_API_BASE']}/_emulator/faults",
        json={"route": "POST /v4/orders", "kind": "timeout_after", "delay": 60},
    )
    assert held.status_code == 201, held.text

    # 2. A shopper pays through web A; web B shows the order paid.
    shopper = Shopper(SHOPPER_IP)
    number, order_path = pay_through(shop, shopper, shop.web_a)
    shop.wait(
        "web B to show the order paid",
        lambda: 'aria-current="step">Paid<' in shopper.get(shop.web_b, order_path).text,
    )

    # 3. An editor publishes; both web processes serve the change.
    anonymous = Shopper("203.0.113.30")
    for web in (shop.web_a, shop.web_b):  # both have the old title cached now
        assert anonymous.get(web, f"/products/{PRODUCT}").status_code == 200
    title = f"Compost Happens, rehearsed {int(time.time())}"
    published = time.monotonic()
    publish(shop, title)
    for name, web in (("a", shop.web_a), ("b", shop.web_b)):
        shop.wait(
            f"web {name} to serve the new title",
            lambda w=web: title in anonymous.get(w, f"/products/{PRODUCT}").text,
        )
    shop.measured["publish visible on both webs (s)"] = time.monotonic() - published

    # 4. Guessing one account's password, alternating between the two web processes.
    guesser = Shopper(GUESSER_IP)
    token = form_value(guesser.get(shop.web_a, "/login").text, "csrf_token")
    attempt = {"csrf_token": token, "email": "ada@example.com", "password": "wrong guess"}
    answered = [
        guesser.post(shop.web_a if n % 2 == 0 else shop.web_b, "/login", attempt).status_code
        for n in range(LOGIN_LIMIT)
    ]
    assert answered == [401] * LOGIN_LIMIT, answered
    assert guesser.post(shop.web_b, "/login", attempt).status_code == 429
    assert guesser.post(shop.web_a, "/login", attempt).status_code == 429

    # 5. The leader is killed with SIGKILL in the middle of the Gelato push.
    def in_flight() -> bool:
        with db.session_scope() as session:
            entry = session.execute(
                select(OutboxEntry).where(OutboxEntry.topic == TOPIC, OutboxEntry.key == number)
            ).scalar_one_or_none()
            ours = (
                entry is not None
                and entry.status == "submitting"
                and (entry.locked_by or "").startswith(f"push-{leader.pid}-")
            )
        return ours and bool(gelato_api.find_by_reference(number))

    shop.wait("the leader's Gelato call to be in flight", in_flight)
    shop.retired.add(leader.name)
    leader.kill()
    killed = time.monotonic()
    shop.wait(
        "the standby to take the lease over",
        lambda: (s := read_lease(db)) and f":{standby.pid}:" in s.holder,
    )
    shop.measured["lease taken over after the kill (s)"] = time.monotonic() - killed
    shop.wait("the order to reach Gelato", lambda: _status(db, number) == "submitted")
    shop.measured["order finished after the kill (s)"] = time.monotonic() - killed
    assert len(gelato_api.find_by_reference(number)) == 1
    assert '"active"' in standby.output()
    assert _event_reasons(db, number)[-1].startswith("found after an ambiguous attempt")

    # 6. Everything of the shop is stopped and started again.
    shop.wait("the confirmation e-mail", lambda: _mails_for(shop, number))
    shop.wait("a backup", lambda: _succeeded(db, "backup"))
    before = _books(db, number)
    mails_before = [m["Message-ID"] for m in shop.smtp.messages()]
    db.dispose()
    for name in ("web-a", "web-b", standby.name):
        assert shop.stop(name) == 0, shop.logs()
    first_redis.close()
    shop.cluster.stop("fast")
    shop.cluster.start()
    with redis() as new_redis:
        shop.env["REDIS_URL"] = new_redis
        restarted = time.monotonic()
        stopped_at = utcnow()
        shop.release()
        shop.start_webs()
        shop.start_syncs()
        db = Database(shop.db_url, cipher=keys_of(shop.env))
        for job in ("fulfillment-push", "mail"):
            shop.wait(
                f"{job} to run after the restart",
                lambda j=job: _succeeded(db, j, since=stopped_at),
            )
        shop.measured["restart until the jobs ran again (s)"] = time.monotonic() - restarted
        assert _books(db, number) == before
        assert len(gelato_api.find_by_reference(number)) == 1
        mails = [m["Message-ID"] for m in shop.smtp.messages()]
        assert mails == mails_before
        assert len(mails) == len(set(mails))
        page = shopper.get(shop.web_b, order_path)
        assert 'aria-current="step">Sent to the printer<' in page.text
        assert title in anonymous.get(shop.web_a, f"/products/{PRODUCT}").text
        db.dispose()
        for name in list(shop.processes):
            shop.stop(name)
    for name, seconds in shop.measured.items():
        print(f"rehearsal: {name}: {seconds:.1f}")


# --- reading the books -------------------------------------------------------------------
def _status(db: Database, number: str) -> str | None:
    with db.session_scope() as session:
        return session.execute(select(Order.status).where(Order.number == number)).scalar()


def _event_reasons(db: Database, number: str) -> list[str]:
    with db.session_scope() as session:
        order_id = session.execute(select(Order.id).where(Order.number == number)).scalar_one()
        rows = session.execute(
            select(OrderEvent.reason).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        ).scalars()
        return [r or "" for r in rows]


def _succeeded(db: Database, job: str, since: Any = None) -> bool:
    with db.session_scope() as session:
        query = select(JobRun.id).where(JobRun.job_id == job, JobRun.outcome == "succeeded")
        if since is not None:
            query = query.where(JobRun.started_at > since)
        return session.execute(query.limit(1)).first() is not None


def _mails_for(shop: Shop, number: str) -> bool:
    return any(number in m.as_string() for m in shop.smtp.messages())


def _books(db: Database, number: str) -> dict[str, Any]:
    """What must survive a restart unchanged: the orders, their payments, the outbox."""
    with db.session_scope() as session:
        return {
            "orders": session.execute(
                select(Order.number, Order.status, Order.total_amount).order_by(Order.id)
            ).all(),
            "payments": session.execute(
                select(Payment.order_id, Payment.status, Payment.amount).order_by(Payment.id)
            ).all(),
            "outbox": session.execute(
                select(OutboxEntry.topic, OutboxEntry.key, OutboxEntry.status).order_by(
                    OutboxEntry.id
                )
            ).all(),
        }
