"""The SLA clocks and sweep against the migrated schema, with fixed instants and no sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, func, update
from sqlmodel import Session, col, select

from models.audit import AuditLog
from models.enums import (
    Action,
    DurationUnit,
    NotificationChannel,
    RequestClass,
    RequestStatus,
    Role,
    SlaClock,
    SlaStage,
    Supervision,
)
from models.notification import Notification
from models.org import OrgUnit
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.resident_request_schemas import ActionCommand
from models.sla import SlaTimer
from models.sla_schemas import SlaPolicyChange
from models.stationing import Stationing
from models.user import User
from services.clocks import sla_policies
from services.clocks.sla_sweep import SessionScope, SweepReport, _Batch, _move_stages, _plan, sweep
from services.errors import Invalid, PermissionDenied
from services.requests import request_actions
from tests.factories import Town, actor_of, make_resident_request, make_town, make_user, run_at_once

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_9AM = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
DUE = datetime(2026, 11, 9, 23, 59, 59, tzinfo=SHANGHAI)  # 7 calendar days, end of the 7th day


@dataclass
class People:
    town: Town
    member: User  # grid member of grid_a1: registers and handles
    village: User  # village staff of village_a: accepts, dispatches, hears of a breach
    cadre: User  # town cadre: extends, hears of leadership escalations


def make_people(session: Session, prefix: str = "990101") -> People:
    town = make_town(session, prefix)
    return People(
        town=town,
        member=make_user(session, Role.grid_member, town.grid_a1, name="网格员甲"),
        village=make_user(session, Role.village_staff, town.village_a, name="村干部甲"),
        cadre=make_user(session, Role.town_cadre, town.town, name="镇干部甲"),
    )


@pytest.fixture
def people(session: Session) -> People:
    return make_people(session)


def do(session: Session, rr: ResidentRequest, user: User, now: datetime, **command: object) -> None:
    request_actions.act(session, rr, ActionCommand.model_validate(command), actor=actor_of(session, user), now=now)


def dispatched(
    session: Session, people: People, now: datetime = MONDAY_9AM, category: str = "基础设施"
) -> ResidentRequest:
    """Registered by the grid member, accepted by the village and dispatched back to the grid member."""
    rr = make_resident_request(
        session, actor_of(session, people.member), people.town.grid_a1, category=category, now=now
    )
    do(session, rr, people.village, now + timedelta(minutes=5), action="accept")
    do(
        session,
        rr,
        people.village,
        now + timedelta(minutes=10),
        action="dispatch",
        handling_unit_id=people.town.grid_a1.id,
        handler_id=people.member.id,
    )
    return rr


def in_session(session: Session) -> SessionScope:
    """The sweep's transactions as savepoints of the test's session, which the test rolls back."""

    @contextmanager
    def scope() -> Iterator[Session]:
        yield session
        session.flush()

    return scope


def run(session: Session, now: datetime) -> SweepReport:
    return sweep(now, scope=in_session(session))


def timer(session: Session, rr: ResidentRequest, clock: SlaClock = SlaClock.feedback, cycle: int = 1) -> SlaTimer:
    found = session.exec(
        select(SlaTimer).where(SlaTimer.resident_request_id == rr.id, SlaTimer.clock == clock, SlaTimer.cycle == cycle)
    ).one()
    session.refresh(found)
    return found


def sla_events(session: Session, rr: ResidentRequest) -> list[str]:
    rows = session.exec(
        select(ResidentRequestEvent.action)
        .where(ResidentRequestEvent.resident_request_id == rr.id)
        .where(col(ResidentRequestEvent.action).startswith("sla_"))
        .order_by(col(ResidentRequestEvent.seq))
    ).all()
    return [str(action) for action in rows]


def notices(session: Session, rr: ResidentRequest) -> list[tuple[int | None, str, str]]:
    """The sweep's notifications of the request (the hand-offs before it, e.g. the dispatch, are not its own)."""
    rows = session.exec(
        select(Notification.recipient_id, Notification.channel, Notification.kind)
        .where(Notification.resident_request_id == rr.id, col(Notification.kind).startswith("sla_"))
        .order_by(col(Notification.kind), col(Notification.recipient_id), col(Notification.channel))
    ).all()
    return [(r, str(c), k) for r, c, k in rows]


