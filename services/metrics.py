"""The work's measures for one unit and period, with the units one level below it for comparison. A tree
unit (town, village, grid) counts the requests located in its subtree; a department those transferred to it
or in its hands. Rows are read here; services/rules/metrics.py decides what counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import Action, ClosureType, RatingLevel, RequestStatus, Role, SlaClock, UnitKind
from models.grid import Household
from models.metrics_schemas import METRICS, MetricsReport, MetricValue, UnitMetrics
from models.org import OrgUnit
from models.resident_request import Rating, ResidentRequest, ResidentRequestEvent, Transfer
from models.sla import SlaTimer
from models.stationing import ReceptionSession, Stationing
from services import visits_due
from services.actor import Actor
from services.errors import NotFound
from services.rules import metrics as rules

# Tree roles read the measures of their own subtree; a department handler those of their department.
TREE_READERS = frozenset({Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre})
EXTENDED = (Action.extend, Action.approve_extension)


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    now: datetime


def report(session: Session, actor: Actor, unit_id: int, period: Period) -> MetricsReport:
    """The unit's measures and its children's, for a unit in the actor's reach (404 otherwise, fail closed)."""
    unit = _in_reach(session, actor, unit_id)
    children = [] if unit.kind == UnitKind.department else _children(session, unit)
    return MetricsReport(
        period_from=period.start,
        period_to=period.end,
        computed_at=period.now,
        unit=_measure(session, actor, unit, period),
        children=[_measure(session, actor, child, period) for child in children],
    )


