"""Orders v2 request validation as PayPal does it (amount arithmetic included) and the
emulator's error type, in PayPal's envelope ``{name, message, details[], debug_id, links}``.

Names, messages and issue descriptions are PayPal's own text, as its OpenAPI specs list them
(each error schema enumerates them: ``error_401.message``, ``orders.capture-422`` and so on,
https://github.com/paypal/paypal-rest-api-specifications, Orders v2 and Payments v2), double
space in ``INSTRUMENT_DECLINED`` included: a shop that matches on them meets the same text.
"""

# ruff: noqa: E501 - PayPal's own error descriptions are kept whole, as PayPal sends them

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

#: PayPal refuses decimals for these currencies.
NO_DECIMALS = frozenset({"HUF", "JPY", "TWD"})
BREAKDOWN_ADD = ("item_total", "tax_total", "shipping", "handling", "insurance")
BREAKDOWN_SUB = ("shipping_discount", "discount")

_MESSAGES = {
    400: (
        "INVALID_REQUEST",
        "Request is not well-formed, syntactically incorrect, or violates schema.",
    ),
    401: (
        "AUTHENTICATION_FAILURE",
        "Authentication failed due to missing authorization header, or invalid authentication credentials.",
    ),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    409: ("RESOURCE_CONFLICT", "The server has detected a conflict while processing this request."),
    422: (
        "UNPROCESSABLE_ENTITY",
        "The requested action could not be performed, semantically incorrect, or failed business validation.",
    ),
    500: ("INTERNAL_SERVER_ERROR", "An internal server error occurred."),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable."),
}
#: Gateway failures (502, 504) carry the 503 body: PayPal's specs define no other.
_MESSAGES[502] = _MESSAGES[504] = _MESSAGES[503]

#: Descriptions of the request-validation issues, as PayPal's spec enumerates them for
#: ``POST /v2/checkout/orders`` (the texts differ a little from one operation to another).
DESCRIPTIONS = {
    "CANNOT_BE_NEGATIVE": "Must be greater than or equal to 0. If the currency supports decimals, only two decimal place precision is supported.",
    "DECIMAL_PRECISION": "If the currency supports decimals, only two decimal place precision is supported.",
    "DECIMALS_NOT_SUPPORTED": "Currency does not support decimals. Please refer to https://developer.paypal.com/docs/api/reference/currency-codes/ for more information.",
    "INVALID_PARAMETER_SYNTAX": "The value of a field does not conform to the expected format.",
    "INVALID_PARAMETER_VALUE": "A parameter value is not valid.",
    "INVALID_STRING_LENGTH": "The value of a field is either too short or too long",
    "ITEM_TOTAL_REQUIRED": "If item details are specified (items.unit_amount and items.quantity) corresponding amount.breakdown.item_total is required.",
    "MALFORMED_REQUEST_JSON": "The request JSON is not well formed.",
    "MISSING_REQUIRED_PARAMETER": "A required parameter is missing.",
    "MULTI_CURRENCY_ORDER": "Multiple differing values of currency_code are not supported. Entire Order request must have the same currency_code.",
}


class PayPalApiError(Exception):
    def __init__(
        self,
        status: int,
        issue: str | None = None,
        description: str | None = None,
        *,
        field: str | None = None,
        value: str | None = None,
        location: str = "body",
    ) -> None:
        super().__init__(issue or str(status))
        self.status = status
        self.details: list[dict[str, Any]] = []
        if issue:
            text = description or DESCRIPTIONS.get(issue, issue)
            detail: dict[str, Any] = {"issue": issue, "description": text}
            if field:
                detail["field"] = field
                detail["location"] = location
            if value is not None:
                detail["value"] = value
            self.details.append(detail)

    def body(self, debug_id: str) -> dict[str, Any]:
        name, message = _MESSAGES.get(self.status, _MESSAGES[500])
        body: dict[str, Any] = {"name": name, "message": message, "debug_id": debug_id}
        if self.details:
            body["details"] = self.details
            issue = self.details[0]["issue"]
            body["links"] = [
                {
                    "href": f"https://developer.paypal.com/api/rest/reference/orders/v2/errors/#{issue}",
                    "rel": "information_link",
                    "method": "GET",
                }
            ]
        return body


