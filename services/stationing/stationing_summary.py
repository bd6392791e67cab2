"""The weekly summary each stationed cadre receives: last week's sessions and matters, what was transferred,
and what is overdue in their villages — one message through the outbox, never two for the same week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import Action, NotificationChannel, RequestStatus
from models.org import OrgUnit
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.stationing import ReceptionMatter, ReceptionSession, Stationing
from services.notify import outbox

_OPEN = (RequestStatus.registered, RequestStatus.accepted, RequestStatus.dispatched, RequestStatus.in_progress)


@dataclass(frozen=True)
class WeeklyFigures:
    week_start: date  # the Monday of the week summarised
    sessions_held: int
    sessions_missed: int
    matters: int
    solved_on_spot: int
    transferred: int
    overdue: int

    def text(self) -> str:
        return (
            f"上周（{self.week_start:%m月%d日}起）驻点接待 {self.sessions_held} 次"
            + (f"、缺席 {self.sessions_missed} 次" if self.sessions_missed else "")
            + f"，接待事项 {self.matters} 件，当场办结 {self.solved_on_spot} 件，转办 {self.transferred} 件；"
            + f"驻点村目前超期未反馈 {self.overdue} 件。"
        )


def previous_week(now: datetime) -> tuple[date, date]:
    """Monday and the following Monday of the week before the local date of `now`."""
    today = now.astimezone(get_settings().tz).date()
    this_monday = today - timedelta(days=today.weekday())
    return this_monday - timedelta(days=7), this_monday


def figures(session: Session, cadre_id: int, now: datetime) -> WeeklyFigures:
    start, end = previous_week(now)
    tz = get_settings().tz
    start_at = datetime.combine(start, time(0), tzinfo=tz)
    end_at = datetime.combine(end, time(0), tzinfo=tz)
    stationings = select(Stationing.id).where(Stationing.cadre_id == cadre_id, col(Stationing.is_active))
    villages = select(Stationing.village_id).where(Stationing.cadre_id == cadre_id, col(Stationing.is_active))
    in_week = (
        select(ReceptionSession.id, ReceptionSession.status)
        .where(col(ReceptionSession.stationing_id).in_(stationings))
        .where(col(ReceptionSession.held_on) >= start, col(ReceptionSession.held_on) < end)
    )
    statuses = [status for _, status in session.exec(in_week).all()]
    matters = session.exec(
        select(ReceptionMatter.outcome)
        .join(ReceptionSession, col(ReceptionSession.id) == ReceptionMatter.session_id)
        .where(col(ReceptionSession.stationing_id).in_(stationings))
        .where(col(ReceptionMatter.recorded_at) >= start_at, col(ReceptionMatter.recorded_at) < end_at)
    ).all()
    in_villages = select(OrgUnit.id).where((col(OrgUnit.id).in_(villages)) | (col(OrgUnit.parent_id).in_(villages)))
    transferred = session.exec(
        select(func.count())
        .select_from(ResidentRequestEvent)
        .join(ResidentRequest, col(ResidentRequest.id) == ResidentRequestEvent.resident_request_id)
        .where(ResidentRequestEvent.action == Action.transfer, col(ResidentRequest.unit_id).in_(in_villages))
        .where(col(ResidentRequestEvent.at) >= start_at, col(ResidentRequestEvent.at) < end_at)
    ).one()
    overdue = session.exec(
        select(func.count())
        .select_from(ResidentRequest)
        .where(col(ResidentRequest.unit_id).in_(in_villages), col(ResidentRequest.status).in_(_OPEN))
        .where(col(ResidentRequest.feedback_met_at).is_(None), col(ResidentRequest.feedback_due_at) < now)
    ).one()
    return WeeklyFigures(
        week_start=start,
        sessions_held=statuses.count("held"),
        sessions_missed=statuses.count("missed"),
        matters=len(matters),
        solved_on_spot=matters.count("solved_on_spot"),
        transferred=int(transferred),
        overdue=int(overdue),
    )


def send(session: Session, now: datetime) -> int:
    """One summary per active stationed cadre for last week (inbox and push); returns how many were new."""
    cadres = sorted(set(session.exec(select(Stationing.cadre_id).where(col(Stationing.is_active))).all()))
    written = 0
    for cadre_id in cadres:
        week = figures(session, cadre_id, now)
        written += outbox.enqueue(
            session,
            recipient_ids=[cadre_id],
            channels=[NotificationChannel.inbox, NotificationChannel.push],
            kind="stationing_weekly",
            title=f"驻点工作周报（{week.week_start:%m月%d日}起）",
            body=week.text(),
            dedupe_key=f"stationing-weekly:{cadre_id}:{week.week_start.isoformat()}",
            now=now,
        )
    return written
