"""Web Push end to end: a browser's subscription registered through the API, the delivery job, and a real
HTTP push endpoint on 127.0.0.1 that checks the VAPID signature and decrypts the payload (RFC 8291)."""

from __future__ import annotations

import base64
import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.clock import utc_now
from models.enums import NotificationChannel, NotificationStatus
from models.notification import PushSubscription
from services.notify.channels import Outgoing, push_payload, push_topic
from services.notify.outbox import deliver_due
from tests.factories import auth_header
from tests.services.notify.test_outbox import People, committed_people, enqueue, rows, settings_env

SUBJECT = "mailto:ops@example.invalid"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


@dataclass
class Browser:
    """The subscriber's side: its ECDH key pair and auth secret, as a browser makes them."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, endpoint: str) -> dict[str, Any]:
        return {
            "endpoint": endpoint,
            "keys": {"p256dh": b64url(public_point(self.key)), "auth": b64url(self.auth_secret)},
        }


@dataclass
class PushService:
    """A push service on 127.0.0.1 that decrypts what it receives with the browser's keys."""

    browser: Browser
    url: str = ""
    status: int = 201
    received: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(Browser())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                plain = http_ece.decrypt(
                    body,
                    private_key=service.browser.key,
                    auth_secret=service.browser.auth_secret,
                    version="aes128gcm",
                )
                headers = {name.lower(): value for name, value in self.headers.items()}
                service.received.append((self.path, headers, json.loads(plain)))
            except Exception as exc:
                service.errors.append(repr(exc))
            self.send_response(service.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@dataclass
class VapidKeys:
    private: str
    public: str


@pytest.fixture
def vapid() -> Iterator[VapidKeys]:
    """A VAPID key pair made here with `cryptography`, not by the code under test."""
    key = ec.generate_private_key(ec.SECP256R1())
    keys = VapidKeys(b64url(key.private_numbers().private_value.to_bytes(32, "big")), b64url(public_point(key)))
    with settings_env(vapid_private_key=keys.private, vapid_public_key=keys.public, vapid_subject=SUBJECT):
        yield keys


@pytest.fixture
def people(engine: Engine) -> Iterator[People]:
    with committed_people(engine, "990312") as committed:
        yield committed


def subscriptions(engine: Engine, people: People) -> list[PushSubscription]:
    with Session(engine) as session:
        return list(session.exec(select(PushSubscription).where(PushSubscription.user_id == people.member.id)).all())


def test_payload_links_to_the_request_and_tags_with_the_dedupe_key() -> None:
    rr_id = uuid.uuid4()
    message = Outgoing(1, NotificationChannel.push, "sla:7:2:push:5", "标题", "正文" * 200, rr_id)
    payload = json.loads(push_payload(message))
    assert payload["url"] == f"/#/staff/r/{rr_id}" and payload["tag"] == "sla:7:2:push:5"
    assert len(payload["body"]) == 300 and payload["body"].endswith("…")
    topic = push_topic("sla:7:2:push:5")
    assert len(topic) <= 32 and set(topic) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


async def test_web_push_reaches_a_real_endpoint_signed_and_encrypted(
    engine: Engine, people: People, push_service: PushService, vapid: VapidKeys, live_client: httpx.AsyncClient
) -> None:
    headers = auth_header(people.member)
    key = await live_client.get("/api/v1/notifications/push/key", headers=headers)
    assert key.json() == {"public_key": vapid.public}
    endpoint = f"{push_service.url}/push/abc"
    added = await live_client.post(
        "/api/v1/notifications/push/subscriptions", json=push_service.browser.subscription(endpoint), headers=headers
    )
    assert added.status_code == 204, added.text

    moment = utc_now()
    enqueue(engine, people.member, NotificationChannel.push, "t:push", now=moment)
    report = deliver_due(moment, engine=engine)
    assert (report.sent, report.retried, push_service.errors) == (1, 0, [])
    [(path, sent_headers, payload)] = push_service.received
    assert path == "/push/abc"
    assert payload == {
        "title": "【红牌超期】诉求 t:push",
        "body": "诉求已超期，请尽快办理。",
        "url": "/#/staff",
        "tag": f"t:push:push:{people.member.id}",
    }
    authorization = sent_headers["authorization"]
    assert authorization.startswith("vapid t=") and authorization.endswith(f",k={vapid.public}")
    assert Vapid02.verify(authorization) is True  # signed by the private key of that public key
    token = authorization.removeprefix("vapid t=").split(",k=")[0]
    claims = json.loads(b64url_decode(token.split(".")[1]))
    assert claims["aud"] == push_service.url and claims["sub"] == SUBJECT and claims["exp"] > moment.timestamp()
    assert sent_headers["content-encoding"] == "aes128gcm" and sent_headers["ttl"] == "86400"
    assert sent_headers["topic"] == push_topic(f"t:push:push:{people.member.id}")
    [row] = rows(engine, people.member)
    assert (row.status, row.last_error) == (NotificationStatus.sent, None)


async def test_a_gone_endpoint_deactivates_the_subscription_and_is_not_a_failure(
    engine: Engine, people: People, push_service: PushService, vapid: VapidKeys, live_client: httpx.AsyncClient
) -> None:
    body = push_service.browser.subscription(f"{push_service.url}/push/gone")
    added = await live_client.post(
        "/api/v1/notifications/push/subscriptions", json=body, headers=auth_header(people.member)
    )
    assert added.status_code == 204
    push_service.status = 410
    moment = utc_now()
    enqueue(engine, people.member, NotificationChannel.push, "t:gone", now=moment)
    report = deliver_due(moment, engine=engine)
    assert (report.sent, report.retried, report.unsubscribed) == (1, 0, 1)
    [subscription] = subscriptions(engine, people)
    assert (subscription.is_active, subscription.last_error) == (False, "push service answered 410")
    assert rows(engine, people.member)[0].last_error == "subscription gone"

    enqueue(engine, people.member, NotificationChannel.push, "t:after", now=moment)
    assert deliver_due(moment, engine=engine).sent == 1
    assert rows(engine, people.member)[1].last_error == "no subscription"
    assert len(push_service.received) == 1  # nothing posted to a deactivated endpoint


async def test_a_push_service_error_is_retried(
    engine: Engine, people: People, push_service: PushService, vapid: VapidKeys, live_client: httpx.AsyncClient
) -> None:
    body = push_service.browser.subscription(f"{push_service.url}/push/busy")
    await live_client.post("/api/v1/notifications/push/subscriptions", json=body, headers=auth_header(people.member))
    push_service.status = 503
    moment = utc_now()
    enqueue(engine, people.member, NotificationChannel.push, "t:busy", now=moment)
    assert deliver_due(moment, engine=engine).retried == 1
    [row] = rows(engine, people.member)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "push service answered 503")
    assert subscriptions(engine, people)[0].is_active

    push_service.status = 201
    assert deliver_due(row.next_attempt_at, engine=engine).sent == 1
    assert len(push_service.received) == 2 and push_service.errors == []


def test_settings_take_a_generated_vapid_pair_and_refuse_a_mismatched_one(capsys: pytest.CaptureFixture[str]) -> None:
    from core.settings import Settings
    from services.notify.channels import generate_vapid_keys, main

    private, public = generate_vapid_keys()
    assert Settings(vapid_private_key=private, vapid_public_key=public).push_configured
    assert not Settings().push_configured
    for pair in ((private, generate_vapid_keys()[1]), (private, ""), ("", public), ("not-a-key", public)):
        with pytest.raises(ValueError, match="VAPID"):
            Settings(vapid_private_key=pair[0], vapid_public_key=pair[1])
    assert main(["vapid"]) == 0
    printed = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert set(printed) == {"BANDENG_VAPID_PRIVATE_KEY", "BANDENG_VAPID_PUBLIC_KEY"}
    assert Settings(
        vapid_private_key=printed["BANDENG_VAPID_PRIVATE_KEY"], vapid_public_key=printed["BANDENG_VAPID_PUBLIC_KEY"]
    )
