"""The work's measures for one unit and period, with the units one level below it for comparison. A tree
unit (town, village, grid) counts the requests located in its subtree; a department those transferred to it
or in its hands. Each fact is read once for the whole report, grouped and counted per leaf unit in SQL
(services/measures/facts.py), and shared out to the unit and the child above the leaf; services/rules/metrics.py
decides what counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import ClosureType, RatingLevel, RequestStatus, Resolution, Role, SlaClock, UnitKind
from models.grid import Household
from models.metrics_schemas import (
    METRICS,
    PUBLIC_METRICS,
    PUBLIC_MIN_COUNT,
    MetricsReport,
    MetricValue,
    PublicMeasure,
    PublicResults,
    PublicUnitResults,
    UnitMetrics,
)
from models.org import OrgUnit
from models.stationing import ReceptionSession, Stationing
from services.actor import Actor
from services.clocks.calendar import local_today
from services.errors import NotFound
from services.gridwork import visits_due
from services.measures import facts
from services.measures.facts import Period as Period  # the routes name a report's period through here
from services.people import reach
from services.rules import metrics as rules

# Tree roles read the measures of their own subtree; a department handler those of their department.
TREE_READERS = frozenset({Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre})


def report(session: Session, actor: Actor, unit_id: int, period: Period) -> MetricsReport:
    """The unit's measures and its children's, for a unit in the actor's reach (404 otherwise, fail closed)."""
    unit = _in_reach(session, actor, unit_id)
    if unit.kind == UnitKind.department:
        return _report(period, _alone(session, actor, unit, period), [])
    children = _children(session, unit)
    tree = [c for c in children if c.kind != UnitKind.department]
    facts = _Facts.for_tree(session, unit, tree)
    facts.read(session, actor, unit, period)
    measured = {c.id: _unit_metrics(c, facts.ratios(c)) for c in tree}
    measured |= {c.id: _alone(session, actor, c, period) for c in children if c.kind == UnitKind.department}
    return _report(period, _unit_metrics(unit, facts.ratios(unit)), [measured[c.id] for c in children])


def _report(period: Period, unit: UnitMetrics, children: list[UnitMetrics]) -> MetricsReport:
    return MetricsReport(
        period_from=period.start, period_to=period.end, computed_at=period.now, unit=unit, children=children
    )


def _alone(session: Session, actor: Actor, department: OrgUnit, period: Period) -> UnitMetrics:
    """A department's measures: its facts are not part of any subtree, so they are read on their own."""
    facts = _Facts.alone(department)
    facts.read(session, actor, department, period)
    return _unit_metrics(department, facts.ratios(department))


def public_results(session: Session, unit_id: int, period: Period) -> PublicResults:
    """A town's or village's published results (a town's villages ranked beside it), no login: aggregates
    only, and a rate over fewer than PUBLIC_MIN_COUNT items is withheld, so no one resident's rating shows."""
    unit = session.get(OrgUnit, unit_id)
    if unit is None or not unit.is_active or unit.kind not in (UnitKind.town, UnitKind.village):
        raise NotFound("没有这个镇街或村（社区）", code="unit_not_found")
    villages = [c for c in _children(session, unit) if c.kind == UnitKind.village]
    facts = _Facts.for_tree(session, unit, villages)
    facts.read(session, None, unit, period)
    return PublicResults(
        period_from=period.start,
        period_to=period.end,
        unit=_public(unit, facts.ratios(unit)),
        children=[_public(v, facts.ratios(v)) for v in villages],
    )


def _public(unit: OrgUnit, ratios: dict[str, rules.Ratio]) -> PublicUnitResults:
    assert unit.id is not None
    measures = {}
    for key in PUBLIC_METRICS:
        ratio, label = ratios[key], METRICS[key][0]
        shown = ratio.denominator >= PUBLIC_MIN_COUNT
        measures[key] = PublicMeasure(
            label=label,
            rate=ratio.rate if shown else None,
            counted=ratio.denominator if shown else None,
            note=None if shown else f"不足 {PUBLIC_MIN_COUNT} 件，暂不公布",
        )
    return PublicUnitResults(unit_id=unit.id, unit_name=unit.name, measures=measures)


