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


def _boom() -> None:
    raise RuntimeError("something broke")


@pytest.mark.parametrize("path", ["/boom", "/api/v1/boom"])
def test_a_500_looks_like_every_other_answer(app, path: str, caplog: pytest.LogCaptureFixture) -> None:
    """Security headers, the request id in the header and the body, one log record with the traceback."""
    app.add_api_route(path, _boom)
    logger = logging.getLogger("minedash")
    logger.addHandler(caplog.handler)
    try:
        # The default client re-raises whatever escapes the app: nothing does.
        with TestClient(app) as client, caplog.at_level(logging.INFO):
            response = client.get(path, headers={"X-Request-ID": "req-500"})
    finally:
        logger.removeHandler(caplog.handler)
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-500"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "something broke" not in response.text
    if path.startswith("/api/"):
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["request_id"] == "req-500" and response.json()["status"] == 500
    else:
        assert "text/html" in response.headers["content-type"] and "req-500" in response.text
    logged = [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1 and "something broke" in JsonFormatter().format(logged[0])
    assert json.loads(JsonFormatter().format(logged[0]))["request_id"] == "req-500"
    access = next(r for r in caplog.records if r.name == "minedash.access")
    assert access.fields["status"] == 500
