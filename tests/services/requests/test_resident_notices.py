"""Residents hear from us: one SMS when their request is registered, replied and reopened, and one reminder to rate a
reply left unrated for three days — each queued once whatever is retried or run twice, after quiet hours, never to
a reporter who opted out, left no phone or a landline; and on the staff timeline as it is queued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from models.enums import Action, Channel, ClosureType, NotificationChannel, RatingLevel, Role
from models.notification import Notification
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.resident_request_schemas import ActionCommand, ResidentRequestCreate
from models.user import User
from services.errors import InvalidTransition
from services.requests import rate_reminders, request_actions, request_views
from services.requests.resident_notices import promised
from services.requests.resident_requests import Registration, register
from services.rules.case_code import format_case_code
from tests.factories import (
    Town,
    actor_of,
    category_id,
    make_replied_request,
    make_town,
    make_user,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
NIGHT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
MORNING = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 07:00, the end of quiet hours
PHONE = "13812341234"


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def people(session: Session, town: Town) -> dict[str, User]:
    return {
        "member": make_user(session, Role.grid_member, town.grid_a1),
        "staff": make_user(session, Role.village_staff, town.village_a),
    }


def texts(session: Session, rr: ResidentRequest) -> list[Notification]:
    rows = session.exec(
        select(Notification)
        .where(Notification.resident_request_id == rr.id, Notification.channel == NotificationChannel.resident_sms)
        .order_by(col(Notification.id))
    )
    return list(rows.all())


def notified(session: Session, rr: ResidentRequest) -> list[ResidentRequestEvent]:
    rows = session.exec(
        select(ResidentRequestEvent)
        .where(ResidentRequestEvent.resident_request_id == rr.id)
        .where(ResidentRequestEvent.action == Action.resident_notified)
        .order_by(col(ResidentRequestEvent.seq))
    )
    return list(rows.all())


def registered(session: Session, people: dict[str, User], town: Town, **data: object) -> ResidentRequest:
    body = ResidentRequestCreate.model_validate(
        {
            "channel": Channel.visit,
            "category_id": category_id(session),
            "description": "村口路灯不亮",
            "unit_id": town.grid_a1.id,
            "reporter_phone": PHONE,
            **data,
        }
    )
    return register(session, Registration(body, actor_of(session, people["member"])), now=NOW).resident_request


def test_registration_texts_the_case_code_and_the_promised_date_once(
    session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = registered(session, people, town, id="6f1c2f5e-52a4-4c1e-9d4b-3c0f2b1a9e01")
    [row] = texts(session, rr)
    due = promised(rr.feedback_due_at, SHANGHAI)
    assert due == "12月1日"  # 7 calendar days from Tuesday 24 November, to the end of the day
    text = f"您的诉求已登记，编号{format_case_code(rr.case_code)}，将于{due}前答复。凭编号和手机后4位可查进度。"
    assert (row.kind, row.title, row.recipient_id, row.status, row.next_attempt_at) == (
        "resident_registered",
        text,
        None,
        "pending",
        NOW,
    )
    assert all(PHONE not in (value or "") for value in (row.title, row.body, row.dedupe_key, row.last_error))
    [event] = notified(session, rr)
    assert (event.note, event.actor_role, event.to_status) == (text, "system", "registered")
    assert event.data == {"kind": "resident_registered", "label": "登记回执", "to": "138****1234"}
    again = registered(session, people, town, id="6f1c2f5e-52a4-4c1e-9d4b-3c0f2b1a9e01")  # the phone resends
    assert again.id == rr.id and len(texts(session, rr)) == 1 and len(notified(session, rr)) == 1


def test_a_reply_texts_its_kind_and_result_and_a_retry_adds_nothing(
    session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = make_replied_request(session, people["staff"], people["member"], town.grid_a1, now=NOW)
    code = format_case_code(rr.case_code)
    assert [row.kind for row in texts(session, rr)] == ["resident_registered", "resident_replied"]
    assert texts(session, rr)[-1].title == f"您的诉求{code}已答复（实质解决）：已修好。凭编号和手机后4位可评价。"
    command = ActionCommand(action=Action.reply, closure_type=ClosureType.substantive, note="已修好")
    with pytest.raises(InvalidTransition):
        request_actions.act(session, rr, command, actor=actor_of(session, people["member"]), now=NOW)
    assert len(texts(session, rr)) == 2 and len(notified(session, rr)) == 2


def test_a_reopen_texts_the_new_promise_once_per_cycle(session: Session, town: Town, people: dict[str, User]) -> None:
    rr = make_replied_request(session, people["staff"], people["member"], town.grid_a1, now=NOW)
    later = NOW + timedelta(days=1)
    request_actions.rate(session, rr, RatingLevel.unsatisfied, "还是不亮", now=later)
    reopened = texts(session, rr)[-1]
    assert (rr.cycle, reopened.kind) == (2, "resident_reopened")
    assert reopened.dedupe_key == f"resident:{rr.id}:2:resident_reopened:resident_sms"
    due = promised(rr.feedback_due_at, SHANGHAI)
    assert (
        reopened.title
        == f"您的诉求{format_case_code(rr.case_code)}已重新办理，将于{due}前答复。凭编号和手机后4位可查进度。"
    )
    assert [e.data["kind"] for e in notified(session, rr) if e.data] == [
        "resident_registered",
        "resident_replied",
        "resident_reopened",
    ]


def test_a_reply_at_night_waits_for_the_morning(session: Session, town: Town, people: dict[str, User]) -> None:
    rr = make_replied_request(
        session, people["staff"], people["member"], town.grid_a1, now=NIGHT - timedelta(minutes=5)
    )
    replied = texts(session, rr)[-1]
    assert (replied.kind, replied.created_at, replied.next_attempt_at) == ("resident_replied", NIGHT, MORNING)


@pytest.mark.parametrize(
    "data",
    [
        {"reporter_sms_opt_out": True},  # 居民不接收短信
        {"reporter_phone": None},
        {"reporter_phone": "0757-86281234"},  # a landline takes no SMS
    ],
)
def test_no_text_to_whoever_opted_out_left_no_phone_or_a_landline(
    session: Session, town: Town, people: dict[str, User], data: dict[str, object]
) -> None:
    rr = registered(session, people, town, **data)
    for user, command in [
        (people["staff"], {"action": "accept"}),
        (people["staff"], {"action": "dispatch", "handling_unit_id": town.grid_a1.id}),
        (people["member"], {"action": "start"}),
        (people["member"], {"action": "reply", "closure_type": "phased", "note": "已报修"}),
    ]:
        request_actions.act(session, rr, ActionCommand.model_validate(command), actor=actor_of(session, user), now=NOW)
    assert texts(session, rr) == [] and notified(session, rr) == []
    assert rate_reminders.remind_due(session, NOW + timedelta(days=10)).queued == 0
    summary = request_views.summary(rr, "基础设施", "甲村第一网格", NOW)
    assert summary.uncallable is (data.get("reporter_phone", PHONE) is None)  # no phone: nobody can call back


def test_one_reminder_to_rate_three_days_after_the_reply(session: Session, town: Town, people: dict[str, User]) -> None:
    rr = make_replied_request(session, people["staff"], people["member"], town.grid_a1, now=NOW)
    assert rr.replied_at is not None
    assert rate_reminders.remind_due(session, rr.replied_at + timedelta(days=3, seconds=-1)).queued == 0
    assert rate_reminders.remind_due(session, rr.replied_at + timedelta(days=3)).queued == 1
    assert rate_reminders.remind_due(session, rr.replied_at + timedelta(days=3, hours=1)).queued == 0  # run again
    reminder = texts(session, rr)[-1]
    code = format_case_code(rr.case_code)
    assert reminder.kind == "resident_rate_reminder"
    assert reminder.title == f"您的诉求{code}已于11月24日答复，尚未评价。凭编号和手机后4位可评价，谢谢。"
    assert [e.data["kind"] for e in notified(session, rr) if e.data].count("resident_rate_reminder") == 1
    # 不满意 starts another cycle, whose reply earns a reminder of its own.
    request_actions.rate(session, rr, RatingLevel.unsatisfied, None, now=rr.replied_at + timedelta(days=4))
    for command in ({"action": "start"}, {"action": "reply", "closure_type": "procedural", "note": "已转供电所"}):
        step = ActionCommand.model_validate(command)
        request_actions.act(session, rr, step, actor=actor_of(session, people["member"]), now=NOW + timedelta(days=5))
    assert rate_reminders.remind_due(session, NOW + timedelta(days=8)).queued == 1
    assert texts(session, rr)[-1].dedupe_key == f"resident:{rr.id}:2:resident_rate_reminder:resident_sms"


def test_a_rated_reply_gets_no_reminder(session: Session, town: Town, people: dict[str, User]) -> None:
    rr = make_replied_request(session, people["staff"], people["member"], town.grid_a1, now=NOW)
    request_actions.rate(session, rr, RatingLevel.satisfied, None, now=NOW + timedelta(days=1))
    assert rate_reminders.remind_due(session, NOW + timedelta(days=5)).queued == 0


def test_a_landline_is_passed_over_and_the_next_batch_goes_on(
    session: Session, town: Town, people: dict[str, User]
) -> None:
    staff, member = people["staff"], people["member"]
    landline = make_replied_request(session, staff, member, town.grid_a1, now=NOW, phone="0757-86281234")
    mobile = make_replied_request(session, staff, member, town.grid_a1, now=NOW + timedelta(minutes=30))
    later = NOW + timedelta(days=4)
    first = rate_reminders.remind_due(session, later, limit=1)
    assert first.queued == 0 and first.last == (landline.replied_at, landline.id)
    second = rate_reminders.remind_due(session, later, after=first.last, limit=1)
    assert second.queued == 1 and texts(session, mobile)[-1].kind == "resident_rate_reminder"
    assert rate_reminders.remind_due(session, later, after=second.last, limit=1) == rate_reminders.Batch(0, None)
