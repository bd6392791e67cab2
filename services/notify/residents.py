"""Messages to residents, who have no account: an SMS to the phone a request's reporter gave, kept as one
`resident_sms` outbox row of that request (no recipient account) and delivered by `outbox.deliver_due` like any
other message. The number is never copied into the outbox: it is read from the request and decrypted when the
message is queued (to decide whether to send) and again when it is sent, so the row holds the request's id, the
text and its parameters. Staff inboxes are an account's rows and never hold one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from cryptography.exceptions import InvalidTag
from sqlmodel import Session, col, select

from core.crypto import get_cipher, is_mobile
from models.enums import NotificationChannel, NotificationStatus
from models.resident_request import ResidentRequest

NO_MOBILE = "居民未留手机号或不接收短信"


def mobile(ciphertext: str | None, opted_out: bool) -> str | None:
    """The number an SMS to a request's reporter goes to: the mobile they gave, unless they ticked 居民不接收短信;
    None for no phone, a landline, or a number that no longer decrypts (a changed BANDENG_PHONE_KEY)."""
    if ciphertext is None or opted_out:
        return None
    try:
        phone = get_cipher().decrypt(ciphertext)
    except (ValueError, InvalidTag):
        return None
    return phone if is_mobile(phone) else None


def row(
    *,
    resident_request_id: uuid.UUID,
    kind: str,
    text: str,
    params: Mapping[str, str],
    dedupe_key: str,
    now: datetime,
    not_before: datetime | None,
) -> dict[str, object]:
    """The outbox row of one message to a request's resident: the text as it reads (title), the template's
    parameters (body, JSON), sent by the delivery job after `not_before` (the end of quiet hours)."""
    return {
        "dedupe_key": f"{dedupe_key}:{NotificationChannel.resident_sms}",
        "recipient_id": None,
        "channel": NotificationChannel.resident_sms,
        "kind": kind,
        "title": text[:200],
        "body": json.dumps(dict(params), ensure_ascii=False),
        "resident_request_id": resident_request_id,
        "status": NotificationStatus.pending,
        "attempts": 0,
        "next_attempt_at": max(now, not_before) if not_before else now,
        "created_at": now,
        "sent_at": None,
    }


def mobiles(session: Session, request_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str | None]:
    """At delivery: each request's reporter's number, read from the request and decrypted now (None: nobody to
    text any more)."""
    ids = {request_id for request_id in request_ids if request_id is not None}
    if not ids:
        return {}
    R = ResidentRequest
    found = session.exec(
        select(R.id, R.reporter_phone_ciphertext, R.reporter_sms_opt_out).where(col(R.id).in_(ids))
    ).all()
    return {request_id: mobile(ciphertext, opted_out) for request_id, ciphertext, opted_out in found}