def _in_reach(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is not None and actor.unit_path:
        if actor.role in TREE_READERS and unit.kind != UnitKind.department and reach.within(unit.path, actor.unit_path):
            return unit
        if actor.role == Role.department_handler and unit.id == actor.unit_id:
            return unit
    raise NotFound("单位不存在或不在您的范围", code="unit_not_found")


def _children(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    rows = session.exec(
        select(OrgUnit).where(OrgUnit.parent_id == unit.id, col(OrgUnit.is_active).is_(True)).order_by(col(OrgUnit.id))
    )
    return list(rows.all())


@dataclass
class _Facts:
    """Grouped facts per report unit: which report units a leaf counts for, and the groups read so far."""

    tree: bool
    owners: Callable[[Any], list[int]]  # leaf unit id -> the report units it counts for
    groups: dict[str, dict[int, list[Any]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    @classmethod
    def for_tree(cls, session: Session, unit: OrgUnit, children: list[OrgUnit]) -> _Facts:
        """A leaf counts for the unit and for the child whose subtree holds it."""
        assert unit.id is not None
        child_ids = {c.id for c in children}
        owners: dict[int, list[int]] = {}
        units = select(col(OrgUnit.id), col(OrgUnit.path)).where(reach.subtree(unit.path))
        for leaf_id, path in session.exec(units):
            assert leaf_id is not None
            below = path[len(unit.path) :].split("/")[0]
            child = int(below) if below.isdigit() and int(below) in child_ids else None
            owners[leaf_id] = [unit.id] + ([child] if child is not None else [])
        return cls(True, lambda leaf: owners.get(leaf, []))

    @classmethod
    def alone(cls, unit: OrgUnit) -> _Facts:
        assert unit.id is not None
        unit_id = unit.id
        return cls(False, lambda _: [unit_id])

    def add(self, kind: str, rows: Iterable[Any]) -> None:
        for leaf, *group in rows:
            for owner in self.owners(leaf):
                self.groups[kind][owner].append(tuple(group))

    def read(self, session: Session, actor: Actor | None, unit: OrgUnit, period: Period) -> None:
        """Every fact of the unit's requests in the period; visit coverage only for a staff reader (it reads
        households), never for the public."""
        scope = facts.scope(unit)
        self.add("clock", facts.clock_rows(session, scope, period))
        self.add("request", facts.request_rows(session, scope, period))
        self.add("rating", facts.rating_rows(session, scope, period))
        self.add("callback", facts.callback_rows(session, scope, period))
        if self.tree:
            self.add("session", _session_rows(session, unit, period))
            if actor is not None:
                self.add("coverage", _coverage_rows(session, actor, unit, period))

    def ratios(self, unit: OrgUnit) -> dict[str, rules.Ratio]:
        assert unit.id is not None
        groups = {kind: by_owner.get(unit.id, []) for kind, by_owner in self.groups.items()}
        clocks = groups.get("clock", [])
        figures = _request_figures(groups.get("request", []))
        callbacks = _callbacks(groups.get("callback", []))
        ratings = [(RatingLevel(level), n) for level, n in groups.get("rating", [])]
        satisfaction = rules.satisfaction_by_source(ratings, callbacks)
        solved, partly = rules.resolution(callbacks)
        coverage = groups.get("coverage", [])
        return {
            "response_rate": _clock(clocks, SlaClock.response),
            "on_time_feedback_rate": _clock(clocks, SlaClock.feedback),
            "handling_rate": figures.handling,
            "on_spot_rate": figures.on_spot,
            "satisfaction_rate": satisfaction.combined,
            "strict_satisfaction_rate": satisfaction.combined_strict,
            "own_satisfaction_rate": satisfaction.own,
            "callback_satisfaction_rate": satisfaction.callback,
            "resolution_rate": solved,
            "partial_resolution_rate": partly,
            "reopen_rate": figures.reopen,
            "extension_rate": figures.extension,
            "unrated_close_rate": figures.unrated_close,
            "uncallable_rate": figures.uncallable,
            "visit_coverage": rules.Ratio(sum(v for _, v in coverage), sum(d for d, _ in coverage)),
            "attendance_rate": rules.attendance((s, bool(p), n) for s, p, n in groups.get("session", [])),
        }


def _request_figures(groups: list[Any]) -> rules.RequestFigures:
    return rules.request_figures(
        (
            rules.RequestRow(
                RequestStatus(s), ClosureType(c) if c else None, cycle, bool(rep), bool(ext), bool(unrated), bool(nop)
            ),
            n,
        )
        for s, c, cycle, rep, ext, unrated, nop, n in groups
    )


def _callbacks(groups: list[Any]) -> list[tuple[rules.CallbackRow, int]]:
    return [
        (
            rules.CallbackRow(
                bool(reached),
                Resolution(found) if found else None,
                RatingLevel(level) if level else None,
                bool(rated),
            ),
            n,
        )
        for reached, found, level, rated, n in groups
    ]


def _clock(groups: list[Any], clock: SlaClock) -> rules.Ratio:
    return rules.clock_ratio((bool(m), bool(by), bool(past), n) for c, m, by, past, n in groups if c == clock)


def _unit_metrics(unit: OrgUnit, ratios: dict[str, rules.Ratio]) -> UnitMetrics:
    assert unit.id is not None
    return UnitMetrics(
        unit_id=unit.id, unit_name=unit.name, unit_kind=unit.kind, metrics={k: _value(k, ratios[k]) for k in METRICS}
    )


def _value(key: str, ratio: rules.Ratio) -> MetricValue:
    label, definition = METRICS[key]
    return MetricValue(
        numerator=ratio.numerator, denominator=ratio.denominator, rate=ratio.rate, label=label, definition=definition
    )


def _session_rows(session: Session, unit: OrgUnit, period: Period) -> Any:
    """Reception days of stationings at the tree's villages, per village, by local day."""
    tz = get_settings().tz
    first, last = period.start.astimezone(tz).date(), period.end.astimezone(tz).date()
    held_on, village = col(ReceptionSession.held_on), col(Stationing.village_id)
    return facts.grouped(
        session,
        village,
        col(ReceptionSession.status),
        held_on < local_today(period.now),
        join=(ReceptionSession, Stationing, col(Stationing.id) == col(ReceptionSession.stationing_id)),
        where=(village.in_(facts.subtree(unit)), held_on >= first, held_on < last),
    )


def _coverage_rows(session: Session, actor: Actor, unit: OrgUnit, period: Period) -> list[tuple[int, int, int]]:
    """Per active grid of the tree with households: (grid, households due a visit, of those visited)."""
    if actor.role not in TREE_READERS:
        return []
    grids = session.exec(
        select(OrgUnit.id).where(
            reach.subtree(unit.path),
            OrgUnit.kind == UnitKind.grid,
            col(OrgUnit.is_active).is_(True),
            col(OrgUnit.id).in_(select(Household.grid_id)),
        )
    ).all()
    rows = []
    for grid_id in grids:
        assert grid_id is not None  # a primary key
        found = visits_due.coverage(session, actor, grid_id, period_from=period.start, period_to=period.end)
        rows.append((grid_id, found.households_due, found.households_due_visited))
    return rows
