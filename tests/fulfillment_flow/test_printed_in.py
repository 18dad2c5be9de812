"""Where a shirt was printed reaches the shopper as Gelato says it, per order: the order page
and the shipping e-mail name the production country of *this* order (nearest hub to the
shopper), not a fixed one; and the shipping e-mail carries this parcel's tracking."""

from __future__ import annotations

import pytest

from storefront.orders.links import order_path
from tests.fulfillment_flow.conftest import Printshop, paid_order
from tests.support.mail import mails
from tests.support.services import push

POSTER = "flat_product_pf_a3_pt_200-gsm-poster-paper_cl_4-0_ver"
NEW_YORK = {"city": "New York", "post_code": "10001", "country": "US", "state": "NY"}


def page(printshop: Printshop, number: str) -> str:
    with printshop.app.test_request_context():
        path = order_path(number)
    return printshop.app.test_client().get(path).get_data(as_text=True)


def ship_all(printshop: Printshop, number: str) -> list[dict]:  # type: ignore[type-arg]
    parts = printshop.gelato.orders_for(number)
    for part in parts:
        printshop.gelato.advance(part["id"], "shipped")
    return printshop.gelato.orders_for(number)


@pytest.mark.parametrize(
    ("address", "printed_in", "code"),
    [(None, "Germany", "DE"), (NEW_YORK, "the United States", "US")],
    ids=["berlin", "new-york"],
)
def test_the_page_and_the_mail_name_this_orders_printing_country(
    printshop: Printshop, address: dict[str, str] | None, printed_in: str, code: str
) -> None:
    number = f"SF-PRINT{code}01"
    paid_order(printshop.app, number, address=address)
    push(printshop.app)
    [shipped] = ship_all(printshop, number)
    assert shipped["shipment"]["fulfillmentCountry"] == code  # Gelato's answer
    assert f"Printed in {printed_in} — close to you" in page(printshop, number)
    [mail] = mails(printshop.app, "order_shipped")
    assert mail.to == "ada@example.com"
    assert mail.subject == f"Your order {number} is on its way"
    assert f"Printed in {printed_in}, close to you" in mail.text  # the name, never "DE"
    assert f"Printed in {printed_in}, close to you" in mail.html
    assert f"Printed in {code}" not in mail.text
    [package] = shipped["shipment"]["packages"]
    assert (
        f"Track your parcel: {package['trackingUrl']} (tracking code {package['trackingCode']})\n"
        f"\nPrinted in {printed_in}"
    ) in mail.text  # its own paragraph, not run into the tracking line
    assert f'<a href="{package["trackingUrl"]}">Track your parcel</a>' in mail.html


def test_a_split_order_names_both_countries(printshop: Printshop) -> None:
    paid_order(printshop.app, "SF-PRINTSPLIT", extra_uid=POSTER)
    push(printshop.app)
    parts = ship_all(printshop, "SF-PRINTSPLIT")
    assert sorted(p["shipment"]["fulfillmentCountry"] for p in parts) == ["DE", "NL"]
    assert "Printed in Germany and the Netherlands — close to you" in page(
        printshop, "SF-PRINTSPLIT"
    )
    shipped = mails(printshop.app, "order_shipped")
    codes = {p["shipment"]["packages"][0]["trackingCode"] for p in parts}
    assert {m.text.split("tracking code ")[1].split(")")[0] for m in shipped} == codes
    # Each parcel's e-mail names the hub that printed that parcel.
    printed = {
        p["shipment"]["packages"][0]["trackingCode"]: p["shipment"]["fulfillmentCountry"]
        for p in parts
    }
    names = {"DE": "Printed in Germany,", "NL": "Printed in the Netherlands,"}
    for m in shipped:
        code = m.text.split("tracking code ")[1].split(")")[0]
        assert names[printed[code]] in m.text
