"""The channels that leave the building: Web Push (VAPID) and SMS through a gateway (`services.notify.sms`).

`Sender.send` takes a plain `Outgoing` read from the outbox and returns an `Outcome`; it never touches the
database, so a slow push service or SMS gateway holds no lock. Push subscriptions are registered here too.
`python -m services.notify.channels vapid` prints a new VAPID key pair for `.env`."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import logging
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import update
from sqlmodel import Session, col, select

from core.crypto import mask_phone
from core.db import dialect_insert
from core.settings import Settings
from core.webpush import b64url_text
from models.enums import NotificationChannel
from models.notification import PushSubscription
from services.notify.sms import SmsError, SmsGateway, compose

log = logging.getLogger("bandeng.channels")

PUSH_TTL_SECONDS = 24 * 3600  # a phone that is off for a day still gets the reminder
PUSH_TIMEOUT_SECONDS = 10
PUSH_BODY_CHARS = 300  # push services refuse payloads over 4 KB; the inbox keeps the full text
GONE = frozenset({404, 410})  # the browser unsubscribed: deactivate, do not retry
MAX_SUBSCRIPTIONS = 10  # per user; the oldest are deactivated beyond it


@dataclass(frozen=True)
class PushTarget:
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class Outgoing:
    """One claimed outbox row and everything its channel needs, read before any network call."""

    id: int
    channel: NotificationChannel
    dedupe_key: str
    title: str
    body: str
    resident_request_id: uuid.UUID | None
    mobile: str | None = None
    push_targets: tuple[PushTarget, ...] = ()
    kind: str = ""  # picks the SMS template

    @property
    def url(self) -> str:
        return f"/#/staff/r/{self.resident_request_id}" if self.resident_request_id else "/#/staff"


@dataclass(frozen=True)
class Outcome:
    """`ok` rows are sent (`note` says why nothing went out, if so); others are retried with `note` as the error,
    or given up at once when `permanent`."""

    ok: bool
    note: str | None = None
    gone: tuple[tuple[int, str], ...] = field(default=())  # (subscription id, why) to deactivate
    permanent: bool = False
    provider_id: str | None = None  # the SMS provider's id of the message


SMS_BACKENDS = {
    "log": "services.notify.sms:LogGateway",
    "aliyun": "services.notify.sms_aliyun:AliyunGateway",
    "tencent": "services.notify.sms_tencent:TencentGateway",
}


def load_gateway(spec: str) -> SmsGateway:
    """`log`, `aliyun`, `tencent`, or `package.module:ClassName` of a class taking no arguments; imported only
    when chosen, so a provider's SDK stays out of every process that does not use it."""
    module, _, name = SMS_BACKENDS.get(spec, spec).partition(":")
    gateway: SmsGateway = getattr(importlib.import_module(module), name)()
    return gateway


