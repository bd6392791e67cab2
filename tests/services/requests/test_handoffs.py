"""Every hand-off tells the people who must act next, and only them: one inbox row, one push and one SMS each,
never the person who acted; push and SMS wait for the end of quiet hours unless the request is an emergency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from models.enums import Action, RatingLevel, Role
from models.notification import Notification
from models.public_schemas import PublicReport
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.resident_request_schemas import ActionCommand
from models.stationing import Stationing
from models.user import User
from services.errors import InvalidTransition
from services.requests import handoffs, public, request_actions
from services.requests.step import Step
from tests.factories import Town, actor_of, category_id, make_resident_request, make_town, make_user

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
NIGHT = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
MORNING = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai, the end of quiet hours


@dataclass
class Cast:
    town: Town
    member: User  # grid member, grid A1
    leader: User  # grid leader, grid A1
    neighbour: User  # grid member, grid A2
    staff: User  # village staff, village A
    other_staff: User  # village staff, village B
    cadre: User  # town cadres
    cadre2: User
    dept: User  # department handler
    admin: User  # an admin and an auditor where the work is: never told
    auditor: User


@pytest.fixture
def cast(session: Session) -> Cast:
    town = make_town(session)
    return Cast(
        town=town,
        member=make_user(session, Role.grid_member, town.grid_a1),
        leader=make_user(session, Role.grid_leader, town.grid_a1),
        neighbour=make_user(session, Role.grid_member, town.grid_a2),
        staff=make_user(session, Role.village_staff, town.village_a),
        other_staff=make_user(session, Role.village_staff, town.village_b),
        cadre=make_user(session, Role.town_cadre, town.town),
        cadre2=make_user(session, Role.town_cadre, town.town),
        dept=make_user(session, Role.department_handler, town.department),
        admin=make_user(session, Role.admin, town.village_a),
        auditor=make_user(session, Role.auditor, town.grid_a1),
    )


def reported(session: Session, cast: Cast, *, now: datetime = NOW, category: str = "基础设施") -> ResidentRequest:
    """A resident's own report on grid A1, through the public endpoint's service."""
    body = PublicReport(
        category_id=category_id(session, category),
        unit_id=cast.town.grid_a1.id or 0,
        description="村口路灯不亮，晚上看不见路",
        phone="13812341234",
    )
    code = public.report(session, body, ip="203.0.113.7", now=now).case_code.replace("-", "")
    found = session.exec(select(ResidentRequest).where(ResidentRequest.case_code == code)).one()
    return found


def do(session: Session, rr: ResidentRequest, user: User, **command: Any) -> ResidentRequest:
    now = command.pop("now", NOW)
    return request_actions.act(
        session, rr, ActionCommand.model_validate(command), actor=actor_of(session, user), now=now
    )


def told(session: Session, rr: ResidentRequest) -> tuple[str | None, dict[int, list[str]]]:
    """What the request's latest action told, and to whom on which channels (the SMS it sent the resident, an
    event of its own after it, is resident_notices' business)."""
    acted = session.exec(
        select(func.max(ResidentRequestEvent.seq)).where(
            ResidentRequestEvent.resident_request_id == rr.id, ResidentRequestEvent.action != Action.resident_notified
        )
    ).one()
    rows = session.exec(
        select(Notification.kind, Notification.recipient_id, Notification.channel).where(
            col(Notification.dedupe_key).startswith(f"handoff:{rr.id}:{acted}:")
        )
    ).all()
    people: dict[int, list[str]] = {}
    for _, recipient, channel in rows:
        assert recipient is not None
        people.setdefault(recipient, []).append(str(channel))
    kinds = {kind for kind, _, _ in rows}
    assert len(kinds) <= 1
    return (kinds.pop() if kinds else None), {person: sorted(channels) for person, channels in people.items()}


def only(kind: str, *users: User) -> tuple[str, dict[int, list[str]]]:
    return kind, {user.id or 0: ["inbox", "push", "sms"] for user in users}


def test_a_residents_own_report_goes_to_the_village_staff_and_the_grid_leader(session: Session, cast: Cast) -> None:
    rr = reported(session, cast)
    assert told(session, rr) == only("handoff_register", cast.staff, cast.leader)
    by_staff = make_resident_request(session, actor_of(session, cast.member), cast.town.grid_a1, now=NOW)
    assert told(session, by_staff) == (None, {})  # staff register what they take in themselves


