"""The JSON API's endpoint decorator: validate in, serialise out, record for OpenAPI.

One decorator per operation says everything about it once, and both the runtime and the
OpenAPI document read it from there::

    from storefront.web.api.framework import Page, PageQuery, require_user, v1

    @v1.get("/orders", query=PageQuery, response=Page[OrderOut], access="customer",
            summary="Your orders, newest first", tags=["orders"])
    def list_orders(query: PageQuery) -> Page[OrderOut]:
        ...

The view receives the validated ``body`` and ``query`` models as keyword arguments (next to
Flask's path arguments) and returns a pydantic model, a list, a :class:`Page`, an ORM object
the response model can read (``from_attributes``), ``None`` for 204, or a ready ``Response``.
A ``(result, headers)`` tuple adds headers (e.g. ``Location``).

Errors: a body or query that fails validation is a 422 with ``details: [{field, message}]``;
a body that is not ``application/json`` is a 415; malformed JSON is the app's 400
``invalid_json``. Everything else the view raises goes through ``storefront.errors``.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storefront.errors import Forbidden, Unauthorized, ValidationFailed
from storefront.web.api import bearer
from storefront.web.auth import LEVELS, CurrentUser, current_user
from storefront.web.auth import access as declare_access
from storefront.web.forms import error_details, field_errors, summary
from storefront.web.security import limiter

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
View = Callable[..., Any]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
JSON = "application/json"
MAX_PAGE_SIZE = 100
AUTH_KINDS = ("token", "session")
#: Error statuses the document has a described answer for (``errors=`` must pick from these).
ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 415, 422, 429, 503})
PUBLIC_LEVELS = ("public", "webhook", "dev")


@dataclass(frozen=True)
class Operation:
    """Everything the decorator was told about one (path, method) — the OpenAPI source."""

    operation_id: str
    method: str
    path: str  # the full Flask rule, prefix included: /api/v1/tokens/<int:token_id>
    endpoint: str  # Flask endpoint name: api_v1.<operation_id>
    access: str
    summary: str
    description: str | None
    tags: tuple[str, ...]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: Any  # a type pydantic can describe, or None for an empty 204
    status: int
    media_type: str
    errors: tuple[int, ...]
    limit: str | None
    auth: tuple[str, ...]  # which CurrentUser.via values may call it: "session", "token"

    @property
    def is_protected(self) -> bool:
        return self.access not in PUBLIC_LEVELS


class Api:
    """A versioned API: one Blueprint plus the registry of its operations."""

    def __init__(self, name: str, prefix: str, *, title: str, version: str) -> None:
        self.name = name
        self.prefix = prefix.rstrip("/")
        self.title = title
        self.version = version
        self.blueprint = Blueprint(name, __name__, url_prefix=self.prefix)
        self.blueprint.before_request(bearer.refuse_bad_bearer)
        self.operations: list[Operation] = []

    def get(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route(rule, methods=["GET"], **options)

    def post(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route(rule, methods=["POST"], **options)

    def put(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route(rule, methods=["PUT"], **options)

    def patch(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route(rule, methods=["PATCH"], **options)

    def delete(self, rule: str, **options: Any) -> Callable[[View], View]:
        return self.route(rule, methods=["DELETE"], **options)

    def route(
        self,
        rule: str,
        *,
        methods: Sequence[str] = ("GET",),
        access: str,
        summary: str,
        response: Any = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        status: int | None = None,
        tags: Sequence[str] = (),
        description: str | None = None,
        operation_id: str | None = None,
        errors: Sequence[int] = (),
        limit: str | None = None,
        media_type: str = JSON,
        auth: Sequence[str] = AUTH_KINDS,
    ) -> Callable[[View], View]:
        """Declare one operation. ``status`` defaults to 200, or 204 when ``response`` is None.

        ``errors`` lists extra statuses the view raises (e.g. 404, 409) for the document;
        the ones the framework itself produces are added automatically. ``auth`` narrows how
        callers of a protected operation may authenticate (``("session",)``: browsers only).
        """
        if len(methods) != 1 or methods[0].upper() not in METHODS:
            raise ValueError(f"{rule}: one operation per decorator; got methods={methods!r}")
        method = methods[0].upper()
        if access not in LEVELS:
            raise ValueError(f"{rule}: unknown access level {access!r}")
        if body is not None and method == "GET":
            raise ValueError(f"{rule}: GET operations take no body")
        if set(errors) - ERROR_STATUSES:
            raise ValueError(f"{rule}: errors must be among {sorted(ERROR_STATUSES)}")
        if not auth or set(auth) - set(AUTH_KINDS):
            raise ValueError(f"{rule}: auth must be a non-empty subset of {AUTH_KINDS}")
        code = status or (200 if response is not None else 204)

        def decorator(view: View) -> View:
            op_id = operation_id or view.__name__
            if any(op.operation_id == op_id for op in self.operations):
                raise ValueError(f"duplicate API operation id {op_id!r}")
            op = Operation(
                operation_id=op_id,
                method=method,
                path=self.prefix + rule,
                endpoint=f"{self.name}.{op_id}",
                access=access,
                summary=summary,
                description=description,
                tags=tuple(tags),
                body=body,
                query=query,
                response=response,
                status=code,
                media_type=media_type,
                errors=tuple(errors),
                limit=limit,
                auth=tuple(kind for kind in AUTH_KINDS if kind in auth),
            )
            handler = _handler(view, op)
            if limit:
                handler = limiter.limit(limit)(handler)
            handler = declare_access(access)(handler)  # what the app's access hook reads
            self.blueprint.add_url_rule(rule, endpoint=op_id, view_func=handler, methods=[method])
            self.operations.append(op)
            return view

        return decorator


def _handler(view: View, op: Operation) -> View:
    adapter = (
        TypeAdapter(op.response) if op.response is not None and op.media_type == JSON else None
    )

    @functools.wraps(view)
    def handle(**path_args: Any) -> Response:
        if op.is_protected:
            user = require_user()
            if user.via not in op.auth:
                raise Forbidden(f"This operation needs a {' or '.join(op.auth)} login.")
        kwargs = dict(path_args)
        if op.query is not None:
            kwargs["query"] = _validate(op.query, query_data(op.query))
        if op.body is not None:
            kwargs["body"] = _validate(op.body, request.get_json())  # 415 / 400 via our Request
        return _render(view(**kwargs), op, adapter)

    return handle


def _validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(summary(field_errors(exc)), details=error_details(exc)) from None


def _is_many(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(_is_many(arg) for arg in typing.get_args(annotation) if arg is not type(None))


def query_data(model: type[BaseModel]) -> dict[str, Any]:
    """The query string as the model expects it: repeated keys for list fields only."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in request.args:
            many = _is_many(field.annotation)
            data[key] = request.args.getlist(key) if many else request.args.get(key)
    return data


