"""The notification outbox: rows written in the transaction that decides to notify, delivered by a job.

`enqueue` is the only way a notification is created. Each (dedupe key, channel, recipient) is one row
under a unique key, so a retried sweep, a second worker or a crash between steps cannot write it twice.
`deliver_due` sends them (never from inside an HTTP request), `send_digests` folds a cadre's day into one
message, and the delivered `inbox` rows are each person's in-app inbox."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from core.crypto import get_cipher
from core.db import dialect_insert, session_scope
from core.settings import get_settings
from models.enums import NotificationChannel, NotificationStatus
from models.notification import Notification, PushSubscription
from models.user import User
from services.errors import NotFound
from services.notify.channels import MAX_SUBSCRIPTIONS, PUSH_TIMEOUT_SECONDS, Outcome, Outgoing, PushTarget, Sender

# Channels that reach a person's pocket wait for the end of quiet hours; the inbox does not disturb.
_DISTURBING = frozenset({NotificationChannel.push, NotificationChannel.sms})


def row_key(dedupe_key: str, channel: NotificationChannel, recipient_id: int) -> str:
    return f"{dedupe_key}:{channel}:{recipient_id}"


def rows_for(
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
) -> list[dict[str, object]]:
    """The outbox rows of one message: one per recipient and channel."""
    return [
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


def insert_rows(session: Session, rows: list[dict[str, object]]) -> int:
    """Write outbox rows in one executemany (compiled once, whatever the count); rows whose key is
    already there are left alone. Returns how many rows were new."""
    if not rows:
        return 0
    statement = (
        dialect_insert(session, Notification)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .execution_options(preserve_rowcount=True)  # kept for UPDATE and DELETE only, unless asked
    )
    # Nothing read back: the row count of an executemany is the sum over its rows (psycopg 3 and sqlite3), a
    # key already there counting 0. (RETURNING turns it into one long INSERT that psycopg parses in Python.)
    return int(session.connection().execute(statement, rows).rowcount)


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
    """Write one message for each recipient and channel now; returns how many rows were new."""
    rows = rows_for(
        recipient_ids=recipient_ids,
        channels=channels,
        kind=kind,
        title=title,
        body=body,
        dedupe_key=dedupe_key,
        now=now,
        not_before=not_before,
        resident_request_id=resident_request_id,
    )
    return insert_rows(session, rows)


# Delivery: claim under a lease, send with no transaction open, record. At least once: a crash between
# sending and recording lets the lease run out, and the row is sent again (the push tag and the SMS
# idempotency key are the dedupe key, so a receiver can fold the repeat).

LEASE = timedelta(minutes=5)
# Start no message that could outlive its lease (a push goes to up to MAX_SUBSCRIPTIONS devices, each
# with a timeout); the rest are released for the next run.
_SEND_BUDGET_SECONDS = LEASE.total_seconds() - MAX_SUBSCRIPTIONS * PUSH_TIMEOUT_SECONDS
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 30 s, 1 min, 2 min, … doubling, at most an hour."""
    doublings: int = min(max(attempts, 1) - 1, 16)
    return min(BACKOFF_FIRST * (1 << doublings), BACKOFF_CAP)


@dataclass
class DeliveryReport:
    inbox: int = 0  # delivered to the in-app inbox
    sent: int = 0  # pushed or texted (or nothing to do: no subscription, push not configured)
    retried: int = 0
    failed: int = 0  # gave up after the last attempt
    deferred: int = 0  # claimed but left for the next run
    unsubscribed: int = 0  # push subscriptions the push service said are gone


def deliver_due(now: datetime, engine: Engine | None = None, batch: int = 100) -> DeliveryReport:
    """Deliver due rows of every channel but the digest, at least once, retrying failures with backoff
    until `notification_max_attempts`, then marking them failed (kept, never deleted)."""
    report = DeliveryReport()
    with session_scope(engine) as session:
        outgoing = claim(session, now, batch, report)
    if not outgoing:
        return report
    sender, started = Sender(get_settings()), time.monotonic()
    results = [
        (message, sender.send(message) if time.monotonic() - started < _SEND_BUDGET_SECONDS else None)
        for message in outgoing
    ]
    with session_scope(engine) as session:
        record(session, results, now, report)
    return report


