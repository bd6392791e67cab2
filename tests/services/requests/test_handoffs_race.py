"""Hand-offs on committed rows: two workers racing on one action write one event and one set of messages, and
delivering twice sends each message once. Every row a test commits is removed afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.audit import AuditLog
from models.enums import Action, Channel, NotificationChannel, Role
from models.notification import Notification
from models.org import OrgUnit
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.resident_request_schemas import ActionCommand, ResidentRequestCreate
from models.sla import SlaTimer
from models.user import User
from services.errors import InvalidTransition
from services.notify.outbox import deliver_due
from services.notify.sms import Sms
from services.requests import request_actions
from services.requests.resident_requests import Registration, register
from tests.factories import Town, actor_of, category_id, make_town, make_user, run_at_once

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
PREFIX = "990889"


class Texts:
    """An SMS gateway that keeps what it was asked to send."""

    sent: ClassVar[list[str]] = []

    def send(self, sms: Sms) -> str:
        Texts.sent.append(sms.idempotency_key)
        return f"texts-{len(Texts.sent)}"


@dataclass
class Committed:
    town: Town
    staff: User
    member: User
    leader: User
    request_id: uuid.UUID


def _remove(engine: Engine, request_ids: list[uuid.UUID]) -> None:
    with Session(engine) as session:
        units = session.exec(select(OrgUnit.id).where(col(OrgUnit.code).startswith(PREFIX))).all()
        users = session.exec(select(User.id).where(col(User.org_unit_id).in_(units))).all()
        for model, column in (
            (Notification, Notification.resident_request_id),
            (SlaTimer, SlaTimer.resident_request_id),
            (ResidentRequestEvent, ResidentRequestEvent.resident_request_id),
        ):
            session.execute(delete(model).where(col(column).in_(request_ids)))
        session.execute(delete(Notification).where(col(Notification.recipient_id).in_(users)))
        session.execute(delete(AuditLog).where(col(AuditLog.actor_id).in_(users)))
        session.execute(delete(ResidentRequest).where(col(ResidentRequest.id).in_(request_ids)))
        session.execute(delete(User).where(col(User.id).in_(users)))
        for unit_id in sorted((u for u in units if u is not None), reverse=True):
            session.execute(delete(OrgUnit).where(col(OrgUnit.id) == unit_id))
        session.commit()


@pytest.fixture
def committed(engine: Engine) -> Iterator[Committed]:
    """A resident's own report on grid A1, accepted by the village, committed for real."""
    with Session(engine, expire_on_commit=False) as session:
        town = make_town(session, prefix=PREFIX)
        staff = make_user(session, Role.village_staff, town.village_a)
        member = make_user(session, Role.grid_member, town.grid_a1)
        leader = make_user(session, Role.grid_leader, town.grid_a1)
        data = ResidentRequestCreate(
            channel=Channel.self_report,
            category_id=category_id(session),
            description="村口路灯不亮",
            unit_id=town.grid_a1.id or 0,
            reporter_phone="13812341234",
        )
        rr = register(session, Registration(data, None), now=NOW).resident_request
        request_actions.act(session, rr, ActionCommand(action=Action.accept), actor=actor_of(session, staff), now=NOW)
        session.commit()
    try:
        yield Committed(town, staff, member, leader, rr.id)
    finally:
        _remove(engine, [rr.id])


@pytest.fixture
def texts(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Texts]]:
    Texts.sent = []
    monkeypatch.setenv("BANDENG_SMS_BACKEND", f"{__name__}:Texts")
    get_settings.cache_clear()
    yield Texts
    monkeypatch.delenv("BANDENG_SMS_BACKEND")
    get_settings.cache_clear()


def test_two_workers_dispatching_at_once_write_one_event_and_one_set_of_messages(
    engine: Engine, committed: Committed, texts: type[Texts]
) -> None:
    def dispatch() -> None:
        with Session(engine) as session:
            rr = session.get(ResidentRequest, committed.request_id)
            assert rr is not None
            command = ActionCommand(action=Action.dispatch, handling_unit_id=committed.town.grid_a1.id)
            request_actions.act(session, rr, command, actor=actor_of(session, committed.staff), now=NOW)
            session.commit()

    errors = run_at_once(2, dispatch)
    assert len(errors) == 1 and isinstance(errors[0], InvalidTransition)
    with Session(engine) as session:
        events = session.exec(
            select(ResidentRequestEvent.seq).where(
                ResidentRequestEvent.resident_request_id == committed.request_id,
                ResidentRequestEvent.action == Action.dispatch,
            )
        ).all()
        assert len(events) == 1
        told = session.exec(
            select(Notification.recipient_id, Notification.channel).where(Notification.kind == "handoff_dispatch")
        ).all()
    channels = ("inbox", "push", "sms")
    people = (committed.member.id, committed.leader.id)
    assert sorted(told) == sorted((person, channel) for person in people for channel in channels)


def test_delivering_twice_sends_each_message_once(engine: Engine, committed: Committed, texts: type[Texts]) -> None:
    first = deliver_due(NOW, engine=engine)
    again = deliver_due(NOW, engine=engine)
    # A push and a text to each of two, and the resident's receipt; the inbox needs no delivery.
    assert (first.inbox, first.sent) == (0, 5)
    assert (again.sent, again.retried) == (0, 0)
    with Session(engine) as session:
        sms = session.exec(
            select(Notification.dedupe_key, Notification.status).where(
                Notification.resident_request_id == committed.request_id,
                Notification.channel == NotificationChannel.sms,
            )
        ).all()
    # The registration told the village staff and the grid leader, one text each.
    assert len(sms) == 2 and {status for _, status in sms} == {"sent"}
    resident = [key for key in texts.sent if key.startswith(f"resident:{committed.request_id}:1:")]
    assert len(resident) == 1 and sorted(set(texts.sent) - set(resident)) == sorted(key for key, _ in sms)