def test_registration_starts_the_feedback_clock_and_dispatch_the_response_clock(
    session: Session, people: People
) -> None:
    rr = dispatched(session, people)
    feedback = timer(session, rr)
    assert feedback.due_at == DUE and rr.feedback_due_at == DUE
    assert feedback.warn_at == MONDAY_9AM + (DUE - MONDAY_9AM) * 0.7
    assert feedback.next_action_at == feedback.warn_at and feedback.stage == SlaStage.running
    response = timer(session, rr, SlaClock.response)
    assert response.due_at == MONDAY_9AM + timedelta(minutes=10, hours=24)
    do(session, rr, people.member, MONDAY_9AM + timedelta(hours=1), action="sign_for")
    assert timer(session, rr, SlaClock.response).met_at is None  # first contact still missing
    do(session, rr, people.member, MONDAY_9AM + timedelta(hours=2), action="first_contact")
    met = timer(session, rr, SlaClock.response)
    assert met.met_at == MONDAY_9AM + timedelta(hours=2) and met.next_action_at is None


def test_emergency_is_due_in_two_hours(session: Session, people: People) -> None:
    rr = make_resident_request(
        session, actor_of(session, people.member), people.town.grid_a1, category="治安隐患", now=MONDAY_9AM
    )
    assert timer(session, rr).due_at == MONDAY_9AM + timedelta(hours=2)


def test_at_night_a_breach_waits_for_seven_but_an_emergencys_goes_at_once(session: Session, people: People) -> None:
    general = dispatched(session, people)
    evening = datetime(2026, 11, 9, 21, 0, tzinfo=SHANGHAI)
    emergency = dispatched(session, people, evening, category="治安隐患")  # due at 23:00
    night = DUE + timedelta(minutes=1)
    run(session, night)
    morning = datetime(2026, 11, 10, 7, 0, tzinfo=SHANGHAI)
    for rr, pocket_at in ((general, morning), (emergency, night)):
        rows = session.exec(
            select(Notification.channel, Notification.next_attempt_at)
            .where(Notification.resident_request_id == rr.id, Notification.kind == "sla_breached")
            .where(col(Notification.channel) != NotificationChannel.digest)
        ).all()
        assert {str(channel): at for channel, at in rows} == {"inbox": night, "push": pocket_at, "sms": pocket_at}


def test_nothing_due_nothing_done(session: Session, people: People) -> None:
    dispatched(session, people)
    report = run(session, MONDAY_9AM + timedelta(days=1, hours=1))  # response clock met? no: it breaches
    assert report.advanced == 1  # the response clock (24 h) is past warning and due
    again = run(session, MONDAY_9AM + timedelta(days=1, hours=1))
    assert (again.timers, again.advanced, again.notifications) == (0, 0, 0)


def test_warning_then_breach_then_leadership(session: Session, people: People) -> None:
    rr = dispatched(session, people)
    do(session, rr, people.member, MONDAY_9AM + timedelta(hours=1), action="start")
    do(session, rr, people.member, MONDAY_9AM + timedelta(hours=1), action="first_contact")
    feedback = timer(session, rr)

    run(session, feedback.warn_at - timedelta(seconds=1))
    assert timer(session, rr).stage == SlaStage.running and sla_events(session, rr) == []

    run(session, feedback.warn_at)
    session.refresh(rr)
    assert timer(session, rr).stage == SlaStage.warning and rr.supervision == Supervision.yellow
    assert sla_events(session, rr) == ["sla_warning"]
    member = people.member.id
    assert notices(session, rr) == [(member, "inbox", "sla_warning"), (member, "push", "sla_warning")]

    run(session, DUE + timedelta(seconds=1))
    rr = session.get_one(ResidentRequest, rr.id, populate_existing=True)
    assert rr.supervision == Supervision.red and rr.escalated_to_unit_id == people.town.village_a.id
    assert sla_events(session, rr) == ["sla_warning", "sla_breach"]
    breach = [n for n in notices(session, rr) if n[2] == "sla_breached"]
    village = people.village.id
    assert breach == [
        (member, "inbox", "sla_breached"),
        (member, "push", "sla_breached"),
        (member, "sms", "sla_breached"),
        (village, "inbox", "sla_breached"),
        (village, "push", "sla_breached"),
        (village, "sms", "sla_breached"),
    ]

    run(session, DUE + timedelta(days=2, seconds=1))
    session.refresh(rr)
    assert rr.escalated_to_unit_id == people.town.town.id
    assert sla_events(session, rr) == ["sla_warning", "sla_breach", "sla_leadership"]
    leadership = {(r, c) for r, c, k in notices(session, rr) if k == "sla_leadership"}
    cadre = people.cadre.id
    # The town cadre sees it in the inbox and in the daily digest, not as a message of its own.
    assert (cadre, "inbox") in leadership and (cadre, "digest") in leadership
    assert (cadre, "push") not in leadership and (cadre, "sms") not in leadership
    final = timer(session, rr)
    assert final.stage == SlaStage.leadership and final.next_action_at is None and final.breached_at is not None

    # The request stays where it was handled: the first unit is still responsible.
    assert rr.handling_unit_id == people.town.grid_a1.id and rr.status == RequestStatus.in_progress


