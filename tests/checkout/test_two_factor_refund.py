"""A refund by an operator with two-factor login needs a code from the last ten minutes:
the confirm page and the refund itself send them to the step-up page and back, and nothing
is refunded until the code is given. (Here ``STAFF_2FA_REQUIRED`` is off, as in development:
an enrolled operator is asked all the same.)"""

from __future__ import annotations

import time

import pyotp
import time_machine
from flask.testing import FlaskClient
from sqlalchemy import select

from storefront.accounts import services as accounts
from storefront.accounts import twofactor
from storefront.container import services
from storefront.db import utcnow
from storefront.orders.models import Order
from storefront.payments.models import Refund
from storefront.web.auth import SECOND_FACTOR_AT
from tests.checkout.conftest import Shop
from tests.checkout.test_admin_actions import form_fields, paid_stripe_order


def enrolled_operator(shop: Shop) -> tuple[FlaskClient, pyotp.TOTP]:
    """An operator whose 2FA is on, logged in with a code just now."""
    ring = services(shop.app).settings.data_key_ring
    with services(shop.app).db.session_scope(write=True) as session:
        user = accounts.register(
            session, "op@example.com", "correct horse battery", role="operator"
        )
        secret = twofactor.pending_secret(session, ring, user.id)
        totp = pyotp.TOTP(secret)
        assert twofactor.confirm_enrolment(session, ring, user.id, totp.now(), utcnow())
        uid, version = user.id, accounts.session_version(user)
    client = shop.app.test_client()
    with client.session_transaction() as sess:
        sess["uid"], sess["av"], sess[SECOND_FACTOR_AT] = uid, version, int(time.time())
    return client, totp


def test_a_refund_needs_a_fresh_second_factor(shop: Shop) -> None:
    number = paid_stripe_order(shop)
    operator, totp = enrolled_operator(shop)
    page = f"/admin/orders/{number}/refund"
    fields = form_fields(operator.get(page).get_data(as_text=True))  # fresh: the form shows
    with time_machine.travel(time.time() + 11 * 60, tick=False):
        asked = operator.get(page + "?amount=5.00")
        assert asked.status_code == 303
        step_up = asked.headers["Location"]
        assert step_up.startswith("/account/two-factor/confirm?next=")
        posted = operator.post(page, data={**fields, "amount": "10.00", "reason": "late"})
        assert posted.status_code == 303 and posted.headers["Location"] == step_up.replace(
            "5.00", "10.00"
        )
        with services(shop.app).db.session_scope() as session:
            assert session.scalars(select(Refund)).all() == []
        assert len(shop.stripe.refunds) == 0

        confirm = form_fields(operator.get(step_up).get_data(as_text=True))
        back = operator.post(step_up, data={**confirm, "code": totp.at(time.time() + 30)})
        assert back.status_code == 303 and back.headers["Location"] == page + "?amount=5.00"
        fields = form_fields(operator.get(back.headers["Location"]).get_data(as_text=True))
        done = operator.post(page, data={**fields, "amount": "10.00", "reason": "late"})
        assert done.status_code == 303 and done.headers["Location"] == f"/admin/orders/{number}"
    with services(shop.app).db.session_scope() as session:
        assert session.execute(select(Order)).scalar_one().refunded_amount == 1000
    assert len(shop.stripe.refunds) == 1
