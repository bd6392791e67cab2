"""Stationing services on the migrated schema: sessions generated off holidays, attendance, matters, the board."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session, col, select

from models.enums import Channel, ClosureType, RequestStatus, Role
from models.resident_request import ResidentRequest
from models.stationing import ReceptionSession, Stationing
from models.stationing_schemas import AttendanceInput, MatterCreate, MemberCreate, StationingCreate
from models.user import User
from services.actor import Actor
from services.errors import Invalid, InvalidTransition, PermissionDenied
from services.stationing import notice_board, stationing
from tests.factories import Town, actor_of, category_id, make_town, make_user

NOW = datetime(2026, 9, 28, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai, the week before National Day


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def cadre(session: Session, town: Town) -> User:
    return make_user(session, Role.town_cadre, town.town, name="李驻点")


def _stationing(session: Session, town: Town, cadre: User, weekday: int = 0) -> Stationing:
    assert town.village_a.id is not None and cadre.id is not None
    data = StationingCreate(
        village_id=town.village_a.id,
        cadre_id=cadre.id,
        title="镇党委委员",
        work_phone="0757-86281234",
        weekday=weekday,
        start_time=time(14, 30),
        end_time=time(17, 30),
        place="甲村村委会一楼接待室",
        starts_on=date(2026, 9, 1),
    )
    return stationing.create(session, actor_of(session, cadre), data, now=NOW)


def _held(session: Session, st: Stationing, actor: Actor, held_on: date = date(2026, 9, 28)) -> ReceptionSession:
    reception = ReceptionSession(
        stationing_id=st.id or 0,
        slot_on=held_on,
        held_on=held_on,
        start_time=st.start_time,
        end_time=st.end_time,
        place=st.place,
        updated_at=NOW,
    )
    session.add(reception)
    session.flush()
    return stationing.attend(session, actor, reception, AttendanceInput(status="held"), now=NOW)


def test_sessions_move_off_national_day_and_generation_is_idempotent(session: Session, town: Town, cadre: User) -> None:
    st = _stationing(session, town, cadre, weekday=0)
    created = stationing.generate(session, st, weeks=3, now=NOW)
    assert [(s.slot_on, s.held_on) for s in created] == [
        (date(2026, 9, 28), date(2026, 9, 28)),
        (date(2026, 10, 5), date(2026, 10, 8)),  # National Day week: Monday moves to Thursday
        (date(2026, 10, 12), date(2026, 10, 12)),
        (date(2026, 10, 19), date(2026, 10, 19)),
    ]
    assert created[1].start_time == time(14, 30) and created[1].place == "甲村村委会一楼接待室"
    assert stationing.generate(session, st, weeks=4, now=NOW) == [  # only the one new week
        *session.exec(select(ReceptionSession).where(ReceptionSession.slot_on == date(2026, 10, 26))).all()
    ]
    assert len(stationing.sessions(session, st)) == 5


def test_only_a_town_cadre_above_the_village_is_stationed(session: Session, town: Town, cadre: User) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    with pytest.raises(PermissionDenied):
        _stationing(session, town, member)
    admin = actor_of(session, make_user(session, Role.admin, town.district))
    data = StationingCreate.model_validate(
        _stationing(session, town, cadre).model_dump() | {"cadre_id": member.id, "every_weeks": 1}
    )
    with pytest.raises(Invalid) as caught:
        stationing.create(session, admin, data, now=NOW)
    assert caught.value.code == "cadre_invalid"


def test_attendance_rules_and_a_missed_session_is_counted(session: Session, town: Town, cadre: User) -> None:
    st = _stationing(session, town, cadre)
    actor = actor_of(session, cadre)
    first, second, third = stationing.generate(session, st, weeks=2, now=NOW)
    with pytest.raises(Invalid) as caught:
        stationing.attend(session, actor, first, AttendanceInput(status="missed"), now=NOW)
    assert caught.value.code == "reason_required"
    with pytest.raises(Invalid) as caught:
        stationing.attend(session, actor, second, AttendanceInput(status="held"), now=NOW)
    assert caught.value.code == "not_yet"
    stationing.attend(session, actor, first, AttendanceInput(status="missed", reason="参加县里会议"), now=NOW)
    with pytest.raises(InvalidTransition):
        stationing.attend(session, actor, first, AttendanceInput(status="held"), now=NOW)
    moved = AttendanceInput(status="rescheduled", reason="台风预警", held_on=date(2026, 10, 9))
    assert stationing.attend(session, actor, second, moved, now=NOW).held_on == date(2026, 10, 9)
    results = notice_board.board(session, town.village_a.id or 0, now=NOW).results
    assert (results.sessions_held, results.sessions_missed, results.attendance_rate) == (0, 1, 0.0)
    _held(session, st, actor, date(2026, 9, 21))
    results = notice_board.board(session, town.village_a.id or 0, now=NOW).results
    assert (results.sessions_held, results.sessions_missed, results.attendance_rate) == (1, 1, 0.5)
    assert third.status == "scheduled"
    later = NOW + timedelta(days=30)  # the moved day has come: held, and why it moved stays on the row
    held = stationing.attend(session, actor, second, AttendanceInput(status="held"), now=later)
    assert (held.status, held.reason) == ("held", "台风预警")


def test_matters_become_reception_requests(session: Session, town: Town, cadre: User) -> None:
    st = _stationing(session, town, cadre)
    deputy = make_user(session, Role.village_staff, town.village_a, name="王代表")
    stationing.add_member(
        session, actor_of(session, cadre), st, MemberCreate(name="王代表", team="stationed", user_id=deputy.id), now=NOW
    )
    reception = _held(session, st, actor_of(session, cadre))
    base = {"category_id": category_id(session), "reporter_phone": "13812345678"}
    solved = MatterCreate.model_validate(
        base | {"outcome": "solved_on_spot", "description": "低保政策咨询", "note": "当场解释政策"}
    )
    registered = MatterCreate.model_validate(base | {"outcome": "registered", "description": "村道路灯坏了三盏"})
    with pytest.raises(Invalid):
        stationing.record_matter(
            session, actor_of(session, cadre), reception, st, solved.model_copy(update={"note": None}), now=NOW
        )
    one = stationing.record_matter(session, actor_of(session, cadre), reception, st, solved, now=NOW)
    reception_again, _ = stationing.get_session(session, actor_of(session, deputy), reception.id or 0)
    two = stationing.record_matter(session, actor_of(session, deputy), reception_again, st, registered, now=NOW)
    closed, open_ = (
        session.get(ResidentRequest, one.resident_request_id),
        session.get(ResidentRequest, two.resident_request_id),
    )
    assert closed is not None and open_ is not None
    assert closed.channel == Channel.reception and closed.status == RequestStatus.closed
    assert closed.closure_type == ClosureType.on_spot and closed.feedback_met_at is not None
    assert open_.channel == Channel.reception and open_.status == RequestStatus.registered
    assert open_.feedback_met_at is None and open_.feedback_due_at > NOW
    results = notice_board.board(session, town.village_a.id or 0, now=NOW).results
    assert (results.received, results.solved_on_spot, results.fed_back_on_time) == (2, 1, 1)


def test_only_the_stationed_team_records(session: Session, town: Town, cadre: User) -> None:
    st = _stationing(session, town, cadre)
    reception = _held(session, st, actor_of(session, cadre))
    helper = make_user(session, Role.village_staff, town.village_a)
    stationing.add_member(
        session, actor_of(session, cadre), st, MemberCreate(name="志愿者", team="support", user_id=helper.id), now=NOW
    )
    other_cadre = make_user(session, Role.town_cadre, town.town)
    for outsider in (helper, other_cadre):
        with pytest.raises(PermissionDenied):
            stationing.get_session(session, actor_of(session, outsider), reception.id or 0)


def test_scheduled_sessions_cannot_take_matters(session: Session, town: Town, cadre: User) -> None:
    st = _stationing(session, town, cadre)
    (first, *_) = stationing.generate(session, st, weeks=1, now=NOW)
    data = MatterCreate(outcome="registered", category_id=category_id(session), description="路面破损")
    with pytest.raises(InvalidTransition):
        stationing.record_matter(session, actor_of(session, cadre), first, st, data, now=NOW)
    assert session.exec(select(ResidentRequest).where(col(ResidentRequest.channel) == Channel.reception)).all() == []