#: PayPal issues the emulator raises outside request validation: status and description.
ISSUES: dict[str, tuple[int, str]] = {
    "CANNOT_BE_ZERO_OR_NEGATIVE": (
        422,
        "Must be greater than zero. If the currency supports decimals, only two decimal place precision is supported.",
    ),
    "CAPTURE_FULLY_REFUNDED": (422, "The capture has already been fully refunded"),
    "DUPLICATE_INVOICE_ID": (
        422,
        "Duplicate Invoice ID detected. To avoid a potential duplicate transaction your account setting requires that Invoice Id be unique for each transaction.",
    ),
    "DUPLICATE_REQUEST_ID": (409, "A request with this id is in progress."),
    "INSTRUMENT_DECLINED": (
        422,
        "The instrument presented  was either declined by the processor or bank, or it can't be used for this payment.",
    ),
    "INVALID_RESOURCE_ID": (
        404,
        "Specified resource ID does not exist. Please check the resource ID and try again.",
    ),
    "ORDER_ALREADY_CAPTURED": (
        422,
        "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
    ),
    "ORDER_ALREADY_COMPLETED": (422, "The order cannot be approved again."),
    "ORDER_NOT_APPROVED": (
        422,
        "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid `payment_source` in the request.",
    ),
    "REFUND_AMOUNT_EXCEEDED": (
        422,
        "The refund amount must be less than or equal to the capture amount that has not yet been refunded.",
    ),
    "REFUND_CAPTURE_CURRENCY_MISMATCH": (422, "Refund must be in the same currency as the capture"),
    "REFUND_NOT_ALLOWED": (422, "Capture cannot be refunded."),
}


def issue(name: str, **where: str) -> PayPalApiError:
    """PayPal's error for ``name`` (see :data:`ISSUES`)."""
    status, description = ISSUES[name]
    return PayPalApiError(status, name, description, **where)


def new_debug_id() -> str:
    return secrets.token_hex(7)


def parse_money(money: Any, field: str, currency: str | None = None) -> tuple[str, Decimal]:
    """``{"currency_code", "value"}`` → (currency, amount), with PayPal's precision rules."""
    if not isinstance(money, dict) or "currency_code" not in money or "value" not in money:
        raise PayPalApiError(400, "MISSING_REQUIRED_PARAMETER", field=field)
    code = str(money["currency_code"])
    if currency is not None and code != currency:
        raise PayPalApiError(
            422,
            "MULTI_CURRENCY_ORDER",
            field=field,
        )
    try:
        value = Decimal(str(money["value"]))
    except InvalidOperation:
        raise PayPalApiError(400, "INVALID_PARAMETER_SYNTAX", field=f"{field}/value") from None
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if code in NO_DECIMALS and places:
        raise PayPalApiError(
            422,
            "DECIMALS_NOT_SUPPORTED",
            field=f"{field}/value",
        )
    if places > 2:
        raise PayPalApiError(422, "DECIMAL_PRECISION", field=f"{field}/value")
    if value < 0:
        raise PayPalApiError(422, "CANNOT_BE_NEGATIVE", field=f"{field}/value")
    return code, value


