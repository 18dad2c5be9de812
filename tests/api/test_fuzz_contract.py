"""Schemathesis drives /api/v1 from its own document, as its command line does: every phase
(examples, coverage, fuzzing, stateful) and every check, once anonymously and once with a
bearer token. No 5xx, no answer outside its schema, no schema-valid request refused and no
schema-invalid one accepted — zero failures."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema

from emulators.common import LiveServer
from tests.api.conftest import bearer, issue_token, make_account

#: The JSON Schema "email" format is wider than what email-validator accepts (it refuses
#: special-use domains such as .test), so generated addresses may be rightly refused. A new
#: discount code has rules across fields (a fixed code needs amounts, ends after it starts)
#: and currencies the shop sells in, which JSON Schema does not state; the 422 says which.
NARROWER_THAN_SCHEMA = ["create_user", "subscribe", "create_discount"]


def run_schemathesis(base_url: str, headers: dict[str, str]) -> tuple[int, list[str]]:
    """(cases sent, one line per failure) for a whole schemathesis run against the shop
    served at ``base_url``."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": 14,
            "generation": {"max-examples": 10},
            "headers": headers,
            "operations": [
                {
                    "include-operation-id": NARROWER_THAN_SCHEMA,
                    "checks": {"positive_data_acceptance": {"enabled": False}},
                }
            ],
        }
    )
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=config)
    cases, failures = 0, []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    response = event.recorder.find_response(case_id=case_id)
                    answer = (
                        f"{response.status_code} {response.content[:160]!r}" if response else "-"
                    )
                    failures.append(
                        f"{event.recorder.label}: {check.name}: "
                        f"{check.failure_info.failure.title} -> {answer}"
                    )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"schemathesis error: {_describe(event)}")
    return cases, sorted(set(failures))


def _describe(event: Any) -> str:
    return str(getattr(event, "info", None) or getattr(event, "exception", event))[:300]


def test_api_conforms_to_its_document(app: Flask) -> None:
    app.config["RATELIMIT_ENABLED"] = False
    admin = make_account(app, "root@example.com", role="admin")
    with LiveServer(app) as server:
        # An admin's token reaches every operation a customer's does, and the operators'.
        for label, headers in (
            ("anonymous", {}),
            ("admin token", bearer(issue_token(app, admin, role="admin"))),
        ):
            cases, failures = run_schemathesis(server.url, headers)
            print(f"\nschemathesis ({label}): {cases} cases, {len(failures)} failures")
            assert failures == [], f"{label}:\n" + "\n".join(failures)
            assert cases >= 500