def claim(session: Session, now: datetime, batch: int, report: DeliveryReport) -> list[Outgoing]:
    """Lock due rows no other worker holds: inbox rows are delivered on the spot, the others leased and
    read into plain values, so that sending needs no database."""
    rows = session.exec(
        select(Notification)
        .where(col(Notification.status) == NotificationStatus.pending, col(Notification.next_attempt_at) <= now)
        .where(col(Notification.channel) != NotificationChannel.digest)
        .order_by(col(Notification.next_attempt_at), col(Notification.id))
        .limit(batch)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        if row.channel == NotificationChannel.inbox:
            row.status, row.sent_at = NotificationStatus.sent, now
            report.inbox += 1
    return _outgoing(session, [row for row in rows if row.channel != NotificationChannel.inbox], now, report)


def _outgoing(session: Session, rows: list[Notification], now: datetime, report: DeliveryReport) -> list[Outgoing]:
    ids = {row.recipient_id for row in rows}
    active = select(User.id, User.mobile_ciphertext).where(col(User.id).in_(ids), col(User.is_active))
    users: dict[int | None, str] = dict(session.exec(active).all())
    targets: dict[int, list[PushTarget]] = {}
    for sub in session.exec(
        select(PushSubscription)
        .where(col(PushSubscription.user_id).in_(ids), col(PushSubscription.is_active))
        .order_by(col(PushSubscription.id))
    ).all():
        assert sub.id is not None
        targets.setdefault(sub.user_id, []).append(PushTarget(sub.id, sub.endpoint, sub.p256dh, sub.auth))
    outgoing = []
    for row in rows:
        assert row.id is not None
        if row.recipient_id not in users:  # a deactivated account gets nothing in its pocket
            row.status, row.sent_at, row.last_error = NotificationStatus.sent, now, "account inactive"
            report.sent += 1
            continue
        row.next_attempt_at = now + LEASE
        sms = row.channel == NotificationChannel.sms
        message = Outgoing(
            id=row.id,
            channel=NotificationChannel(row.channel),
            dedupe_key=row.dedupe_key,
            title=row.title,
            body=row.body,
            resident_request_id=row.resident_request_id,
            mobile=_mobile(users[row.recipient_id]) if sms else None,
            push_targets=tuple(targets.get(row.recipient_id, ())) if row.channel == NotificationChannel.push else (),
        )
        outgoing.append(message)
    return outgoing


def _mobile(ciphertext: str) -> str | None:
    try:
        return get_cipher().decrypt(ciphertext)
    except (ValueError, InvalidTag):  # a changed BANDENG_PHONE_KEY: the row fails and is kept
        return None


def record(
    session: Session, results: list[tuple[Outgoing, Outcome | None]], now: datetime, report: DeliveryReport
) -> None:
    """Sent, or one more failed attempt with the next try after `backoff`; `None` (not tried) is due again."""
    ids = [message.id for message, _ in results]
    claimed = select(Notification).where(col(Notification.id).in_(ids)).with_for_update()
    rows = {row.id: row for row in session.exec(claimed).all()}
    max_attempts = get_settings().notification_max_attempts
    for message, outcome in results:
        row = rows.get(message.id)
        if outcome is not None:
            _unsubscribe_gone(session, outcome, report)
        if row is None or row.status != NotificationStatus.pending:
            continue  # recorded by a worker that claimed it after our lease ran out
        if outcome is None:
            row.next_attempt_at = now
            report.deferred += 1
        elif outcome.ok:
            row.status, row.sent_at, row.last_error = NotificationStatus.sent, now, outcome.note
            report.sent += 1
        else:
            row.attempts += 1
            row.last_error = (outcome.note or "failed")[:500]
            if row.attempts >= max_attempts:
                row.status = NotificationStatus.failed
                report.failed += 1
            else:
                row.next_attempt_at = now + backoff(row.attempts)
                report.retried += 1


def _unsubscribe_gone(session: Session, outcome: Outcome, report: DeliveryReport) -> None:
    for subscription_id, why in outcome.gone:
        session.execute(
            update(PushSubscription)
            .where(col(PushSubscription.id) == subscription_id)
            .values(is_active=False, last_error=why[:500])
        )
        report.unsubscribed += 1


# The daily digest: town cadres get one message a day instead of one per request.

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
    for recipient_id in sorted(recipients):
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
    first_key = row_key(key, _DIGEST_CHANNELS[0], recipient_id)
    if session.exec(select(Notification.id).where(col(Notification.dedupe_key) == first_key)).first() is not None:
        return 0  # today's digest is out already: these rows wait for tomorrow's
    title, body = digest_text([row.title for row in latest.values()])
    enqueue(
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


# The in-app inbox: delivered `inbox` rows, each person's own.

NOTIFICATION_NOT_FOUND = "通知不存在"


def _inbox(recipient_id: int) -> SelectOfScalar[Notification]:
    return (
        select(Notification)
        .where(col(Notification.recipient_id) == recipient_id)
        .where(col(Notification.channel) == NotificationChannel.inbox)
        .where(col(Notification.status) == NotificationStatus.sent)
    )


def inbox_page(
    session: Session, recipient_id: int, *, limit: int, before: int | None, unread_only: bool
) -> tuple[list[Notification], int | None]:
    """Newest first, keyset by id: the items and the id to pass as the next cursor, if there are more."""
    query = _inbox(recipient_id)
    if before is not None:
        query = query.where(col(Notification.id) < before)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    rows = list(session.exec(query.order_by(col(Notification.id).desc()).limit(limit + 1)).all())
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None


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