def validate_purchase_unit(unit: Any, index: int) -> None:
    """PayPal's rules: item_total = Σ unit_amount × quantity; value = sum of the breakdown."""
    where = f"/purchase_units/@reference_id=='{(unit or {}).get('reference_id', 'default')}'"
    if not isinstance(unit, dict) or "amount" not in unit:
        raise PayPalApiError(
            400,
            "MISSING_REQUIRED_PARAMETER",
            field=f"/purchase_units/{index}/amount",
        )
    currency, total = parse_money(unit["amount"], f"{where}/amount")
    for name in ("custom_id", "invoice_id", "description"):
        if len(str(unit.get(name) or "")) > 127:
            raise PayPalApiError(400, "INVALID_STRING_LENGTH", field=f"{where}/{name}")
    breakdown = unit["amount"].get("breakdown")
    items = unit.get("items") or []
    if items and not (breakdown and "item_total" in breakdown):
        raise PayPalApiError(
            422,
            "ITEM_TOTAL_REQUIRED",
            field=f"{where}/amount/breakdown/item_total",
        )
    if not breakdown:
        return
    parts = {
        name: parse_money(breakdown[name], f"{where}/amount/breakdown/{name}", currency)[1]
        for name in (*BREAKDOWN_ADD, *BREAKDOWN_SUB)
        if name in breakdown
    }
    if items:
        item_sum = Decimal(0)
        tax_sum: Decimal | None = None
        for i, item in enumerate(items):
            if not item.get("name"):
                raise PayPalApiError(
                    400,
                    "MISSING_REQUIRED_PARAMETER",
                    field=f"{where}/items/{i}/name",
                )
            unit_amount = parse_money(
                item.get("unit_amount"), f"{where}/items/{i}/unit_amount", currency
            )[1]
            try:
                quantity = int(str(item.get("quantity")))
            except ValueError:
                raise PayPalApiError(
                    400,
                    "INVALID_PARAMETER_SYNTAX",
                    field=f"{where}/items/{i}/quantity",
                ) from None
            item_sum += unit_amount * quantity
            if item.get("tax") is not None:
                tax = parse_money(item["tax"], f"{where}/items/{i}/tax", currency)[1]
                tax_sum = (tax_sum or Decimal(0)) + tax * quantity
        if item_sum != parts["item_total"]:
            raise PayPalApiError(
                422,
                "ITEM_TOTAL_MISMATCH",
                "Should equal sum of (unit_amount * quantity) across all items for a given purchase_unit.",
                field=f"{where}/amount/breakdown/item_total",
                value=str(breakdown["item_total"]["value"]),
            )
        if tax_sum is not None and "tax_total" not in parts:
            raise PayPalApiError(
                422,
                "TAX_TOTAL_REQUIRED",
                "If item details are specified (items.tax_total and items.quantity) "
                "corresponding amount.breakdown.tax_total is required.",
                field=f"{where}/amount/breakdown/tax_total",
            )
        if tax_sum is not None and tax_sum != parts["tax_total"]:
            raise PayPalApiError(
                422,
                "TAX_TOTAL_MISMATCH",
                "Should equal sum of (tax * quantity) across all items for a given purchase_unit.",
                field=f"{where}/amount/breakdown/tax_total",
                value=str(breakdown["tax_total"]["value"]),
            )
    expected = sum((parts.get(n, Decimal(0)) for n in BREAKDOWN_ADD), Decimal(0)) - sum(
        (parts.get(n, Decimal(0)) for n in BREAKDOWN_SUB), Decimal(0)
    )
    if expected != total:
        raise PayPalApiError(
            422,
            "AMOUNT_MISMATCH",
            "Should equal item_total + tax_total + shipping + handling + insurance - shipping_discount - discount.",
            field=f"{where}/amount/value",
            value=str(unit["amount"]["value"]),
        )


def validate_order_request(body: Any) -> None:
    if not isinstance(body, dict):
        raise PayPalApiError(400, "MALFORMED_REQUEST_JSON", "The request JSON is not well formed.")
    if body.get("intent") != "CAPTURE":
        raise PayPalApiError(
            400,
            "INVALID_PARAMETER_VALUE",
            field="/intent",
        )
    units = body.get("purchase_units")
    if not isinstance(units, list) or not 1 <= len(units) <= 10:
        raise PayPalApiError(
            400,
            "MISSING_REQUIRED_PARAMETER",
            field="/purchase_units",
        )
    for index, unit in enumerate(units):
        validate_purchase_unit(unit, index)


def money(currency: str, value: Decimal) -> dict[str, str]:
    text = f"{value:.0f}" if currency in NO_DECIMALS else f"{value:.2f}"
    return {"currency_code": currency, "value": text}
