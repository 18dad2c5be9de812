"""Where a shirt was printed reaches the shopper as Gelato says it, per order: the order page
and the shipping e-mail name the production country of *this* order (nearest hub to the
shopper), not a fixed one; and the shipping e-mail carries this parcel's tracking."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.container import services
from storefront.fulfillment.models import Parcel
from storefront.orders.links import order_path
from tests.fulfillment_flow.conftest import Printshop, paid_order
from tests.support.mail import mails
from tests.support.services import push, sync

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
    [link] = [u for u in mail.links if "/orders/" in u]  # "Your order page: …" opens it
    assert f"Your order page: {link}" in mail.text
    assert f'<a href="{link.replace("&", "&amp;")}">Your order page</a>' in mail.html
    opened = printshop.app.test_client().get(link)
    assert opened.status_code == 200 and f"<h1>Order {number}</h1>" in opened.get_data(True)


def test_a_parcel_gelato_reports_without_link_or_hub_is_mailed_with_its_code(
    printshop: Printshop,
) -> None:
    """Gelato can give a tracking code before its link (and say nothing of the hub): the
    e-mail gives the code alone, never an empty link or an empty country; the link that
    comes later reaches the order page without a second e-mail."""
    paid_order(printshop.app, "SF-NOLINK01")
    push(printshop.app)
    printshop.gelato.webhooks.drop_next(times=100)
    [part] = printshop.gelato.orders_for("SF-NOLINK01")
    printshop.gelato.advance(part["id"], "shipped")
    [package] = part["shipment"]["packages"]
    code, url = package["trackingCode"], package["trackingUrl"]
    package["trackingUrl"], part["shipment"]["fulfillmentCountry"] = "", None
    result = sync(printshop.app, "SF-NOLINK01")
    assert result is not None and result.new_parcels == [code]
    [mail] = mails(printshop.app, "order_shipped")
    assert f"Your parcel's tracking code: {code}\n" in mail.text
    assert "Track your parcel" not in mail.text and "Printed in" not in mail.text
    assert f"Your parcel (tracking code {code})" in mail.html
    assert "Track your parcel" not in mail.html and "Printed in" not in mail.html
    assert f"tracking code {code}" in page(printshop, "SF-NOLINK01")
    with services(printshop.app).db.session_scope() as session:
        parcel = session.execute(select(Parcel)).scalar_one()
        assert parcel.notified_at is not None  # the parcel records that its shopper was told
    package["trackingUrl"] = url
    result = sync(printshop.app, "SF-NOLINK01")
    assert result is not None and result.new_parcels == []
    assert len(mails(printshop.app, "order_shipped")) == 1
    assert f'<a href="{url}" rel="noopener noreferrer">track {code}</a>' in page(
        printshop, "SF-NOLINK01"
    )


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
