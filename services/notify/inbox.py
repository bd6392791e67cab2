"""The in-app inbox: each person's own delivered `inbox` rows of the outbox, newest first. Every read goes through
`_inbox`, which asks for the reader's account and the inbox channel: a resident's messages (`resident_sms`, no
account) and the other channels' rows are never anyone's inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from models.enums import NotificationChannel, NotificationStatus
from models.notification import Notification
from services import keyset
from services.errors import NotFound

NOTIFICATION_NOT_FOUND = "通知不存在"


def _inbox(recipient_id: int) -> SelectOfScalar[Notification]:
    return (
        select(Notification)
        .where(col(Notification.recipient_id) == recipient_id)
        .where(col(Notification.channel) == NotificationChannel.inbox)
        .where(col(Notification.status) == NotificationStatus.sent)
    )


def inbox_page(
    session: Session, recipient_id: int, *, limit: int, cursor: str | None, unread_only: bool
) -> tuple[list[Notification], str | None]:
    """Newest first by when each was written (then id): the items and the next cursor, if there are more."""
    written, row_id = col(Notification.created_at), col(Notification.id)
    query = _inbox(recipient_id)
    if cursor is not None:
        query = query.where(keyset.older_than(written, row_id, cursor, keyset.int_id))
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    rows = list(session.exec(query.order_by(written.desc(), row_id.desc()).limit(limit + 1)).all())
    last = rows[limit - 1] if len(rows) > limit else None
    return rows[:limit], keyset.encode(last.created_at, last.id or 0) if last else None


def unread_count(session: Session, recipient_id: int) -> int:
    query = _inbox(recipient_id).where(col(Notification.read_at).is_(None))
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def mark_read(session: Session, recipient_id: int, notification_id: int, now: datetime) -> Notification:
    """Idempotent: a read item keeps its first read time; someone else's item is not found."""
    row = session.exec(_inbox(recipient_id).where(col(Notification.id) == notification_id)).first()
    if row is None:
        raise NotFound(NOTIFICATION_NOT_FOUND, code="notification_not_found")
    if row.read_at is None:
        row.read_at = now
        session.flush()
    return row


def mark_all_read(session: Session, recipient_id: int, now: datetime) -> int:
    """Returns how many items were unread."""
    result = session.execute(
        update(Notification)
        .where(col(Notification.recipient_id) == recipient_id)
        .where(col(Notification.channel) == NotificationChannel.inbox)
        .where(col(Notification.status) == NotificationStatus.sent)
        .where(col(Notification.read_at).is_(None))
        .values(read_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
