from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from app.http.logging_setup import JsonFormatter


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    # Anything that could forge log lines is replaced.
    assert client.get("/healthz", headers={"X-Request-ID": 'x" injected'}).headers["x-request-id"] != 'x" injected'


def test_access_line_is_json_with_the_request_id(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("minedash")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="minedash.access"):
            client.get("/healthz?token=secret", headers={"X-Request-ID": "req-42"})
    finally:
        logger.removeHandler(caplog.handler)
    record = next(r for r in caplog.records if r.name == "minedash.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42"
    assert line["path"] == "/healthz" and line["status"] == 200
    assert "secret" not in json.dumps(line)