def test_worker_down_26_hours_notifies_once_at_the_highest_stage(session: Session, people: People) -> None:
    rr = dispatched(session, people)
    do(session, rr, people.member, MONDAY_9AM + timedelta(hours=1), action="sign_for")
    do(session, rr, people.member, MONDAY_9AM + timedelta(hours=1), action="first_contact")
    report = run(session, DUE + timedelta(hours=26))
    assert report.advanced == 1
    assert sla_events(session, rr) == ["sla_warning", "sla_breach"]  # the timeline shows both cards
    kinds = {kind for _, _, kind in notices(session, rr)}
    assert kinds == {"sla_breached"}  # nobody hears a stale warning
    assert run(session, DUE + timedelta(hours=27)).notifications == 0


def test_an_answer_stops_the_clock(session: Session, people: People) -> None:
    rr = dispatched(session, people)
    do(session, rr, people.member, MONDAY_9AM + timedelta(hours=1), action="start")
    do(
        session,
        rr,
        people.member,
        MONDAY_9AM + timedelta(days=2),
        action="reply",
        closure_type="substantive",
        note="已修好",
    )
    done = timer(session, rr)
    assert done.met_at == MONDAY_9AM + timedelta(days=2) and done.next_action_at is None
    assert run(session, DUE + timedelta(days=5)).advanced == 0
    assert sla_events(session, rr) == []


def test_unsatisfied_reopen_starts_a_new_cycle(session: Session, people: People) -> None:
    rr = dispatched(session, people)
    do(session, rr, people.member, MONDAY_9AM + timedelta(hours=1), action="start")
    run(session, DUE - timedelta(hours=10))  # a yellow card in cycle 1
    do(session, rr, people.member, DUE - timedelta(hours=5), action="reply", closure_type="phased", note="已处理")
    reopened_at = DUE + timedelta(days=1)
    request_actions.rate(session, rr, "unsatisfied", "还是不亮", now=reopened_at)  # type: ignore[arg-type]
    session.refresh(rr)
    assert rr.cycle == 2 and rr.status == RequestStatus.dispatched and rr.supervision == Supervision.normal
    second = timer(session, rr, cycle=2)
    assert second.stage == SlaStage.running and second.started_at > reopened_at
    assert rr.feedback_due_at == second.due_at == datetime(2026, 11, 17, 23, 59, 59, tzinfo=SHANGHAI)


def test_extension_by_a_town_cadre_moves_the_due_time_and_is_audited(session: Session, people: People) -> None:
    rr = dispatched(session, people)
    new_due = DUE + timedelta(days=7)
    with pytest.raises(PermissionDenied):
        do(session, rr, people.village, MONDAY_9AM + timedelta(days=1), action="extend", due_at=new_due, note="需协调")
    with pytest.raises(Invalid) as earlier:
        do(session, rr, people.cadre, MONDAY_9AM + timedelta(days=1), action="extend", due_at=DUE, note="需协调")
    assert earlier.value.detail[0]["loc"] == ["body", "due_at"]
    do(session, rr, people.cadre, MONDAY_9AM + timedelta(days=1), action="extend", due_at=new_due, note="需协调水务")
    session.refresh(rr)
    extended = timer(session, rr)
    assert extended.due_at == new_due == rr.feedback_due_at and extended.extended_at is not None
    audit = session.exec(select(AuditLog).where(AuditLog.action == "request.extend")).all()
    assert [(a.target_id, a.reason) for a in audit] == [(str(rr.id), "需协调水务")]
    assert run(session, DUE + timedelta(hours=1)).advanced == 1  # the response clock, never met
    assert timer(session, rr).stage == SlaStage.running  # the warning moved with the due time


