"""HTML forms validated by the same pydantic models as the JSON API (one rule, one place).

Pydantic's messages ("String should have at least 1 character") are for programmers. A
person gets one sentence per field, written here, naming the field once: the form shows
it next to the field, the API keeps pydantic's ``details`` and gets these sentences as its
``message``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from werkzeug.datastructures import MultiDict

from storefront.gelato.address import LABELS as ADDRESS_LABELS

M = TypeVar("M", bound=BaseModel)

FieldErrors = dict[str, str]

#: What a person calls each field the shop's forms and API bodies share.
LABELS: dict[str, str] = {
    **ADDRESS_LABELS,
    "line1": ADDRESS_LABELS["address_line1"],
    "line2": ADDRESS_LABELS["address_line2"],
    "company": ADDRESS_LABELS["company_name"],
    "password": "Password",
    "name": "Name",
    "shipping_method": "Shipping method",
    "provider": "Payment method",
    "quantity": "Quantity",
}

#: Fields a person never types: a problem there means the page is stale, not their typing.
_HIDDEN = frozenset({"checkout_key", "csrf_token"})


def _label(field: str) -> str:
    return LABELS.get(field) or field.replace("_", " ").capitalize()


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def human_message(field: str, error: ErrorDetails) -> str:
    """One sentence that says what to fix, naming the field once."""
    if field in _HIDDEN:
        return "This page was open for too long. Please reload it and send the form again."
    label = _label(field)
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    message = str(error["msg"]).removeprefix("Value error, ")
    empty = isinstance(error.get("input"), str) and not str(error.get("input")).strip()
    if kind == "missing" or empty or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return f"Please enter your {label[0].lower() + label[1:]}."
    if kind == "string_too_short":
        return f"{label} must be at least {ctx['min_length']} characters."
    if kind == "string_too_long":
        return f"{label} can be at most {ctx['max_length']} characters. Please shorten it."
    if kind == "literal_error":
        return f"Please choose a {label.lower()} from the list."
    if kind == "value_error" and "email address" in message:
        return "Please enter a valid e-mail address, like name@example.com."
    if kind == "value_error" and message[:1].isupper():
        return _sentence(message)  # our own validators already write for people
    if kind == "value_error":
        return _sentence(f"{label} {message}")
    if kind in ("int_parsing", "int_type", "float_parsing"):
        return f"{label} must be a whole number."
    if kind in ("greater_than_equal", "greater_than"):
        return f"{label} is too small."
    if kind in ("less_than_equal", "less_than"):
        return f"{label} is too large."
    return f"Please check the {label.lower()}."


def _field(err: ErrorDetails) -> str:
    return ".".join(str(p) for p in err["loc"]) or "form"


def field_errors(exc: ValidationError) -> FieldErrors:
    """``{"email": "Please enter a valid e-mail address, …", …}``: the first problem per
    field, as a sentence for a person."""
    out: FieldErrors = {}
    for err in exc.errors():
        field = _field(err)
        if field not in out:
            out[field] = human_message(field, err)
    return out


def summary(errors: FieldErrors) -> str:
    """All the sentences in one message (the API's ``message`` for a 422)."""
    return "Some fields need fixing: " + " ".join(errors.values())


def error_details(exc: ValidationError) -> list[dict[str, str]]:
    """The API's 422 ``details``: field and the validator's reason for every problem (a
    machine-readable list; :func:`field_errors` gives the sentences)."""
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "body",
            "message": str(err["msg"]).removeprefix("Value error, "),
        }
        for err in exc.errors()
    ]


def parse_form(model: type[M], form: MultiDict[str, str]) -> tuple[M | None, FieldErrors]:
    data = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in form.items() if k != "csrf_token"
    }
    data = {k: v for k, v in data.items() if v != ""}
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc)
