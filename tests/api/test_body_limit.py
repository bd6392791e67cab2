"""Request bodies are counted as they arrive and refused past the limit before anything parses them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx
from sqlmodel import Session

from api.middleware import BodyLimit
from core.settings import get_settings
from models.enums import Role
from tests.factories import auth_header, make_town, make_user

LIMIT = 1024 * 1024


def _assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and "1 MB" in error["message"]
    assert error["detail"] == {"max_bytes": LIMIT}


async def test_a_json_body_over_the_limit_is_413(client: httpx.AsyncClient, session: Session) -> None:
    assert get_settings().request_max_bytes == LIMIT
    headers = auth_header(make_user(session, Role.grid_member, make_town(session).grid_a1))
    big = json.dumps({"device_id": "x", "ops": [], "padding": "a" * LIMIT}).encode()
    _assert_too_large(await client.post("/api/v1/sync/push", content=big, headers=headers))

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while it streams
        yield b'{"mobile": "13912340042", "password": "'
        for _ in range(5):
            yield b"a" * (256 * 1024)
        yield b'"}'

    streamed = await client.post("/api/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
    _assert_too_large(streamed)
    just_under = await client.post("/api/v1/auth/login", json={"mobile": "1", "password": "a" * (LIMIT - 100)})
    assert just_under.status_code == 422  # parsed and validated as usual


async def test_a_lying_content_length_does_not_help() -> None:
    """Declared small, sent large: the middleware counts what arrives, and the app never sees the body."""
    seen: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen.append(message.get("body", b""))

    chunks = [{"type": "http.request", "body": b"a" * (600 * 1024), "more_body": True}] * 2
    chunks.append({"type": "http.request", "body": b"", "more_body": False})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return chunks.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {"type": "http", "method": "POST", "path": "/api/v1/sync/push", "headers": [(b"content-length", b"10")]}
    await BodyLimit(app, max_bytes=LIMIT)(scope, receive, send)
    assert seen == [] and sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "payload_too_large"
