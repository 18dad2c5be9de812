"""HTML forms validated by the same pydantic models as the JSON API (one rule, one place)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from werkzeug.datastructures import MultiDict

M = TypeVar("M", bound=BaseModel)

FieldErrors = dict[str, str]


def field_errors(exc: ValidationError) -> FieldErrors:
    """``{"email": "is not a valid e-mail address", …}`` — the first problem per field."""
    out: FieldErrors = {}
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "form"
        message = str(err["msg"]).removeprefix("Value error, ")
        out.setdefault(field, message)
    return out


def error_details(exc: ValidationError) -> list[dict[str, str]]:
    """The API's 422 ``details``: field and reason for every problem."""
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
