"""A fake Alibaba Cloud / Tencent Cloud SMS API on 127.0.0.1, for the adapters' tests: it answers as the provider
does (the request's shape tells which one is calling) and records what it was sent. Never the internet."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Received:
    provider: str  # "aliyun" or "tencent"
    params: dict[str, Any]  # Alibaba Cloud: the query string; Tencent: the JSON body
    headers: dict[str, str]
    raw: bytes  # the whole request as it came, to look for what must not be in it


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"


@dataclass
class FakeProvider:
    """Answers each request with the next scripted reply, or with the provider's success when none is left."""

    url: str = ""
    script: list[Reply] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)

    def keys(self) -> list[str]:
        """The dedupe key each message carried (OutId / SessionContext), in the order they came."""
        return [r.params["OutId"] if r.provider == "aliyun" else r.params["SessionContext"] for r in self.received]

    def answer(self, received: Received) -> Reply:
        self.received.append(received)
        if self.script:
            return self.script.pop(0)
        number = len(self.received)
        if received.provider == "aliyun":
            return aliyun_reply(200, {"Code": "OK", "Message": "OK", "BizId": f"90061974693649{number:04d}^0"})
        phone = received.params["PhoneNumberSet"][0]
        return tencent_status(f"2433:{number:04d}", "Ok", "send success", phone, received.params["SessionContext"])


def aliyun_reply(status: int, body: dict[str, Any]) -> Reply:
    return Reply(status, json.dumps({**body, "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"}).encode())


def tencent_reply(response: dict[str, Any], status: int = 200) -> Reply:
    body = {"Response": {**response, "RequestId": "a0aabda6-cf91-4f3e-a2e0-7a86a0e3bc1b"}}
    return Reply(status, json.dumps(body).encode())


def tencent_status(serial: str, code: str, message: str, phone: str = "+8613900000000", context: str = "") -> Reply:
    status = {"SerialNo": serial, "PhoneNumber": phone, "Fee": 1 if code == "Ok" else 0, "SessionContext": context}
    return tencent_reply({"SendStatusSet": [{**status, "Code": code, "Message": message, "IsoCode": "CN"}]})


def tencent_error(code: str, message: str) -> Reply:
    return tencent_reply({"Error": {"Code": code, "Message": message}})


def _handler(fake: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            raw = f"{self.requestline}\n{self.headers}".encode() + body
            if "X-TC-Action" in self.headers:
                received = Received("tencent", json.loads(body), headers, raw)
            else:
                received = Received("aliyun", dict(parse_qsl(urlsplit(self.path).query)), headers, raw)
            reply = fake.answer(received)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens: the connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
