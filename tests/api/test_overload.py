"""Overload answers a fast 503 with Retry-After; it never queues into the database pool's 30 s timeout."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from sqlalchemy import Engine
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from api.limiter import InFlightLimit
from api.main import create_app


@pytest.fixture
async def app_client(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own session dependency and the one-connection SQLite pool of a real server."""
    transport = httpx.ASGITransport(app=create_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_45_simultaneous_requests_all_answer_without_the_pool_timeout(app_client: httpx.AsyncClient) -> None:
    statuses: list[int] = []

    async def one() -> None:
        statuses.append((await app_client.get("/api/v1/health")).status_code)

    started = time.monotonic()
    async with anyio.create_task_group() as tasks:
        for _ in range(45):
            tasks.start_soon(one)
    assert statuses == [200] * 45
    assert time.monotonic() - started < 10


class Held:
    """An endpoint that answers only when the test lets it."""

    def __init__(self) -> None:
        self.entered = anyio.Event()
        self.release = anyio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.entered.set()
        await self.release.wait()
        await JSONResponse({"ok": True})(scope, receive, send)


async def test_a_request_that_finds_no_slot_in_time_gets_a_fast_503() -> None:
    held = Held()
    limited = InFlightLimit(held, limit=1, wait=0.05, applies=lambda _: True)
    answers: list[int] = []
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://test") as http,
        anyio.create_task_group() as tasks,
    ):

        async def first() -> None:
            answers.append((await http.get("/api/v1/x")).status_code)

        tasks.start_soon(first)
        await held.entered.wait()
        started = time.monotonic()
        busy = await http.get("/api/v1/x")
        assert time.monotonic() - started < 1
        held.release.set()
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.json()["error"]["code"] == "overloaded"
    assert answers == [200]


async def test_a_request_waits_its_turn_while_a_slot_frees_in_time() -> None:
    held = Held()
    limited = InFlightLimit(held, limit=1, wait=5, applies=lambda _: True)
    answers: list[int] = []
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=limited), base_url="http://test") as http,
        anyio.create_task_group() as tasks,
    ):

        async def call() -> None:
            answers.append((await http.get("/api/v1/x")).status_code)

        tasks.start_soon(call)
        await held.entered.wait()
        tasks.start_soon(call)
        await anyio.sleep(0.05)
        held.release.set()
    assert answers == [200, 200]
