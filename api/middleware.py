"""ASGI middleware: request bodies counted before anything parses them, and security headers on every answer."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

# The PWA loads only its own files (no inline script or style: tests/api/test_security_headers.py checks);
# photo previews are blob: URLs of images the phone holds.
PWA_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# JSON and photos: nothing to run, nothing to load, never framed, a sandbox if opened as a page.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox"
# Swagger UI loads its scripts from a CDN with inline glue: it is only kept out of frames.
DOCS_POLICY = "frame-ancestors 'none'"


def page_policy(styles: Iterable[str]) -> str:
    """The policy of a server-rendered page: nothing but its own inline <style> blocks, by hash."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()}'" for css in styles)
    return f"default-src 'none'; style-src {hashes}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _policy(path: str) -> str:
    if path.startswith(("/docs", "/redoc")):
        return DOCS_POLICY
    return API_POLICY if path.startswith("/api/") else PWA_POLICY


class SecurityHeaders:
    """nosniff, no referrer, and a Content-Security-Policy by kind of answer, unless the route set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = _policy(scope["path"]).encode()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                defaults = {
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"no-referrer",
                    b"content-security-policy": policy,
                }
                headers += [(name, value) for name, value in defaults.items() if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _size_words(max_bytes: int) -> str:
    mib, kib = 1024 * 1024, 1024
    return f"{max_bytes // mib} MB" if max_bytes % mib == 0 else f"{-(-max_bytes // kib)} KB"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None


class BodyLimit:
    """Request bodies over `max_bytes` are answered 413 before the app sees a byte: refused at once when the
    Content-Length says so, else counted as they arrive (the header may be absent or lie). Requests `exempt`
    names (photo uploads, with their own larger limit) pass through untouched."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, exempt: Callable[[Scope], bool] | None = None) -> None:
        self.app, self.max_bytes, self.exempt = app, max_bytes, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.exempt is not None and self.exempt(scope)):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        body = None if declared is not None and declared > self.max_bytes else await self._read(receive)
        if body is None:
            await self._refuse(send)
            return
        first: Message = body
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: the disconnect, when it comes
            replayed = True
            return first

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> Message | None:
        """The whole body as one message, or None as soon as it is over the limit."""
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message  # the client went away: the app hears it as usual
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

    async def _refuse(self, send: Send) -> None:
        detail: dict[str, Any] = {"max_bytes": self.max_bytes}
        message = f"请求内容过大，上限 {_size_words(self.max_bytes)}"
        payload = json.dumps(error_body("payload_too_large", message, detail), ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
