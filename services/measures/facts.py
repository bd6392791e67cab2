"""The requests' facts the measures count, each read once per report: grouped per leaf unit and counted in SQL
(a handful of rows however many requests there are). Which requests are a unit's is `scope`; what counts in
each measure is services/rules/metrics.py's to decide."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from models.enums import Action, UnitKind
from models.org import OrgUnit
from models.resident_request import Callback, Rating, ResidentRequest, ResidentRequestEvent, Transfer
from models.sla import SlaTimer
from services.people import reach

EXTENDED = (Action.extend, Action.approve_extension)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    now: datetime


def subtree(unit: OrgUnit) -> Any:
    return select(OrgUnit.id).where(reach.subtree(unit.path))


Scope = tuple[ColumnElement[bool], Any]  # which requests, and the column naming each one's leaf unit


def scope(unit: OrgUnit) -> Scope:
    """Which requests are the unit's, and the column naming the leaf each one counts under: located in its
    subtree (by the unit it is located in), or for a department, sent to or held by it (all under it)."""
    if unit.kind == UnitKind.department:
        sent = select(Transfer.resident_request_id).where(Transfer.department_id == unit.id)
        scope = or_(col(ResidentRequest.id).in_(sent), col(ResidentRequest.handling_unit_id) == unit.id)
        return scope, literal(unit.id)
    located = col(ResidentRequest.unit_id)
    return located.in_(subtree(unit)), located


def grouped(
    session: Session, *columns: Any, where: Iterable[ColumnElement[bool]], join: Any = None, outer: Any = None
) -> Any:
    """SELECT columns…, COUNT(*) … GROUP BY columns: a handful of rows however many requests there are."""
    query = sa_select(*columns, func.count())
    if join is not None:
        query = query.select_from(join[0]).join(*join[1:])
    if outer is not None:
        query = query.outerjoin(*outer)
    return session.execute(query.where(*where).group_by(*columns)).all()


def clock_rows(session: Session, scope: Scope, period: Period) -> Any:
    met, due = col(SlaTimer.met_at), col(SlaTimer.due_at)
    return grouped(
        session,
        scope[1],
        col(SlaTimer.clock),
        met.is_not(None),
        func.coalesce(met <= due, False),
        due <= period.now,
        join=(SlaTimer, ResidentRequest, col(ResidentRequest.id) == col(SlaTimer.resident_request_id)),
        where=(scope[0], due >= period.start, due < period.end),
    )


def _with_action(*actions: Action) -> Any:
    return select(ResidentRequestEvent.resident_request_id).where(col(ResidentRequestEvent.action).in_(actions))


def request_rows(session: Session, scope: Scope, period: Period) -> Any:
    registered = col(ResidentRequest.registered_at)
    return grouped(
        session,
        scope[1],
        col(ResidentRequest.status),
        col(ResidentRequest.closure_type),
        col(ResidentRequest.cycle),
        col(ResidentRequest.replied_at).is_not(None),
        col(ResidentRequest.id).in_(_with_action(*EXTENDED)),
        col(ResidentRequest.id).in_(_with_action(Action.close_unrated)),
        col(ResidentRequest.reporter_phone_last4).is_(None),
        where=(scope[0], registered >= period.start, registered < period.end),
    )


def rating_rows(session: Session, scope: Scope, period: Period) -> Any:
    rated = col(Rating.rated_at)
    return grouped(
        session,
        scope[1],
        col(Rating.level),
        join=(Rating, ResidentRequest, col(ResidentRequest.id) == col(Rating.resident_request_id)),
        where=(scope[0], rated >= period.start, rated < period.end),
    )


def callback_rows(session: Session, scope: Scope, period: Period) -> Any:
    """Callbacks of the period: reached or not, the answers, and whether the resident rated that cycle too."""
    called = col(Callback.called_at)
    same_cycle = and_(
        col(Rating.resident_request_id) == col(Callback.resident_request_id), col(Rating.cycle) == col(Callback.cycle)
    )
    return grouped(
        session,
        scope[1],
        col(Callback.reached),
        col(Callback.resolution),
        col(Callback.satisfaction),
        col(Rating.id).is_not(None),
        join=(Callback, ResidentRequest, col(ResidentRequest.id) == col(Callback.resident_request_id)),
        outer=(Rating, same_cycle),
        where=(scope[0], called >= period.start, called < period.end),
    )