def test_a_request_waiting_in_the_village_escalates_to_the_town(session: Session, people: People) -> None:
    rr = make_resident_request(session, actor_of(session, people.member), people.town.grid_a1, now=MONDAY_9AM)
    assert rr.handling_unit_id == people.town.village_a.id  # no routing rule: the village queue
    run(session, DUE + timedelta(seconds=1))
    session.refresh(rr)
    assert rr.escalated_to_unit_id == people.town.town.id
    inbox = {r for r, c, k in notices(session, rr) if c == "inbox" and k == "sla_breached"}
    assert people.cadre.id in inbox and people.village.id in inbox


# Two sweepers at once need real, committed rows seen from separate connections.


@pytest.fixture
def committed(engine: Engine) -> Iterator[tuple[People, list[ResidentRequest]]]:
    with Session(engine, expire_on_commit=False) as session:
        people = make_people(session, prefix="990777")
        requests = [dispatched(session, people, MONDAY_9AM + timedelta(minutes=i)) for i in range(12)]
        session.commit()
    try:
        yield people, requests
    finally:
        with Session(engine) as session:
            ids = [rr.id for rr in requests]
            units = session.exec(select(OrgUnit.id).where(col(OrgUnit.code).startswith("990777"))).all()
            users = session.exec(select(User.id).where(col(User.org_unit_id).in_(units))).all()
            for model, column in (
                (Notification, Notification.resident_request_id),
                (SlaTimer, SlaTimer.resident_request_id),
                (ResidentRequestEvent, ResidentRequestEvent.resident_request_id),
            ):
                session.execute(delete(model).where(col(column).in_(ids)))
            session.execute(delete(Notification).where(col(Notification.recipient_id).in_(users)))
            session.execute(delete(AuditLog).where(col(AuditLog.actor_id).in_(users)))
            session.execute(delete(ResidentRequest).where(col(ResidentRequest.id).in_(ids)))
            session.execute(delete(User).where(col(User.id).in_(users)))
            for unit_id in sorted((u for u in units if u is not None), reverse=True):
                session.execute(delete(OrgUnit).where(col(OrgUnit.id) == unit_id))
            session.commit()


def test_two_sweepers_at_once_write_each_event_and_notification_once(
    engine: Engine, committed: tuple[People, list[ResidentRequest]]
) -> None:
    _, requests = committed
    now = DUE + timedelta(minutes=30)  # warning and breach of every feedback clock, breach of every response clock
    reports: list[SweepReport] = []
    errors = run_at_once(2, lambda: reports.append(sweep(now, engine=engine, batch=5)))
    assert errors == []
    assert sum(r.advanced for r in reports) == 2 * len(requests)  # each clock moved once, by one of them
    ids = [rr.id for rr in requests]
    with Session(engine) as session:
        events = session.exec(
            select(ResidentRequestEvent.resident_request_id, ResidentRequestEvent.action, func.count())
            .where(col(ResidentRequestEvent.resident_request_id).in_(ids))
            .where(col(ResidentRequestEvent.action).startswith("sla_"))
            .group_by(col(ResidentRequestEvent.resident_request_id), col(ResidentRequestEvent.action))
        ).all()
        # One warning and one breach per clock (response and feedback) of each request, never more.
        assert len(events) == 2 * len(requests) and all(count == 2 for _, _, count in events)
        actions = {str(action) for _, action, _ in events}
        assert actions == {Action.sla_breach.value, Action.sla_warning.value}
        notified = session.exec(
            select(func.count())
            .select_from(Notification)
            .where(col(Notification.resident_request_id).in_(ids), col(Notification.kind).startswith("sla_"))
        ).one()
        # Per request: the response breach to the handler (3 channels) and the feedback breach to the handler
        # and the village (3 channels each); the warnings were passed over.
        assert notified == len(requests) * 9
        sent_to = session.exec(
            select(Notification.channel)
            .where(col(Notification.resident_request_id).in_(ids), col(Notification.kind).startswith("sla_"))
            .distinct()
        ).all()
        assert set(sent_to) == {NotificationChannel.inbox, NotificationChannel.push, NotificationChannel.sms}


