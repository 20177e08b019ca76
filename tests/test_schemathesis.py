"""The API against its own OpenAPI document, in process: no 5xx, every answer as documented, bad input refused.

Positive and negative cases (schemathesis 4) for every operation, with the demo data loaded so real slugs and
months answer 200. Derandomized (hypothesis derives the seed from the test): a fresh clone generates exactly
the cases CI does, so the suite cannot pass on one machine and fail on another.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from app import demo
from app.domain.actors import Actor
from app.main import create_app
from app.store.queries.tokens import create_token

MAX_EXAMPLES = 60
# Named, so a schemathesis upgrade that changes its defaults cannot quietly check less.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
]
# Every operation of the published document, listed without a database so each gets its own test id.
_DOCUMENT = create_app(check_database_on_startup=False).openapi()
OPERATIONS = [(method.upper(), path) for path, item in _DOCUMENT["paths"].items() for method in item]
# Negative cases need something to break: operations without parameters or body get positive cases only.
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in schemathesis.GenerationMode
    if mode is schemathesis.GenerationMode.POSITIVE
    or _DOCUMENT["paths"][path][method.lower()].get("parameters")
    or _DOCUMENT["paths"][path][method.lower()].get("requestBody")
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {g.value}" for m, p, g in CASES])
def test_api_conforms_to_its_openapi(app: FastAPI, db_session: Session, method: str, path: str, mode) -> None:
    demo.seed_demo(session=db_session)
    secret = create_token(session=db_session, name="fuzzer", scope="write", actor=Actor.system("test")).secret
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operation = schema[path][method]
    writing = method == "PUT"

    @given(operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        # A rule no OpenAPI schema can state: `from` <= `to` (an inverted range is a 400).
        query = case.query or {}
        positive = mode is schemathesis.GenerationMode.POSITIVE
        if positive and query.get("from") and query.get("to") and query["from"] > query["to"]:
            query["from"], query["to"] = query["to"], query["from"]
        if writing and mode is schemathesis.GenerationMode.POSITIVE:
            # A well-formed write can still be refused for reasons a schema cannot state: the month is in
            # the future or breaks a cross-field rule (422), or exists and needs If-Match (428/412).
            response = case.call_and_validate(
                headers={"Authorization": f"Bearer {secret}"}, checks=CHECKS, excluded_checks=[positive_data_acceptance]
            )
            assert response.status_code in (200, 201, 404, 409, 412, 422, 428), response.text
        elif positive and not writing:
            # Another rule no schema states: an answer is never cut, so a read that would hold more rows than
            # one answer may (a wide series over centuries, a CSV longer than a page) is a 400 asking for pages.
            response = case.call()
            asks_for_pages = response.status_code == 400 and "add limit/cursor" in response.text
            case.validate_response(
                response, checks=CHECKS, excluded_checks=[positive_data_acceptance] if asks_for_pages else None
            )
        else:
            case.call_and_validate(headers={"Authorization": f"Bearer {secret}"} if writing else None, checks=CHECKS)

    check()


def test_every_operation_is_covered() -> None:
    paths = {p for _, p in OPERATIONS}
    assert "/api/v1/companies/{slug}/monthly" in paths
    assert "/api/v1/metrics" in paths
