"""The review rules on their own: who may review, what a review must hold, the labels."""

import pytest
from pydantic import ValidationError

from storefront.errors import Conflict, NotFound
from storefront.orders.models import Order, OrderItem
from storefront.reviews.rules import ReviewInput, check_may_review, rating_label
from storefront.reviews.services import Summary


def an_order(status: str = "delivered", customer_id: int | None = 7) -> Order:
    return Order(
        number="SF-TEST0001",
        customer_id=customer_id,
        status=status,
        items=[OrderItem(product_id="p-1", title="Tee")],
    )


def test_the_buyer_of_a_delivered_order_may_review_its_product() -> None:
    order = an_order()
    assert check_may_review(order, "p-1", 7, already=False) is order


@pytest.mark.parametrize(
    ("order", "product", "customer", "already", "error", "words"),
    [
        (None, "p-1", 7, False, NotFound, "could not find that order"),
        (an_order(customer_id=8), "p-1", 7, False, NotFound, "could not find that order"),
        (an_order(customer_id=None), "p-1", 7, False, NotFound, "could not find that order"),
        (an_order(), "p-2", 7, False, NotFound, "not part of this order"),
        (an_order(status="shipped"), "p-1", 7, False, Conflict, "once the order has been"),
        (an_order(status="paid"), "p-1", 7, False, Conflict, "once the order has been"),
        (an_order(), "p-1", 7, True, Conflict, "already reviewed"),
    ],
)
def test_refusals_say_why(  # type: ignore[no-untyped-def]
    order, product, customer, already, error, words
) -> None:
    with pytest.raises(error) as caught:
        check_may_review(order, product, customer, already=already)
    assert words in caught.value.message


@pytest.mark.parametrize("rating", [0, 6, -1, "five", None, 4.5])
def test_rating_is_one_to_five_whole_stars(rating: object) -> None:
    with pytest.raises(ValidationError) as caught:
        ReviewInput.model_validate({"rating": rating, "display_name": "Ada", "body": "Fits."})
    assert caught.value.errors()[0]["loc"] == ("rating",)


@pytest.mark.parametrize(
    ("field", "value"),
    [("display_name", "   "), ("display_name", "x" * 41), ("body", "ok"), ("body", "x" * 2001)],
)
def test_name_and_text_have_limits(field: str, value: str) -> None:
    data = {"rating": "4", "display_name": "Ada", "body": "Soft and it survived the wash."}
    data[field] = value
    with pytest.raises(ValidationError) as caught:
        ReviewInput.model_validate(data)
    assert caught.value.errors()[0]["loc"] == (field,)


def test_valid_input_is_trimmed() -> None:
    got = ReviewInput.model_validate({"rating": "5", "display_name": " Ada ", "body": " Great "})
    assert (got.rating, got.display_name, got.body) == (5, "Ada", "Great")


def test_labels_read_well() -> None:
    assert rating_label(4.5, 12) == "4.5 out of 5, 12 reviews"
    assert rating_label(5.0, 1) == "5 out of 5, 1 review"
    assert Summary(3, 4.5).stars == 5
    assert Summary(3, 4.4).stars == 4
    assert Summary(3, 4.4).label == "4.4 out of 5, 3 reviews"
