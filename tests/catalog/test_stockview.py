"""The shop front's snapshot of the limited editions' stock: read at most once a second."""

from flask import Flask
from sqlalchemy import update

from storefront.catalog.stockview import StockSnapshot
from storefront.container import services
from storefront.stock.models import StockCounter
from tests.support.clocks import Seconds


def test_the_snapshot_is_read_again_once_it_is_older_than_the_interval(app: Flask) -> None:
    db = services(app).db
    with db.session_scope(write=True) as session:
        session.add(StockCounter(product_id="p", variant_key="v", limit=3, reserved=1))
    clock = Seconds(100.0)
    snapshot = StockSnapshot(db, interval=1.0, clock=clock)
    assert snapshot.counts()[("p", "v")][0] == 2
    with db.session_scope(write=True) as session:
        session.execute(update(StockCounter).values(reserved=3))
    clock.now += 0.5
    assert snapshot.counts()[("p", "v")][0] == 2  # still the snapshot
    clock.now += 0.6
    left, updated_at = snapshot.counts()[("p", "v")]
    assert left == 0 and updated_at is not None