def _render(result: Any, op: Operation, adapter: TypeAdapter[Any] | None) -> Response:
    headers: dict[str, str] = {}
    if isinstance(result, tuple):
        result, headers = result
    if isinstance(result, Response):
        response = result
    elif adapter is None and op.media_type == JSON:
        response = Response(status=op.status)
    elif adapter is None:
        response = Response(result, status=op.status, mimetype=op.media_type)
    else:
        value = adapter.validate_python(result, from_attributes=True)
        response = jsonify(adapter.dump_python(value, mode="json", by_alias=True))
        response.status_code = op.status
    response.headers.update(headers)
    return response


def require_user() -> CurrentUser:
    """The caller; the access hook already refused anonymous callers of non-public views."""
    user = current_user()
    if user is None:
        raise Unauthorized()
    return user


# --- pagination -------------------------------------------------------------------------------
class PageQuery(BaseModel):
    """``?page=&page_size=``; subclass it to add filters to a list endpoint."""

    model_config = ConfigDict(extra="ignore")

    page: int = Field(1, ge=1, le=100_000, description="1-based page number.")
    page_size: int = Field(20, ge=1, le=MAX_PAGE_SIZE, description="Items per page (max 100).")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class Page(BaseModel, Generic[T]):
    """The envelope of every list endpoint."""

    items: list[T]
    total: int = Field(description="Items across all pages.")
    page: int
    page_size: int
    next: str | None = Field(None, description="Path and query of the next page; null on the last.")


def page_of(items: list[T], total: int, query: PageQuery, item: type[T]) -> Page[T]:
    """Wrap one page of already converted items, with the link to the next page."""
    next_url = None
    if query.page * query.page_size < total:
        args = request.args.to_dict(flat=False)
        args.update(page=[str(query.page + 1)], page_size=[str(query.page_size)])
        next_url = f"{request.path}?{urlencode(args, doseq=True)}"
    return Page[item](  # type: ignore[valid-type]  # pydantic parametrises by a runtime class
        items=items, total=total, page=query.page, page_size=query.page_size, next=next_url
    )


def paginate(session: Session, stmt: Select[Any], query: PageQuery, item: type[M]) -> Page[M]:
    """Run ``stmt`` (ordered!) for one page and count all rows; ORM rows become ``item``."""
    total = session.execute(
        select(func.count()).select_from(stmt.order_by(None).subquery())
    ).scalar_one()
    rows = session.execute(stmt.limit(query.page_size).offset(query.offset)).scalars().all()
    items = [item.model_validate(row, from_attributes=True) for row in rows]
    return page_of(items, total, query, item)


v1 = Api("api_v1", "/api/v1", title="Storefront API", version="1.0.0")
