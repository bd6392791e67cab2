"""The notification outbox: rows written in the transaction that decides to notify, delivered by a job.

`enqueue` is the only way a notification is created. Each (dedupe key, channel, recipient) is one row
under a unique key, so a retried sweep, a second worker or a crash between steps cannot write it twice.
`deliver_due` sends them (never from inside an HTTP request), and the `inbox` rows, delivered as they are
written, are each person's in-app inbox. A resident, who has no account, gets `resident_sms` rows of their
request (`services.notify.residents`); the daily digest folds a cadre's day (`services.notify.digest`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from core.crypto import get_cipher
from core.db import dialect_insert, session_scope
from core.settings import get_settings
from models.enums import NotificationChannel, NotificationStatus
from models.notification import Notification, PushSubscription
from models.user import User
from services.notify import residents
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
    """The outbox rows of one message: one per recipient and channel. An inbox row is delivered as it is written
    (the in-app inbox is the table itself); push and SMS wait for the delivery job and for `not_before`."""
    return [
        {
            "dedupe_key": row_key(dedupe_key, channel, recipient_id),
            "recipient_id": recipient_id,
            "channel": channel,
            "kind": kind,
            "title": title[:200],
            "body": body[:2000],
            "resident_request_id": resident_request_id,
            "status": NotificationStatus.sent if channel == NotificationChannel.inbox else NotificationStatus.pending,
            "attempts": 0,
            "next_attempt_at": max(now, not_before) if not_before and channel in _DISTURBING else now,
            "created_at": now,
            "sent_at": now if channel == NotificationChannel.inbox else None,
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


# Delivery: claim a batch under a lease, then send each message with no transaction open and record it at once in
# a transaction of its own. At least once, and at most one repeat per crash: a worker killed mid-batch leaves only
# the message in flight sent but unrecorded. Rows recorded sent are never sent again; the rest go when the lease
# runs out, the one in flight a second time. The repeat carries the same dedupe key, as the push tag (the browser
# replaces the first) and as the SMS provider's OutId / SessionContext (Alibaba Cloud and Tencent Cloud do not
# deduplicate on it, but echo it in their delivery receipts, where the repeat can be told).

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
    failed: int = 0  # gave up: after the last attempt, or at once on a permanent refusal
    deferred: int = 0  # claimed but left for the next run
    unsubscribed: int = 0  # push subscriptions the push service said are gone


def deliver_due(now: datetime, engine: Engine | None = None, batch: int = 100) -> DeliveryReport:
    """Deliver due rows of every channel but the digest, at least once, retrying failures with backoff
    until `notification_max_attempts` and permanent refusals not at all, then marking them failed (kept)."""
    report = DeliveryReport()
    with session_scope(engine) as session:
        outgoing = claim(session, now, batch, report)
    if not outgoing:
        return report
    sender, started = Sender(get_settings()), time.monotonic()
    for i, message in enumerate(outgoing):
        if time.monotonic() - started >= _SEND_BUDGET_SECONDS:
            with session_scope(engine) as session:
                record(session, [(left, None) for left in outgoing[i:]], now, report)
            break
        outcome = sender.send(message)
        with session_scope(engine) as session:
            record(session, [(message, outcome)], now, report)
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


@dataclass(frozen=True)
class _Reach:
    """Where claimed rows go: the active accounts' numbers (encrypted) and devices, and each request's resident's
    number, read and decrypted now (None: none to send to)."""

    users: dict[int | None, str]
    targets: dict[int | None, list[PushTarget]]
    residents: dict[uuid.UUID, str | None]

    def resident(self, request_id: uuid.UUID | None) -> str | None:
        return self.residents.get(request_id) if request_id is not None else None


def _reach(session: Session, rows: list[Notification]) -> _Reach:
    ids = {row.recipient_id for row in rows if row.recipient_id is not None}
    active = select(User.id, User.mobile_ciphertext).where(col(User.id).in_(ids), col(User.is_active))
    targets: dict[int | None, list[PushTarget]] = {}
    for sub in session.exec(
        select(PushSubscription)
        .where(col(PushSubscription.user_id).in_(ids), col(PushSubscription.is_active))
        .order_by(col(PushSubscription.id))
    ).all():
        assert sub.id is not None
        targets.setdefault(sub.user_id, []).append(PushTarget(sub.id, sub.endpoint, sub.p256dh, sub.auth))
    requests = {row.resident_request_id for row in rows if row.channel == NotificationChannel.resident_sms}
    return _Reach(dict(session.exec(active).all()), targets, residents.mobiles(session, requests))


def _outgoing(session: Session, rows: list[Notification], now: datetime, report: DeliveryReport) -> list[Outgoing]:
    reach = _reach(session, rows)
    outgoing = []
    for row in rows:
        if _nowhere(row, reach, now, report):
            continue
        row.next_attempt_at = now + LEASE
        outgoing.append(_message(row, reach))
    return outgoing


def _nowhere(row: Notification, reach: _Reach, now: datetime, report: DeliveryReport) -> bool:
    """A deactivated account gets nothing in its pocket (the row is done); a resident without a mobile to text,
    or who opted out, gets nothing either (the row fails, and the request's detail says why)."""
    if row.channel == NotificationChannel.resident_sms:
        if reach.resident(row.resident_request_id) is not None:
            return False
        row.status, row.last_error = NotificationStatus.failed, residents.NO_MOBILE
        report.failed += 1
        return True
    if row.recipient_id in reach.users:
        return False
    row.status, row.sent_at, row.last_error = NotificationStatus.sent, now, "account inactive"
    report.sent += 1
    return True


def _message(row: Notification, reach: _Reach) -> Outgoing:
    assert row.id is not None
    channel = NotificationChannel(row.channel)
    if channel == NotificationChannel.resident_sms:
        mobile = reach.resident(row.resident_request_id)
    else:
        mobile = _mobile(reach.users[row.recipient_id]) if channel == NotificationChannel.sms else None
    return Outgoing(
        id=row.id,
        channel=channel,
        dedupe_key=row.dedupe_key,
        title=row.title,
        body=row.body,
        resident_request_id=row.resident_request_id,
        mobile=mobile,
        push_targets=tuple(reach.targets.get(row.recipient_id, ())) if channel == NotificationChannel.push else (),
        kind=row.kind,
    )


def _mobile(ciphertext: str) -> str | None:
    try:
        return get_cipher().decrypt(ciphertext)
    except (ValueError, InvalidTag):  # a changed BANDENG_PHONE_KEY: the row fails and is kept
        return None


def record(
    session: Session, results: list[tuple[Outgoing, Outcome | None]], now: datetime, report: DeliveryReport
) -> None:
    """Sent, with the provider's id; or one more failed attempt, tried again after `backoff` unless it was the
    last or the refusal permanent; `None` (not tried) is due again."""
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
            row.provider_message_id = outcome.provider_id
            report.sent += 1
        else:
            row.attempts += 1
            row.last_error = (outcome.note or "failed")[:500]
            if outcome.permanent or row.attempts >= max_attempts:
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
