"""Every route of the OpenAPI description, fed malformed paths, queries and bodies: never a 500,
always the one error shape."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session

from models.enums import Role
from tests.factories import auth_header, make_town, make_user

PATH_VALUES = ["0", "-1", "99999999999999999999", "abc", "%00", "6f1c7e2a-4a51-4d0e-9b7c-0d7a3b8a9c11"]
BODIES: list[Any] = [None, [], "text", 12, {"unexpected": True}, {"a": {"b": [1, 2, {"c": None}]}}]
RAW_BODIES = [b"{not json", b"\xff\xfe", b'{"description": "\\ud800"}', b'{"name": "a\\u0000b"}']
QUERIES = [{"limit": "-5"}, {"limit": "9" * 30}, {"cursor": "\x00"}, {"status": "x" * 500}, {"from": "yesterday"}]


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    schema = app.openapi()
    return [
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    ]


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.request.method, response.request.url, response.text)
    if response.status_code >= 400:
        body = response.json()
        assert set(body["error"]) == {"code", "message", "detail"}, body


@pytest.mark.parametrize("role", [Role.admin, Role.grid_member, None])
async def test_malformed_input_never_500(
    app: FastAPI, client: httpx.AsyncClient, session: Session, role: Role | None
) -> None:
    town = make_town(session)
    unit = town.district if role == Role.admin else town.grid_a1
    headers = auth_header(make_user(session, role, unit)) if role else {}
    for method, path in _operations(app):
        for value in PATH_VALUES if "{" in path else ["-"]:
            url = _fill(path, value)
            for params in QUERIES:
                _check(await client.request(method, url, params=params, headers=headers))
            if method == "GET":
                continue
            for body in BODIES:
                _check(await client.request(method, url, json=body, headers=headers))
            for raw in RAW_BODIES:
                sent = headers | {"Content-Type": "application/json"}
                _check(await client.request(method, url, content=raw, headers=sent))