def test_dispatch_goes_to_the_named_handler_else_the_units_handlers_and_a_return_comes_back(
    session: Session, cast: Cast
) -> None:
    rr = reported(session, cast)
    do(session, rr, cast.staff, action="accept")
    assert told(session, rr) == (None, {})
    do(session, rr, cast.leader, action="dispatch", handling_unit_id=cast.town.grid_a1.id)
    assert told(session, rr) == only("handoff_dispatch", cast.member)  # not the leader who dispatched it
    do(session, rr, cast.member, action="return", note="不属于本网格")
    assert told(session, rr) == only("handoff_return", cast.staff)  # back to the village, which sent it
    do(session, rr, cast.staff, action="dispatch", handling_unit_id=cast.town.grid_a1.id, handler_id=cast.leader.id)
    assert told(session, rr) == only("handoff_dispatch", cast.leader)


def test_escalation_climbs_to_the_village_then_to_the_towns_desk(session: Session, cast: Cast) -> None:
    rr = make_resident_request(session, actor_of(session, cast.member), cast.town.grid_a1, now=NOW)
    do(session, rr, cast.member, action="escalate", note="需要村里协调")
    assert told(session, rr) == only("handoff_escalate", cast.staff)
    do(session, rr, cast.staff, action="escalate", note="需要镇里协调")
    assert told(session, rr) == only("handoff_escalate", cast.cadre, cast.cadre2)

    stationed = Stationing(
        village_id=cast.town.village_a.id or 0,
        cadre_id=cast.cadre.id or 0,
        title="镇党委委员",
        weekday=1,
        start_time=time(9),
        end_time=time(11),
        place="村委会",
        starts_on=date(2026, 1, 6),
    )
    session.add(stationed)
    again = make_resident_request(session, actor_of(session, cast.staff), cast.town.village_a, now=NOW)
    do(session, again, cast.staff, action="escalate", note="需要镇里协调")
    assert told(session, again) == only("handoff_escalate", cast.cadre)  # the village's stationed cadre


def test_transfer_whistle_and_report_in(session: Session, cast: Cast) -> None:
    rr = reported(session, cast)
    do(session, rr, cast.cadre, action="transfer", department_id=cast.town.department.id)
    assert told(session, rr) == only("handoff_transfer", cast.dept)
    whistle = {"department_id": cast.town.department.id, "note": "请到现场", "report_within_hours": 2}
    do(session, rr, cast.cadre, action="whistle", **whistle)
    assert told(session, rr) == only("desk_whistle", cast.dept)
    body = session.exec(select(Notification.body).where(Notification.kind == "desk_whistle")).first()
    assert body == "请于 11月24日 12:00 前报到：请到现场"  # local time
    do(session, rr, cast.dept, action="report_in", note="已到现场")
    assert told(session, rr) == only("desk_report_in", cast.cadre)


def test_an_extension_is_asked_of_the_desk_and_decided_for_whoever_asked(session: Session, cast: Cast) -> None:
    rr = reported(session, cast)
    do(session, rr, cast.cadre, action="transfer", department_id=cast.town.department.id)
    later = (rr.feedback_due_at + timedelta(days=3)).isoformat()
    do(session, rr, cast.dept, action="request_extension", due_at=later, note="需采购配件")
    assert told(session, rr) == only("desk_request_extension", cast.cadre, cast.cadre2)
    do(session, rr, cast.cadre, action="approve_extension", note="同意")
    assert told(session, rr) == only("desk_approve_extension", cast.dept)
    even_later = (rr.feedback_due_at + timedelta(days=3)).isoformat()
    do(session, rr, cast.dept, action="request_extension", due_at=even_later, note="还需三天")
    do(session, rr, cast.cadre2, action="deny_extension", note="请按期办结")
    assert told(session, rr) == only("desk_deny_extension", cast.dept)


def test_a_take_over_tells_the_first_unit_and_whoever_had_it(session: Session, cast: Cast) -> None:
    rr = reported(session, cast)  # the first unit is village A
    do(session, rr, cast.staff, action="accept")
    do(session, rr, cast.staff, action="dispatch", handling_unit_id=cast.town.grid_a1.id, handler_id=cast.member.id)
    do(session, rr, cast.cadre, action="take_over", note="镇里直接办")
    assert told(session, rr) == only("desk_take_over", cast.staff, cast.member)
    do(session, rr, cast.cadre2, action="supervise", note="请本周内办结")
    assert told(session, rr) == only("desk_supervise", cast.cadre)  # the handler now


