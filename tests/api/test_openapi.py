"""The OpenAPI tells the truth: clock times as they are sent, every error in the error shape, and the statuses
that shared machinery answers (sign-in, the initial password, the body limit, body parsing) where they happen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
from fastapi import FastAPI

ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def _operations(app: FastAPI) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def test_clock_times_are_declared_as_they_are_sent(app: FastAPI) -> None:
    schema = app.openapi()
    assert '"format": "time"' not in json.dumps(schema)
    schemas = schema["components"]["schemas"]
    for name, field in [
        ("StationingPublic", "start_time"),
        ("SessionPublic", "end_time"),
        ("BoardCadre", "start_time"),
        ("SlaPolicyPublic", "quiet_start"),
        ("StationingCreate", "start_time"),
    ]:
        declared = schemas[name]["properties"][field]
        assert declared["type"] == "string" and declared["pattern"] == r"^([01]\d|2[0-3]):[0-5]\d$", name


def test_errors_are_documented_where_they_happen(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "error" in schemas["ErrorResponse"]["properties"]
    for label, operation in _operations(app):
        responses = operation["responses"]
        if "security" in operation:
            assert "401" in responses, label
        body = operation.get("requestBody")
        if body is not None:
            assert "413" in responses, label
            assert "400" in responses or "application/json" not in body["content"], label
        for status, response in responses.items():
            if status[0] in "45":
                assert response["content"] == {"application/json": {"schema": ERROR_REF}}, (label, status)


def test_the_initial_password_rule_is_documented_only_where_it_applies(app: FastAPI) -> None:
    operations = dict(_operations(app))
    assert "403" in operations["GET /api/v1/stationings"]["responses"]
    assert "403" in operations["GET /api/v1/notifications"]["responses"]
    assert "403" not in operations["GET /api/v1/me"]["responses"]  # who one is, even before the change
    assert "401" not in operations["GET /api/v1/public/units"]["responses"]


async def test_a_body_that_is_not_utf8_is_a_documented_400(app: FastAPI, client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=b'{"mobile": "\xff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"
    assert "400" in dict(_operations(app))["POST /api/v1/auth/login"]["responses"]