def test_a_pausing_status_holds_the_clock(session: Session, people: People) -> None:
    admin = make_user(session, Role.admin, people.town.district)
    change = SlaPolicyChange(
        request_class=RequestClass.general,
        clock=SlaClock.feedback,
        unit=DurationUnit.calendar_days,
        amount=7,
        pause_statuses=[RequestStatus.accepted],
        reason="等待派单期间不计时（测试）",
    )
    sla_policies.change_policy(session, actor_of(session, admin), change, MONDAY_9AM - timedelta(days=1))
    rr = make_resident_request(session, actor_of(session, people.member), people.town.grid_a1, now=MONDAY_9AM)
    do(session, rr, people.village, MONDAY_9AM + timedelta(days=1), action="accept")  # paused
    paused = timer(session, rr)
    assert paused.paused_at is not None and paused.next_action_at is None
    assert run(session, DUE + timedelta(days=1)).advanced == 0  # a paused clock is never due
    do(
        session,
        rr,
        people.village,
        MONDAY_9AM + timedelta(days=4),
        action="dispatch",
        handling_unit_id=people.town.grid_a1.id,
    )  # resumed after 3 days
    resumed = timer(session, rr)
    assert resumed.paused_at is None and resumed.paused_seconds == 3 * 86400
    assert resumed.due_at == DUE + timedelta(days=3) and resumed.next_action_at == resumed.warn_at


def test_a_breach_above_the_village_goes_to_its_stationed_cadre(session: Session, people: People) -> None:
    other = make_user(session, Role.town_cadre, people.town.town, name="镇干部乙")
    assert people.town.village_a.id is not None and people.cadre.id is not None
    session.add(
        Stationing(
            village_id=people.town.village_a.id,
            cadre_id=people.cadre.id,
            title="镇党委委员",
            weekday=2,
            start_time=time(9, 0),
            end_time=time(11, 30),
            place="村委会一楼",
            starts_on=date(2026, 11, 4),
        )
    )
    rr = make_resident_request(session, actor_of(session, people.member), people.town.grid_a1, now=MONDAY_9AM)
    run(session, DUE + timedelta(seconds=1))
    breach = {r for r, c, k in notices(session, rr) if c == "inbox" and k == "sla_breached"}
    assert people.cadre.id in breach and other.id not in breach  # the stationed cadre, not every town cadre
    run(session, DUE + timedelta(days=2, seconds=1))
    leadership = {r for r, c, k in notices(session, rr) if c == "inbox" and k == "sla_leadership"}
    assert {people.cadre.id, other.id} <= leadership  # town leadership: all of the town's cadres


def test_two_clocks_of_one_request_in_one_batch_append_events_in_turn(session: Session, people: People) -> None:
    rr = dispatched(session, people)
    before = rr.event_count
    report = run(session, DUE + timedelta(minutes=30))  # the response clock warns and breaches, so does feedback
    assert (report.advanced, report.events) == (2, 4)
    rr = session.get_one(ResidentRequest, rr.id, populate_existing=True)
    seqs = session.exec(
        select(ResidentRequestEvent.seq)
        .where(ResidentRequestEvent.resident_request_id == rr.id)
        .order_by(col(ResidentRequestEvent.seq))
    ).all()
    assert rr.event_count == before + 4 and list(seqs) == list(range(1, rr.event_count + 1))
    assert rr.supervision == Supervision.red and rr.updated_at == DUE + timedelta(minutes=30)


def test_a_stage_moved_meanwhile_is_left_to_whoever_moved_it(session: Session, people: People) -> None:
    """The compare-and-set: a timer whose stage changed after the sweep read it is not moved again; the
    others of the batch still are."""
    first = dispatched(session, people)
    second = dispatched(session, people, MONDAY_9AM + timedelta(minutes=1))
    now = DUE + timedelta(hours=1)
    moves = [_plan(_Batch(session, now, SweepReport()), timer(session, rr)) for rr in (first, second)]
    elsewhere = MONDAY_9AM + timedelta(days=30)
    session.execute(  # another writer, after the sweep read the stage
        update(SlaTimer).where(col(SlaTimer.id) == moves[0].timer.id).values(stage=1, next_action_at=elsewhere)
    )
    assert [move.timer.id for move in _move_stages(session, moves, now)] == [moves[1].timer.id]
    assert (timer(session, first).stage, timer(session, first).next_action_at) == (SlaStage.warning, elsewhere)
    moved = timer(session, second)
    assert moved.stage == SlaStage.breached and moved.breached_at == now
