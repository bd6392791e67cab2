"""Overload answers a fast 503 with Retry-After instead of queueing into the database pool's timeout."""

from __future__ import annotations

from collections.abc import Callable

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_body

RETRY_AFTER_SECONDS = 1


class InFlightLimit:
    """At most `limit` requests at once; a request that finds no free slot within `wait` seconds is answered 503
    `overloaded`. With fewer requests than worker threads, the one holding the database connection always gets a
    thread to release it (45 simultaneous requests on 40 threads used to stall for the 30 s pool timeout)."""

    def __init__(self, app: ASGIApp, *, limit: int, wait: float, applies: Callable[[Scope], bool]) -> None:
        self.app = app
        self.limit, self.wait, self.applies = limit, wait, applies
        self._slots: anyio.Semaphore | None = None  # made on the event loop that serves the requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.applies(scope):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = anyio.Semaphore(self.limit)
        acquired = False
        with anyio.move_on_after(self.wait):
            await self._slots.acquire()
            acquired = True
        if not acquired:
            await _overloaded(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()


async def _overloaded(scope: Scope, receive: Receive, send: Send) -> None:
    busy = JSONResponse(
        error_body("overloaded", "服务器繁忙，请稍后再试"),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    await busy(scope, receive, send)
