"""A resident's SMS through the delivery job, on committed rows: the number read from the request and decrypted at
sending (the outbox never holds it), through the logging gateway (masked in the log) and through both providers'
adapters against the fake provider API; a reporter who opted out after it was queued gets nothing. Every row a
test commits is removed afterwards."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.audit import AuditLog
from models.enums import NotificationChannel, Role
from models.notification import Notification
from models.org import OrgUnit
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.sla import SlaTimer
from models.user import User
from services.notify.outbox import deliver_due
from services.notify.residents import NO_MOBILE
from services.notify.sms import RESIDENT_REGISTERED
from services.requests.resident_notices import promised
from services.rules.case_code import format_case_code
from tests.factories import (
    Town,
    actor_of,
    make_replied_request,
    make_resident_request,
    make_town,
    make_user,
    run_at_once,
)
from tests.services.notify.fake_sms import FakeProvider, fake_provider
from tests.services.notify.test_outbox import NOW, settings_env
from tests.services.notify.test_sms_providers import provider
from workers import jobs

PREFIX = "990677"
PHONE = "13812341234"


@dataclass(frozen=True)
class Reported:
    request_id: uuid.UUID
    code: str
    due: str
    town: Town
    staff: User
    member: User


def _remove(engine: Engine) -> None:
    with Session(engine) as session:
        units = session.exec(select(OrgUnit.id).where(col(OrgUnit.code).startswith(PREFIX))).all()
        users = session.exec(select(User.id).where(col(User.org_unit_id).in_(units))).all()
        requests = session.exec(select(ResidentRequest.id).where(col(ResidentRequest.unit_id).in_(units))).all()
        for model, column in (
            (Notification, Notification.resident_request_id),
            (SlaTimer, SlaTimer.resident_request_id),
            (ResidentRequestEvent, ResidentRequestEvent.resident_request_id),
        ):
            session.execute(delete(model).where(col(column).in_(requests)))
        session.execute(delete(AuditLog).where(col(AuditLog.actor_id).in_(users)))
        session.execute(delete(ResidentRequest).where(col(ResidentRequest.id).in_(requests)))
        session.execute(delete(User).where(col(User.id).in_(users)))
        for unit_id in sorted((u for u in units if u is not None), reverse=True):
            session.execute(delete(OrgUnit).where(col(OrgUnit.id) == unit_id))
        session.commit()


@pytest.fixture
def reported(engine: Engine) -> Iterator[Reported]:
    """A request a grid member registered for a resident who gave a mobile, committed with its receipt queued."""
    with Session(engine, expire_on_commit=False) as session:
        town = make_town(session, prefix=PREFIX)
        member = make_user(session, Role.grid_member, town.grid_a1)
        staff = make_user(session, Role.village_staff, town.village_a)
        rr = make_resident_request(session, actor_of(session, member), town.grid_a1, phone=PHONE, now=NOW)
        due = promised(rr.feedback_due_at, get_settings().tz)
        found = Reported(rr.id, format_case_code(rr.case_code), due, town, staff, member)
        session.commit()
    try:
        yield found
    finally:
        _remove(engine)


def _text(engine: Engine, reported: Reported) -> Notification:
    with Session(engine) as session:
        return session.exec(
            select(Notification).where(
                Notification.resident_request_id == reported.request_id,
                Notification.channel == NotificationChannel.resident_sms,
            )
        ).one()


def _kinds(engine: Engine, request_id: uuid.UUID) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(
            select(Notification.kind)
            .where(Notification.resident_request_id == request_id)
            .where(Notification.channel == NotificationChannel.resident_sms)
            .order_by(col(Notification.id))
        )
        return list(rows.all())


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with fake_provider() as running:
        yield running


def test_the_log_gateway_sends_it_with_the_number_masked_in_the_log(
    engine: Engine, reported: Reported, caplog: pytest.LogCaptureFixture
) -> None:
    with settings_env(environment="development"), caplog.at_level(logging.INFO, logger="bandeng.sms"):
        assert deliver_due(NOW, engine=engine).sent == 1
    row = _text(engine, reported)
    assert row.status == "sent" and (row.provider_message_id or "").startswith("log-")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "138****1234" in logged and PHONE not in logged
    assert f"您的诉求已登记，编号{reported.code}，将于{reported.due}前答复。" in logged  # development shows the text
    assert deliver_due(NOW, engine=engine).sent == 0  # sent once


def test_alibaba_cloud_gets_the_residents_template_and_the_decrypted_number(
    engine: Engine, reported: Reported, fake: FakeProvider
) -> None:
    with provider("aliyun", fake.url):
        assert deliver_due(NOW, engine=engine).sent == 1
    row = _text(engine, reported)
    [got] = fake.received
    assert got.params == {
        "PhoneNumbers": PHONE,
        "SignName": "板凳测试",
        "TemplateCode": "SMS_465000002",  # BANDENG_SMS_TEMPLATE_RESIDENT_REGISTERED
        "TemplateParam": json.dumps({"code": reported.code, "due": reported.due}, ensure_ascii=False),
        "OutId": row.dedupe_key,
    }
    assert (row.kind, row.status, row.provider_message_id) == (RESIDENT_REGISTERED, "sent", "900619746936490001^0")


def test_tencent_cloud_gets_the_residents_template_and_the_decrypted_number(
    engine: Engine, reported: Reported, fake: FakeProvider
) -> None:
    with provider("tencent", fake.url):
        assert deliver_due(NOW, engine=engine).sent == 1
    row = _text(engine, reported)
    [got] = fake.received
    assert (got.params["PhoneNumberSet"], got.params["TemplateId"]) == ([f"+86{PHONE}"], "2000002")
    assert got.params["TemplateParamSet"] == [reported.code, reported.due]
    assert (row.status, row.provider_message_id) == ("sent", "2433:0001")


def test_a_resident_who_opts_out_before_it_goes_gets_nothing(
    engine: Engine, reported: Reported, fake: FakeProvider
) -> None:
    with Session(engine) as session:
        rr = session.get(ResidentRequest, reported.request_id)
        assert rr is not None
        rr.reporter_sms_opt_out = True
        session.commit()
    with provider("aliyun", fake.url):
        report = deliver_due(NOW, engine=engine)
    assert (report.sent, report.failed, fake.received) == (0, 1, [])
    row = _text(engine, reported)
    assert (row.status, row.last_error, row.attempts) == ("failed", NO_MOBILE, 0)


def test_the_reminder_job_run_twice_at_once_queues_one_reminder(engine: Engine, reported: Reported) -> None:
    with Session(engine, expire_on_commit=False) as session:
        answered = NOW - timedelta(minutes=5)  # and never rated
        replied = make_replied_request(session, reported.staff, reported.member, reported.town.grid_a1, now=answered)
        session.commit()
    assert jobs.remind_unrated_replies(NOW + timedelta(days=2), engine=engine) == 0
    later = NOW + timedelta(days=3)
    queued: list[int] = []
    assert run_at_once(2, lambda: queued.append(jobs.remind_unrated_replies(later, engine=engine))) == []
    assert sorted(queued) == [0, 1] and jobs.remind_unrated_replies(later, engine=engine) == 0
    assert _kinds(engine, replied.id) == ["resident_registered", "resident_replied", "resident_rate_reminder"]
    assert _kinds(engine, reported.request_id) == ["resident_registered"]  # not answered: nothing to rate
