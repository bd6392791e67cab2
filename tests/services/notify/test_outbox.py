"""The outbox's delivery job, its retries and the daily digest, on committed rows seen by the job's own
sessions (the job opens its transactions itself); every row a test commits is removed afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.audit import AuditLog
from models.enums import NotificationChannel, NotificationStatus, Role
from models.notification import Notification, PushSubscription
from models.org import OrgUnit
from models.user import RefreshToken, User
from services.notify import outbox
from services.notify.digest import digest_text, send_digests
from services.notify.outbox import LEASE, backoff, deliver_due
from services.notify.sms import Sms
from tests.factories import make_town, make_user, run_at_once

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
GATEWAY = "tests.services.notify.test_outbox:FlakyGateway"


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [
        (0, timedelta(seconds=30)),
        (1, timedelta(seconds=30)),
        (2, timedelta(minutes=1)),
        (3, timedelta(minutes=2)),
        (4, timedelta(minutes=4)),
        (5, timedelta(minutes=8)),
        (6, timedelta(minutes=16)),
        (7, timedelta(minutes=32)),
        (8, timedelta(hours=1)),  # 64 min, capped
        (1000, timedelta(hours=1)),
    ],
)
def test_backoff_doubles_from_30_seconds_up_to_an_hour(attempts: int, wait: timedelta) -> None:
    assert backoff(attempts) == wait


def test_digest_text_lists_ten_and_counts_the_rest() -> None:
    titles = [f"【红牌超期】诉求 A{i:04d}" for i in range(12)]
    title, body = digest_text(titles)
    assert title == "今日待督办诉求 12 件"
    lines = body.split("\n")
    assert lines[0] == "1. 【红牌超期】诉求 A0000" and lines[9] == "10. 【红牌超期】诉求 A0009"
    assert lines[10:] == ["等 12 件"]
    assert digest_text(titles[:2]) == ("今日待督办诉求 2 件", "1. 【红牌超期】诉求 A0000\n2. 【红牌超期】诉求 A0001")


# Committed people, shared with the API and Web Push tests.


@dataclass
class People:
    member: User
    other: User
    cadre: User

    @property
    def ids(self) -> list[int]:
        return [user.id for user in (self.member, self.other, self.cadre) if user.id is not None]


@contextmanager
def committed_people(engine: Engine, prefix: str) -> Iterator[People]:
    """Users committed for real under units whose codes start with `prefix`; removed with their rows after."""
    with Session(engine, expire_on_commit=False) as session:
        town = make_town(session, prefix=prefix)
        people = People(
            member=make_user(session, Role.grid_member, town.grid_a1, name="网格员甲"),
            other=make_user(session, Role.grid_member, town.grid_a2, name="网格员乙"),
            cadre=make_user(session, Role.town_cadre, town.town, name="镇干部"),
        )
        session.commit()
    try:
        yield people
    finally:
        with Session(engine) as session:
            units = session.exec(select(OrgUnit.id).where(col(OrgUnit.code).startswith(prefix))).all()
            users = session.exec(select(User.id).where(col(User.org_unit_id).in_(units))).all()
            for model, column in (
                (Notification, Notification.recipient_id),
                (PushSubscription, PushSubscription.user_id),
                (AuditLog, AuditLog.actor_id),
                (RefreshToken, RefreshToken.user_id),
            ):
                session.execute(delete(model).where(col(column).in_(users)))
            session.execute(delete(User).where(col(User.id).in_(users)))
            for unit_id in sorted((u for u in units if u is not None), reverse=True):
                session.execute(delete(OrgUnit).where(col(OrgUnit.id) == unit_id))
            session.commit()


@contextmanager
def settings_env(**values: str) -> Iterator[None]:
    """BANDENG_* settings for the duration of the block, then the environment as it was."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(f"BANDENG_{name.upper()}", value)
        get_settings.cache_clear()
        try:
            yield
        finally:
            get_settings.cache_clear()
    get_settings.cache_clear()


def enqueue(
    engine: Engine,
    user: User,
    channel: NotificationChannel,
    key: str,
    *,
    now: datetime = NOW,
    not_before: datetime | None = None,
) -> None:
    assert user.id is not None
    with Session(engine) as session:
        outbox.enqueue(
            session,
            recipient_ids=[user.id],
            channels=[channel],
            kind="sla_breached",
            title=f"【红牌超期】诉求 {key}",
            body="诉求已超期，请尽快办理。",
            dedupe_key=key,
            now=now,
            not_before=not_before,
        )
        session.commit()


def rows(engine: Engine, user: User, channel: NotificationChannel | None = None) -> list[Notification]:
    with Session(engine) as session:
        query = select(Notification).where(Notification.recipient_id == user.id)
        if channel is not None:
            query = query.where(Notification.channel == channel)
        return list(session.exec(query.order_by(col(Notification.id))).all())