def test_another_units_reply_goes_to_the_first_unit_and_a_reopen_to_the_handler_and_the_first_unit(
    session: Session, cast: Cast
) -> None:
    rr = reported(session, cast)
    do(session, rr, cast.staff, action="accept")
    do(session, rr, cast.staff, action="dispatch", handling_unit_id=cast.town.grid_a1.id, handler_id=cast.member.id)
    do(session, rr, cast.member, action="start")
    do(session, rr, cast.member, action="reply", closure_type="substantive", note="路灯已修好")
    assert told(session, rr) == only("handoff_reply", cast.staff)
    request_actions.rate(session, rr, RatingLevel.unsatisfied, "还是不亮", now=NOW + timedelta(hours=1))
    assert told(session, rr) == only("handoff_reopen", cast.member, cast.staff)


def test_a_reply_by_the_first_unit_itself_tells_nobody(session: Session, cast: Cast) -> None:
    rr = make_resident_request(session, actor_of(session, cast.member), cast.town.grid_a1, now=NOW)
    do(session, rr, cast.leader, action="accept")
    do(session, rr, cast.leader, action="dispatch", handling_unit_id=cast.town.grid_a1.id, handler_id=cast.member.id)
    do(session, rr, cast.member, action="start")
    do(session, rr, cast.member, action="reply", closure_type="substantive", note="路灯已修好")
    assert told(session, rr) == (None, {})


def _pocket(session: Session, rr: ResidentRequest) -> dict[str, set[datetime]]:
    rows = session.exec(
        select(Notification.channel, Notification.status, Notification.next_attempt_at).where(
            Notification.resident_request_id == rr.id
        )
    ).all()
    due: dict[str, set[datetime]] = {}
    for channel, status, at in rows:
        due.setdefault(f"{channel}:{status}", set()).add(at)
    return due


def test_at_night_push_and_sms_wait_until_seven_while_the_inbox_has_it_now(session: Session, cast: Cast) -> None:
    rr = reported(session, cast, now=NIGHT)
    waiting = {"push:pending": {MORNING}, "sms:pending": {MORNING}, "resident_sms:pending": {MORNING}}
    assert _pocket(session, rr) == {"inbox:sent": {NIGHT}, **waiting}  # the resident's receipt waits too


def test_an_emergency_goes_out_at_night_at_once(session: Session, cast: Cast) -> None:
    rr = reported(session, cast, now=NIGHT, category="治安隐患")
    assert rr.request_class == "emergency"
    now = {"push:pending": {NIGHT}, "sms:pending": {NIGHT}, "resident_sms:pending": {NIGHT}}
    assert _pocket(session, rr) == {"inbox:sent": {NIGHT}, **now}


def test_a_refused_retry_and_a_second_fan_out_write_nothing_more(session: Session, cast: Cast) -> None:
    rr = reported(session, cast)
    do(session, rr, cast.staff, action="accept")
    command = {"action": "dispatch", "handling_unit_id": cast.town.grid_a1.id}
    do(session, rr, cast.staff, **command)
    count = select(func.count()).select_from(Notification).where(Notification.resident_request_id == rr.id)
    written = session.exec(count).one()
    with pytest.raises(InvalidTransition):
        do(session, rr, cast.staff, **command)
    assert session.exec(count).one() == written
    step = Step(ActionCommand.model_validate(command), actor_of(session, cast.staff), NOW)
    assert handoffs.tell(session, rr, step) == 0  # the same event: the same keys
    assert told(session, rr) == only("handoff_dispatch", cast.member, cast.leader)


def test_every_handoff_action_is_in_the_table() -> None:
    assert set(handoffs.HANDOFFS) == {
        Action.register,
        Action.dispatch,
        Action.return_,
        Action.transfer,
        Action.escalate,
        Action.take_over,
        Action.supervise,
        Action.whistle,
        Action.report_in,
        Action.request_extension,
        Action.approve_extension,
        Action.deny_extension,
        Action.reopen,
        Action.reply,
    }
