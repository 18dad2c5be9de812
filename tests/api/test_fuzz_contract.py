"""Schemathesis drives /api/v1 from its own document: no 5xx, answers match the schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from tests.api.conftest import Account, bearer, issue_token

#: The JSON Schema "email" format is wider than what email-validator accepts (it refuses
#: special-use domains such as .test), so generated addresses may be rightly refused.
NARROWER_THAN_SCHEMA = {"create_user", "subscribe", "start_checkout"}


def _fuzz(operation: Any, headers: dict[str, str], counter: list[int]) -> Callable[[], None]:
    excluded = (
        [positive_data_acceptance]
        if operation.definition.raw["operationId"] in NARROWER_THAN_SCHEMA
        else []
    )

    @given(case=operation.as_strategy())
    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        counter[0] += 1
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    return run


def test_api_conforms_to_its_document(app: Flask, customer: Account) -> None:
    app.config["RATELIMIT_ENABLED"] = False
    headers = bearer(issue_token(app, customer))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    counter = [0]
    for operation in operations:
        _fuzz(operation, headers, counter)()
    print(
        f"\nschemathesis: {counter[0]} cases over {len(operations)} operations, "
        "no 5xx and no response outside its schema"
    )
    assert counter[0] >= len(operations)