class FlakyGateway:
    """An SMS gateway that is down for the next `failures_left` messages."""

    failures_left: ClassVar[int] = 0
    sent: ClassVar[list[tuple[str, str, str]]] = []

    def send(self, sms: Sms) -> str:
        if FlakyGateway.failures_left > 0:
            FlakyGateway.failures_left -= 1
            raise ConnectionError(f"gateway unreachable while texting {sms.mobile}")
        FlakyGateway.sent.append((sms.mobile, sms.text, sms.idempotency_key))
        return f"flaky-{len(FlakyGateway.sent)}"


@pytest.fixture
def people(engine: Engine) -> Iterator[People]:
    with committed_people(engine, "990311") as committed:
        yield committed


@pytest.fixture
def gateway() -> Iterator[type[FlakyGateway]]:
    FlakyGateway.failures_left, FlakyGateway.sent = 0, []
    with settings_env(sms_backend=GATEWAY):
        yield FlakyGateway


def test_inbox_rows_are_delivered_as_they_are_written(engine: Engine, people: People) -> None:
    enqueue(engine, people.member, NotificationChannel.inbox, "t:inbox")
    [row] = rows(engine, people.member)
    assert row.status == NotificationStatus.sent and row.sent_at == NOW and row.read_at is None
    assert deliver_due(NOW, engine=engine).inbox == 0  # nothing left for the job


def test_a_failing_sms_gateway_is_retried_with_backoff_until_it_succeeds(
    engine: Engine, people: People, gateway: type[FlakyGateway]
) -> None:
    gateway.failures_left = 2
    enqueue(engine, people.member, NotificationChannel.sms, "t:sms")
    assert deliver_due(NOW, engine=engine).retried == 1
    [row] = rows(engine, people.member)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 1, NOW + timedelta(seconds=30))
    assert row.last_error and "ConnectionError" in row.last_error
    assert "139" in row.last_error and "****" in row.last_error  # the number is masked in the error kept

    assert deliver_due(NOW + timedelta(seconds=29), engine=engine).retried == 0  # not due yet
    second = NOW + timedelta(seconds=30)
    assert deliver_due(second, engine=engine).retried == 1
    [row] = rows(engine, people.member)
    assert (row.attempts, row.next_attempt_at) == (2, second + timedelta(minutes=1))

    third = second + timedelta(minutes=1)
    assert deliver_due(third, engine=engine).sent == 1
    [row] = rows(engine, people.member)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 2, third, None)
    assert row.provider_message_id == "flaky-1"
    [(mobile, text, key)] = gateway.sent
    assert len(mobile) == 11 and key == row.dedupe_key == f"t:sms:sms:{people.member.id}"
    assert text == "【红牌超期】诉求 t:sms：诉求已超期，请尽快办理。"


def test_after_the_last_attempt_a_row_is_failed_and_kept(engine: Engine, people: People) -> None:
    FlakyGateway.failures_left, FlakyGateway.sent = 100, []
    with settings_env(sms_backend=GATEWAY, notification_max_attempts="3"):
        enqueue(engine, people.member, NotificationChannel.sms, "t:fail")
        at = NOW
        for _ in range(3):
            deliver_due(at, engine=engine)
            [row] = rows(engine, people.member)
            at = row.next_attempt_at
        assert (row.status, row.attempts) == ("failed", 3)
        report = deliver_due(at + timedelta(days=1), engine=engine)
        assert (report.sent, report.retried, report.failed) == (0, 0, 0)
    assert rows(engine, people.member)[0].status == NotificationStatus.failed
    assert FlakyGateway.sent == []


def test_a_crash_between_send_and_record_sends_again_when_the_lease_runs_out(
    engine: Engine, people: People, gateway: type[FlakyGateway]
) -> None:
    enqueue(engine, people.member, NotificationChannel.sms, "t:crash")
    with Session(engine) as session:  # claimed and sent, then the worker died before recording
        [claimed] = outbox.claim(session, NOW, 10, outbox.DeliveryReport())
        session.commit()
    assert claimed.mobile is not None and len(claimed.mobile) == 11
    assert deliver_due(NOW + LEASE - timedelta(seconds=1), engine=engine).sent == 0
    assert deliver_due(NOW + LEASE, engine=engine).sent == 1
    assert rows(engine, people.member)[0].status == NotificationStatus.sent


def test_two_workers_at_once_send_each_message_once(
    engine: Engine, people: People, gateway: type[FlakyGateway]
) -> None:
    for i in range(6):
        enqueue(engine, people.member, NotificationChannel.sms, f"t:pair:{i}")

    def deliver() -> None:
        deliver_due(NOW, engine=engine, batch=4)

    errors = run_at_once(2, deliver)
    assert errors == []
    assert sorted(key for _, _, key in gateway.sent) == sorted(row.dedupe_key for row in rows(engine, people.member))
    assert all(row.status == NotificationStatus.sent for row in rows(engine, people.member))


