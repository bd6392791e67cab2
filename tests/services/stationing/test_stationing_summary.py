"""The stationed cadre's weekly summary: last week's figures, sent once per week."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from models.enums import Role
from models.notification import Notification
from models.stationing import ReceptionMatter, ReceptionSession, Stationing
from services.stationing import stationing_summary
from tests.factories import actor_of, make_resident_request, make_town, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 30, 8, 15, tzinfo=SHANGHAI)  # summarises Mon 11-23 … Sun 11-29


def test_last_weeks_figures_once(session: Session) -> None:
    town = make_town(session)
    cadre = make_user(session, Role.town_cadre, town.town)
    member = make_user(session, Role.grid_member, town.grid_a1)
    assert town.village_a.id is not None and cadre.id is not None
    stationing = Stationing(
        village_id=town.village_a.id,
        cadre_id=cadre.id,
        title="镇党委委员",
        weekday=1,
        start_time=time(9),
        end_time=time(11, 30),
        place="村委会",
        starts_on=date(2026, 11, 2),
    )
    session.add(stationing)
    session.flush()
    held = ReceptionSession(
        stationing_id=stationing.id or 0,
        slot_on=date(2026, 11, 24),
        held_on=date(2026, 11, 24),
        start_time=time(9),
        end_time=time(11, 30),
        place="村委会",
        status="held",
    )
    missed = ReceptionSession(
        stationing_id=stationing.id or 0,
        slot_on=date(2026, 11, 17),
        held_on=date(2026, 11, 26),  # moved into last week, then missed
        start_time=time(9),
        end_time=time(11, 30),
        place="村委会",
        status="missed",
        reason="防汛值班",
    )
    session.add_all([held, missed])
    session.flush()
    received_at = datetime(2026, 11, 24, 10, tzinfo=SHANGHAI)
    rr = make_resident_request(session, actor_of(session, member), town.grid_a1, now=received_at)
    session.add(
        ReceptionMatter(
            session_id=held.id or 0, resident_request_id=rr.id, outcome="registered", recorded_at=received_at
        )
    )
    make_resident_request(session, actor_of(session, member), town.grid_a1, now=MONDAY - timedelta(days=20))  # overdue

    week = stationing_summary.figures(session, cadre.id, MONDAY)
    assert (week.week_start, week.sessions_held, week.sessions_missed, week.matters) == (date(2026, 11, 23), 1, 1, 1)
    assert (week.solved_on_spot, week.transferred, week.overdue) == (0, 0, 1)
    assert stationing_summary.send(session, MONDAY) == 2  # inbox and push
    assert stationing_summary.send(session, MONDAY + timedelta(hours=3)) == 0  # a restart the same day
    [inbox] = session.exec(
        select(Notification).where(Notification.recipient_id == cadre.id, Notification.channel == "inbox")
    ).all()
    assert "驻点接待 1 次、缺席 1 次" in inbox.body and "超期未反馈 1 件" in inbox.body
