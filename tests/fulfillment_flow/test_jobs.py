"""The sync jobs over the fulfillment path: idempotent, and dry runs change nothing."""

from sqlalchemy import select

from storefront.container import services
from storefront.orders.models import Order
from sync.registry import load_jobs
from sync.runner import run_job
from tests.fulfillment_flow.conftest import Printshop, paid_order


def statuses(printshop: Printshop) -> list[str]:
    with services(printshop.app).db.session_scope() as session:
        return list(session.execute(select(Order.status).order_by(Order.id)).scalars())


def test_push_job_dry_run_then_real_then_idempotent(printshop: Printshop) -> None:
    load_jobs()
    paid_order(printshop.app, "SF-JOB00001")
    paid_order(printshop.app, "SF-JOB00002")
    dry = run_job(printshop.app, "fulfillment-push", dry_run=True)
    assert dry.ok
    assert dry.counts.read == 2
    assert statuses(printshop) == ["paid", "paid"]
    assert printshop.gelato.calls.get("create_order", 0) == 0

    real = run_job(printshop.app, "fulfillment-push")
    assert real.ok
    assert real.counts.changed == 2
    assert statuses(printshop) == ["submitted", "submitted"]

    again = run_job(printshop.app, "fulfillment-push")
    assert again.ok
    assert again.counts.changed == 0
    assert printshop.gelato.calls["create_order"] == 2


def test_status_job_is_idempotent_and_dry_run_reads_only(printshop: Printshop) -> None:
    load_jobs()
    paid_order(printshop.app, "SF-JOB00003")
    run_job(printshop.app, "fulfillment-push")
    printshop.gelato.webhooks.drop_next(times=50)
    (gelato_order,) = printshop.gelato.orders_for("SF-JOB00003")
    printshop.gelato.advance(gelato_order["id"], "shipped")
    dry = run_job(printshop.app, "fulfillment-status", dry_run=True)
    assert dry.counts.read == 1
    assert statuses(printshop) == ["submitted"]
    first = run_job(printshop.app, "fulfillment-status")
    assert first.counts.changed == 1
    assert statuses(printshop) == ["shipped"]
    second = run_job(printshop.app, "fulfillment-status")
    assert second.counts.changed == 0
    assert second.counts.skipped == 1


def test_mail_job_sends_each_mail_once(printshop: Printshop) -> None:
    load_jobs()
    paid_order(printshop.app, "SF-JOB00004")
    outbox = services(printshop.app).settings.mail_outbox_dir
    dry = run_job(printshop.app, "mail", dry_run=True)
    assert dry.ok and dry.counts.read == 1 and dry.counts.changed == 0
    assert not list(outbox.glob("*.eml"))
    sent = run_job(printshop.app, "mail")
    assert sent.counts.changed == 1
    assert run_job(printshop.app, "mail").counts.changed == 0
    (mail,) = list(outbox.glob("*.eml"))
    assert "SF-JOB00004" in mail.read_text()
