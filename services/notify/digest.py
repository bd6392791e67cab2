"""The daily digest: town cadres get one message a day instead of one per request. The SLA sweep writes their
notices as `digest` rows; `send_digests` folds each cadre's pending ones into one push and one SMS, written to
the outbox like any other message and delivered by `outbox.deliver_due`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.db import session_scope
from core.settings import get_settings
from models.enums import NotificationChannel, NotificationStatus
from models.notification import Notification
from services.notify import outbox

DIGEST_LINES = 10
_DIGEST_CHANNELS = (NotificationChannel.push, NotificationChannel.sms)


def digest_text(titles: list[str]) -> tuple[str, str]:
    """Title and body of a digest of `titles`, one line each, newest first, the first DIGEST_LINES shown."""
    lines = [f"{i}. {title}" for i, title in enumerate(titles[:DIGEST_LINES], start=1)]
    if len(titles) > DIGEST_LINES:
        lines.append(f"等 {len(titles)} 件")
    return f"今日待督办诉求 {len(titles)} 件", "\n".join(lines)


def send_digests(now: datetime, engine: Engine | None = None) -> int:
    """One push and one SMS a day per recipient, folding their pending digest rows (one transaction each);
    rows that arrive after today's digest wait for tomorrow's. Returns how many digests were written."""
    with session_scope(engine) as session:
        recipients = session.exec(
            select(Notification.recipient_id)
            .where(col(Notification.channel) == NotificationChannel.digest)
            .where(col(Notification.status) == NotificationStatus.pending)
            .distinct()
        ).all()
    written = 0
    for recipient_id in sorted(r for r in recipients if r is not None):
        with session_scope(engine) as session:
            written += _digest(session, recipient_id, now)
    return written


def _digest(session: Session, recipient_id: int, now: datetime) -> int:
    rows = session.exec(
        select(Notification)
        .where(col(Notification.recipient_id) == recipient_id)
        .where(col(Notification.channel) == NotificationChannel.digest)
        .where(col(Notification.status) == NotificationStatus.pending)
        .order_by(col(Notification.id).desc())
        .with_for_update(skip_locked=True)
    ).all()
    latest: dict[object, Notification] = {}  # per request, its newest (highest-stage) notice
    for row in rows:
        latest.setdefault(row.resident_request_id or row.id, row)
    if not latest:
        return 0
    key = f"digest:{recipient_id}:{now.astimezone(get_settings().tz).date().isoformat()}"
    first_key = outbox.row_key(key, _DIGEST_CHANNELS[0], recipient_id)
    if session.exec(select(Notification.id).where(col(Notification.dedupe_key) == first_key)).first() is not None:
        return 0  # today's digest is out already: these rows wait for tomorrow's
    title, body = digest_text([row.title for row in latest.values()])
    outbox.enqueue(
        session,
        recipient_ids=[recipient_id],
        channels=_DIGEST_CHANNELS,
        kind="digest",
        title=title,
        body=body,
        dedupe_key=key,
        now=now,
    )
    for row in rows:
        row.status, row.sent_at = NotificationStatus.digested, now
    return 1
