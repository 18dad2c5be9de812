"""Each refusal with its message, and what each kind of code takes off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storefront.discounts.models import DiscountCode
from storefront.discounts.rules import CartLine, DiscountRefused, evaluate

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
LINES = [CartLine(2900, ("climate",)), CartLine(3350, ("plastic",)), CartLine(1999, ())]


def code(**terms: object) -> DiscountCode:
    values: dict[str, object] = {
        "id": 1,
        "code": "TEST",
        "kind": "percent",
        "percent": 10,
        "amounts": {},
        "min_subtotal": {},
        "collections": [],
        "starts_at": None,
        "ends_at": None,
        "max_uses": None,
        "max_uses_per_customer": None,
        "uses": 0,
        "paused": False,
    }
    values.update(terms)
    return DiscountCode(**values)


def apply(c: DiscountCode, currency: str = "EUR", customer_uses: int = 0):  # type: ignore[no-untyped-def]
    return evaluate(
        c, lines=LINES, currency=currency, shipping=495, now=NOW, customer_uses=customer_uses
    )


def test_percent_rounds_half_up_and_splits_over_the_lines() -> None:
    applied = apply(code(percent=15))  # 15 % of 82.49 = 12.3735 → 12.37
    assert applied.goods == 1237 and sum(applied.per_line) == 1237
    assert applied.shipping == 0


def test_fixed_takes_the_amount_of_the_currency_and_never_more_than_the_goods() -> None:
    assert apply(code(kind="fixed", percent=None, amounts={"EUR": 500})).goods == 500
    assert apply(code(kind="fixed", percent=None, amounts={"EUR": 99_999})).goods == 8249
    with pytest.raises(DiscountRefused, match="cannot be used for payments in GBP"):
        apply(code(kind="fixed", percent=None, amounts={"EUR": 500}), currency="GBP")


def test_free_shipping_takes_the_shipping() -> None:
    applied = apply(code(kind="free_shipping", percent=None))
    assert (applied.goods, applied.shipping) == (0, 495)


def test_collections_limit_what_is_discounted() -> None:
    applied = apply(code(percent=50, collections=["climate"]))
    assert applied.per_line == (1450, 0, 0)
    with pytest.raises(DiscountRefused, match="only to the collections merch"):
        apply(code(collections=["merch"]))


@pytest.mark.parametrize(
    ("terms", "uses", "message"),
    [
        ({"paused": True}, 0, "The code TEST is paused at the moment."),
        ({"starts_at": NOW + timedelta(days=1)}, 0, "valid from 02 Dec 2026 12:00 UTC"),
        ({"ends_at": NOW}, 0, "The code TEST expired on 01 Dec 2026 12:00 UTC."),
        ({"max_uses": 5, "uses": 5}, 0, "The code TEST has been used up."),
        ({"max_uses_per_customer": 1}, 1, "You have already used the code TEST."),
        ({"min_subtotal": {"EUR": 9000}}, 0, "needs a subtotal of at least €90.00"),
        ({"min_subtotal": {"GBP": 100}}, 0, "cannot be used for payments in EUR"),
    ],
)
def test_refusals_say_what_is_wrong(terms: dict[str, object], uses: int, message: str) -> None:
    with pytest.raises(DiscountRefused) as caught:
        apply(code(**terms), customer_uses=uses)
    assert message in str(caught.value)