def _in_reach(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is not None and actor.unit_path:
        if actor.role in TREE_READERS and unit.kind != UnitKind.department and unit.path.startswith(actor.unit_path):
            return unit
        if actor.role == Role.department_handler and unit.id == actor.unit_id:
            return unit
    raise NotFound("单位不存在或不在您的范围", code="unit_not_found")


def _children(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    rows = session.exec(
        select(OrgUnit).where(OrgUnit.parent_id == unit.id, col(OrgUnit.is_active).is_(True)).order_by(col(OrgUnit.id))
    )
    return list(rows.all())


def _measure(session: Session, actor: Actor, unit: OrgUnit, period: Period) -> UnitMetrics:
    scope = _request_scope(unit)
    feedback, response = _clocks(session, scope, period)
    figures = rules.request_figures(_request_rows(session, scope, period))
    broad, strict = rules.satisfaction(_ratings(session, scope, period))
    ratios = {
        "response_rate": response,
        "on_time_feedback_rate": feedback,
        "handling_rate": figures.handling,
        "on_spot_rate": figures.on_spot,
        "satisfaction_rate": broad,
        "strict_satisfaction_rate": strict,
        "reopen_rate": figures.reopen,
        "extension_rate": figures.extension,
        "visit_coverage": _coverage(session, actor, unit, period),
        "attendance_rate": _attendance(session, unit, period),
    }
    assert unit.id is not None
    return UnitMetrics(
        unit_id=unit.id,
        unit_name=unit.name,
        unit_kind=unit.kind,
        metrics={key: _value(key, ratios[key]) for key in METRICS},
    )


def _value(key: str, ratio: rules.Ratio) -> MetricValue:
    label, definition = METRICS[key]
    return MetricValue(
        numerator=ratio.numerator, denominator=ratio.denominator, rate=ratio.rate, label=label, definition=definition
    )


def _subtree(unit: OrgUnit) -> Any:
    return select(OrgUnit.id).where(col(OrgUnit.path).startswith(unit.path))


def _request_scope(unit: OrgUnit) -> ColumnElement[bool]:
    """Which requests are the unit's: located in its subtree, or for a department, sent to or held by it."""
    if unit.kind == UnitKind.department:
        sent = select(Transfer.resident_request_id).where(Transfer.department_id == unit.id)
        return or_(col(ResidentRequest.id).in_(sent), col(ResidentRequest.handling_unit_id) == unit.id)
    return col(ResidentRequest.unit_id).in_(_subtree(unit))


def _clocks(session: Session, scope: ColumnElement[bool], period: Period) -> tuple[rules.Ratio, rules.Ratio]:
    rows = session.exec(
        select(SlaTimer.clock, SlaTimer.due_at, SlaTimer.met_at)
        .join(ResidentRequest, col(ResidentRequest.id) == col(SlaTimer.resident_request_id))
        .where(scope, col(SlaTimer.due_at) >= period.start, col(SlaTimer.due_at) < period.end)
    ).all()
    by_clock: dict[str, list[tuple[datetime, datetime | None]]] = {SlaClock.feedback: [], SlaClock.response: []}
    for clock, due_at, met_at in rows:
        by_clock.setdefault(clock, []).append((due_at, met_at))
    return (
        rules.clock_ratio(by_clock[SlaClock.feedback], period.now),
        rules.clock_ratio(by_clock[SlaClock.response], period.now),
    )


def _request_rows(session: Session, scope: ColumnElement[bool], period: Period) -> list[rules.RequestRow]:
    extended = select(ResidentRequestEvent.resident_request_id).where(col(ResidentRequestEvent.action).in_(EXTENDED))
    columns = (
        col(ResidentRequest.status),
        col(ResidentRequest.closure_type),
        col(ResidentRequest.cycle),
        col(ResidentRequest.replied_at).is_not(None),
        col(ResidentRequest.id).in_(extended),
    )
    registered = col(ResidentRequest.registered_at)
    rows = session.execute(  # five columns: past what sqlmodel's select types
        sa_select(*columns).where(scope, registered >= period.start, registered < period.end)
    ).all()
    return [
        rules.RequestRow(RequestStatus(s), ClosureType(c) if c else None, cycle, bool(replied), bool(ext))
        for s, c, cycle, replied, ext in rows
    ]


def _ratings(session: Session, scope: ColumnElement[bool], period: Period) -> list[RatingLevel]:
    rows = session.exec(
        select(Rating.level)
        .join(ResidentRequest, col(ResidentRequest.id) == col(Rating.resident_request_id))
        .where(scope, col(Rating.rated_at) >= period.start, col(Rating.rated_at) < period.end)
    ).all()
    return [RatingLevel(level) for level in rows]


def _coverage(session: Session, actor: Actor, unit: OrgUnit, period: Period) -> rules.Ratio:
    """Summed over the unit's grids that have households (departments have none)."""
    if unit.kind == UnitKind.department or actor.role not in TREE_READERS:
        return rules.Ratio(0, 0)
    grids = session.exec(
        select(col(OrgUnit.id))
        .where(col(OrgUnit.path).startswith(unit.path), OrgUnit.kind == UnitKind.grid, col(OrgUnit.is_active))
        .where(col(OrgUnit.id).in_(select(Household.grid_id)))
    ).all()
    due = visited = 0
    for grid_id in grids:
        assert grid_id is not None  # a primary key
        found = visits_due.coverage(session, actor, grid_id, period_from=period.start, period_to=period.end)
        due, visited = due + found.households_due, visited + found.households_due_visited
    return rules.Ratio(visited, due)


def _attendance(session: Session, unit: OrgUnit, period: Period) -> rules.Ratio:
    if unit.kind == UnitKind.department:
        return rules.Ratio(0, 0)
    tz = get_settings().tz
    first, last = period.start.astimezone(tz).date(), period.end.astimezone(tz).date()
    rows = session.exec(
        select(col(ReceptionSession.status), col(ReceptionSession.held_on))
        .join(Stationing, col(Stationing.id) == col(ReceptionSession.stationing_id))
        .where(col(Stationing.village_id).in_(_subtree(unit)))
        .where(col(ReceptionSession.held_on) >= first, col(ReceptionSession.held_on) < last)
    ).all()
    return rules.attendance(rows, period.now.astimezone(tz).date())
