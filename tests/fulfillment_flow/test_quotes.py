"""Shipping at checkout is Gelato's quote (cached), and the table when Gelato fails."""

from dataclasses import replace

from storefront.cart.services import PricedCart, PricedLine
from storefront.checkout.quotes import QuoteCache
from storefront.checkout.shipping import table_options
from storefront.container import services
from tests.checkout.fakes import TEE
from tests.fulfillment_flow.conftest import TEE_M, Printshop


def cart() -> PricedCart:
    offer = replace(TEE, product_uid=TEE_M)
    return PricedCart(
        "t",
        "EUR",
        [PricedLine(1, offer.product_id, offer.variant_key, 2, offer, 2900, 5800)],
        5800,
        2,
        [],
    )


def test_quote_comes_from_gelato_and_is_cached(printshop: Printshop) -> None:
    quoter = QuoteCache(services(printshop.app).gelato)
    options = quoter("DE", "EUR", cart())
    assert options
    assert all(o.source == "gelato" and o.currency == "EUR" for o in options)
    assert options == sorted(options, key=lambda o: o.amount)
    assert quoter("de", "EUR", cart()) == options
    assert quoter.calls == 1
    assert printshop.gelato.calls["quote"] == 1


def test_checkout_falls_back_to_the_table_when_gelato_fails(printshop: Printshop) -> None:
    printshop.gelato.faults.fail_next("POST /v4/orders:quote", status=500, times=10)
    from storefront.web.shop.checkout import shipping_options

    with printshop.app.test_request_context():
        options = shipping_options("DE", "EUR", cart())
    assert options == table_options("DE", "EUR")
