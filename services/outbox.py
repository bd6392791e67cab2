"""The notification outbox: rows written in the transaction that decides to notify, delivered by a job.

`enqueue` is the only way a notification is created. Each (dedupe key, channel, recipient) is one row
under a unique key, so a retried sweep, a second worker or a crash between steps cannot write it twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from core.db import dialect_insert
from models.enums import NotificationChannel
from models.notification import Notification

# Channels that reach a person's pocket wait for the end of quiet hours; the inbox does not disturb.
_DISTURBING = frozenset({NotificationChannel.push, NotificationChannel.sms})


def row_key(dedupe_key: str, channel: NotificationChannel, recipient_id: int) -> str:
    return f"{dedupe_key}:{channel}:{recipient_id}"


def enqueue(
    session: Session,
    *,
    recipient_ids: Iterable[int],
    channels: Iterable[NotificationChannel],
    kind: str,
    title: str,
    body: str,
    dedupe_key: str,
    now: datetime,
    not_before: datetime | None = None,
    resident_request_id: uuid.UUID | None = None,
) -> int:
    """One row per recipient and channel; rows already written under the same key are left alone.
    Returns how many rows were new."""
    rows = [
        {
            "dedupe_key": row_key(dedupe_key, channel, recipient_id),
            "recipient_id": recipient_id,
            "channel": channel,
            "kind": kind,
            "title": title[:200],
            "body": body[:2000],
            "resident_request_id": resident_request_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": max(now, not_before) if not_before and channel in _DISTURBING else now,
            "created_at": now,
        }
        for recipient_id in sorted(set(recipient_ids))
        for channel in channels
    ]
    if not rows:
        return 0
    statement = dialect_insert(session, Notification).values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0) or 0)