def test_quiet_hours_hold_pocket_channels_but_not_the_inbox(engine: Engine, people: People) -> None:
    morning = NOW + timedelta(hours=8)
    for channel in (NotificationChannel.inbox, NotificationChannel.push):
        enqueue(engine, people.member, channel, "t:night", not_before=morning)
    [inbox] = rows(engine, people.member, NotificationChannel.inbox)
    assert (inbox.status, inbox.sent_at) == ("sent", NOW)
    assert deliver_due(NOW, engine=engine).sent == 0
    assert deliver_due(morning, engine=engine).sent == 1
    [push] = rows(engine, people.member, NotificationChannel.push)
    assert (push.status, push.last_error) == ("sent", "push not configured")  # no VAPID keys in tests


def test_a_deactivated_account_gets_nothing_in_its_pocket(
    engine: Engine, people: People, gateway: type[FlakyGateway]
) -> None:
    with Session(engine) as session:
        user = session.get(User, people.other.id)
        assert user is not None
        user.is_active = False
        session.commit()
    enqueue(engine, people.other, NotificationChannel.sms, "t:inactive")
    assert deliver_due(NOW, engine=engine).sent == 1
    [row] = rows(engine, people.other)
    assert (row.status, row.last_error) == ("sent", "account inactive") and gateway.sent == []


def test_the_digest_folds_a_cadres_day_into_one_push_and_one_sms(engine: Engine, people: People) -> None:
    enqueue(engine, people.cadre, NotificationChannel.digest, "t:d1")
    enqueue(engine, people.cadre, NotificationChannel.digest, "t:d2", now=NOW + timedelta(minutes=1))
    assert deliver_due(NOW + timedelta(hours=1), engine=engine).sent == 0  # the job leaves digest rows alone

    assert send_digests(NOW, engine=engine) == 1
    digested = rows(engine, people.cadre, NotificationChannel.digest)
    assert [(r.status, r.sent_at) for r in digested] == [("digested", NOW)] * 2
    written = [r for r in rows(engine, people.cadre) if r.kind == "digest"]
    assert sorted(r.channel for r in written) == ["push", "sms"]
    cadre = people.cadre.id
    assert {r.dedupe_key for r in written} == {
        f"digest:{cadre}:2026-11-25:push:{cadre}",
        f"digest:{cadre}:2026-11-25:sms:{cadre}",
    }
    assert {r.title for r in written} == {"今日待督办诉求 2 件"}
    assert written[0].body == "1. 【红牌超期】诉求 t:d2\n2. 【红牌超期】诉求 t:d1"  # newest first

    count = len(rows(engine, people.cadre))
    assert send_digests(NOW + timedelta(hours=2), engine=engine) == 0  # again the same day: nothing new
    assert len(rows(engine, people.cadre)) == count

    enqueue(engine, people.cadre, NotificationChannel.digest, "t:d3", now=NOW + timedelta(hours=3))
    assert send_digests(NOW + timedelta(hours=4), engine=engine) == 0  # today's is out: it waits for tomorrow
    assert rows(engine, people.cadre, NotificationChannel.digest)[-1].status == NotificationStatus.pending
    assert send_digests(NOW + timedelta(days=1), engine=engine) == 1
    assert rows(engine, people.cadre, NotificationChannel.digest)[-1].status == NotificationStatus.digested


def test_a_message_not_tried_in_time_is_released_for_the_next_run(engine: Engine, people: People) -> None:
    enqueue(engine, people.member, NotificationChannel.sms, "t:later")
    report = outbox.DeliveryReport()
    with Session(engine) as session:
        [message] = outbox.claim(session, NOW, 10, report)
        session.commit()
    with Session(engine) as session:
        outbox.record(session, [(message, None)], NOW, report)
        session.commit()
    [row] = rows(engine, people.member)
    assert (row.status, row.attempts, row.next_attempt_at, report.deferred) == ("pending", 0, NOW, 1)


def test_an_sms_gateway_that_cannot_be_loaded_fails_the_attempt_and_keeps_the_row(
    engine: Engine, people: People
) -> None:
    with settings_env(sms_backend="tests.services.no_such_module:Gateway"):
        enqueue(engine, people.member, NotificationChannel.sms, "t:misconfigured")
        assert deliver_due(NOW, engine=engine).retried == 1
    [row] = rows(engine, people.member)
    assert row.status == NotificationStatus.pending and row.last_error is not None
    assert row.last_error.startswith("sms failed: ModuleNotFoundError")