class Sender:
    """Delivers one message over its channel, with the settings of one job run."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._vapid: Any = None
        if settings.push_configured:
            from py_vapid import Vapid

            self._vapid = Vapid.from_string(settings.vapid_private_key)
        self._sms: SmsGateway | None = None

    def send(self, message: Outgoing) -> Outcome:
        if message.channel == NotificationChannel.push:
            return self._push(message)
        if message.channel in (NotificationChannel.sms, NotificationChannel.resident_sms):
            return self._text(message)
        return Outcome(ok=False, note=f"channel {message.channel} is not sent by a job")

    def _push(self, message: Outgoing) -> Outcome:
        """Sent when any device accepted it or none is left; retried when every live device failed."""
        if self._vapid is None:
            return Outcome(ok=True, note="push not configured")
        if not message.push_targets:
            return Outcome(ok=True, note="no subscription")
        accepted, failures, gone = 0, list[str](), list[tuple[int, str]]()
        for target in message.push_targets:
            status, error = self._post(target, message)
            if status is not None and status in GONE:
                gone.append((target.subscription_id, f"push service answered {status}"))
            elif error is None:
                accepted += 1
            else:
                failures.append(error)
        if failures and not accepted:
            return Outcome(ok=False, note="; ".join(failures), gone=tuple(gone))
        note = "; ".join(failures) or ("subscription gone" if not accepted else None)
        return Outcome(ok=True, note=note, gone=tuple(gone))

    def _post(self, target: PushTarget, message: Outgoing) -> tuple[int | None, str | None]:
        """(HTTP status if the push service answered with an error, error text) — (None, None) is success."""
        from pywebpush import WebPushException, webpush

        try:
            webpush(
                subscription_info={"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
                data=push_payload(message),
                vapid_private_key=self._vapid,
                vapid_claims={"sub": self._settings.vapid_subject},  # a new dict: webpush adds this endpoint's aud
                headers={"Topic": push_topic(message.dedupe_key), "Urgency": "normal"},
                ttl=PUSH_TTL_SECONDS,
                timeout=PUSH_TIMEOUT_SECONDS,
            )
        except WebPushException as exc:
            status = exc.status_code
            return status, f"push service answered {status}" if status else f"push failed: {exc.message}"[:200]
        except Exception as exc:  # network errors and the like: retried, never lost
            log.warning("push to subscription %d failed: %r", target.subscription_id, exc)
            return None, f"push failed: {type(exc).__name__}"
        return None, None

    def _text(self, message: Outgoing) -> Outcome:
        """Sent with the provider's id; a refusal the provider calls permanent is given up at once, any other
        failure (network, 5xx, throttling, a gateway that cannot load) retried with backoff, never lost."""
        if not message.mobile:
            return Outcome(ok=False, note="no readable mobile number")
        sms = compose(message.kind, message.title, message.body, message.mobile, message.dedupe_key, self._settings)
        try:
            if self._sms is None:
                self._sms = load_gateway(self._settings.sms_backend)
            provider_id = self._sms.send(sms)
        except Exception as exc:
            error = f"sms failed: {type(exc).__name__}: {exc}".replace(message.mobile, mask_phone(message.mobile))
            log.warning("notification %d: %s", message.id, error)
            return Outcome(ok=False, note=error[:500], permanent=isinstance(exc, SmsError) and exc.permanent)
        return Outcome(ok=True, provider_id=str(provider_id)[:64] if provider_id else None)


def push_payload(message: Outgoing) -> str:
    """What the service worker shows; the tag makes a re-sent message replace, not repeat, the first."""
    body = message.body if len(message.body) <= PUSH_BODY_CHARS else message.body[: PUSH_BODY_CHARS - 1] + "…"
    data = {"title": message.title, "body": body, "url": message.url, "tag": message.dedupe_key}
    return json.dumps(data, ensure_ascii=False)


def push_topic(dedupe_key: str) -> str:
    """RFC 8030 Topic (at most 32 base64url characters): a re-sent message replaces one still queued."""
    return base64.urlsafe_b64encode(hashlib.sha256(dedupe_key.encode()).digest()).decode()[:32]


# Subscriptions.


def subscribe(session: Session, user_id: int, endpoint: str, p256dh: str, auth: str, now: datetime) -> None:
    """Register or refresh a browser's endpoint for `user_id`; an endpoint another account registered
    moves to this one, since a browser belongs to whoever signs in on it."""
    values = {"user_id": user_id, "p256dh": p256dh, "auth": auth, "is_active": True, "last_error": None}
    statement = dialect_insert(session, PushSubscription).values(endpoint=endpoint, created_at=now, **values)
    session.execute(statement.on_conflict_do_update(index_elements=["endpoint"], set_=values))
    newest = select(PushSubscription.id).where(PushSubscription.user_id == user_id, col(PushSubscription.is_active))
    keep = session.exec(newest.order_by(col(PushSubscription.id).desc()).limit(MAX_SUBSCRIPTIONS)).all()
    session.execute(
        update(PushSubscription)
        .where(col(PushSubscription.user_id) == user_id, col(PushSubscription.is_active))
        .where(col(PushSubscription.id).not_in(keep))
        .values(is_active=False, last_error="replaced by a newer subscription")
    )


def unsubscribe(session: Session, user_id: int, endpoint: str) -> None:
    """Deactivate the user's own endpoint; anyone else's, or an unknown one, is left alone."""
    session.execute(
        update(PushSubscription)
        .where(col(PushSubscription.user_id) == user_id, col(PushSubscription.endpoint) == endpoint)
        .values(is_active=False, last_error="unsubscribed")
    )


def generate_vapid_keys() -> tuple[str, str]:
    """(private, public) as base64url: the raw 32-byte scalar and the 65-byte uncompressed point."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url_text(private), b64url_text(public)


def main(argv: list[str]) -> int:
    if argv != ["vapid"]:
        print("usage: python -m services.notify.channels vapid", file=sys.stderr)
        return 2
    private, public = generate_vapid_keys()
    print(f"BANDENG_VAPID_PRIVATE_KEY={private}\nBANDENG_VAPID_PUBLIC_KEY={public}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
