"""Who is due a visit, and how much of a grid was visited in a period.

The due list of a grid worker is (1) every household with an active enrolment they are responsible for,
at the shortest frequency among those enrolments, and (2) every active household of their own grid that is
on no ledger at all, at the monthly default. A household on a ledger that someone else is responsible for
is on that person's list, not on everyone's."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.enums import Role
from models.grid import Household, LedgerEnrolment, LedgerType, Visit
from models.household_schemas import Coverage, DueHousehold
from services.actor import Actor
from services.errors import PermissionDenied
from services.gridwork.households import grid_in_scope
from services.people.visibility import readable_households

DEFAULT_VISIT_EVERY_DAYS = 30


@dataclass(frozen=True)
class _Target:
    household: Household
    every_days: int
    codes: tuple[str, ...]


def _frequencies(session: Session, where: Any) -> dict[uuid.UUID, tuple[int, list[str]]]:
    """Per household: the shortest frequency among its active enrolments matching `where`, and their codes."""
    rows = session.exec(
        select(
            LedgerEnrolment.household_id, LedgerEnrolment.visit_every_days, LedgerType.visit_every_days, LedgerType.code
        )
        .join(LedgerType, col(LedgerType.id) == LedgerEnrolment.ledger_type_id)
        .where(col(LedgerEnrolment.is_active).is_(True), where)
    ).all()
    found: dict[uuid.UUID, tuple[int, list[str]]] = {}
    for household_id, own_days, type_days, code in rows:
        days, codes = found.get(household_id, (10**6, []))
        found[household_id] = (min(days, own_days or type_days), [*codes, code])
    return found


def _last_visits(
    session: Session, household_ids: list[uuid.UUID], before: datetime | None = None
) -> dict[Any, datetime]:
    query = select(Visit.household_id, func.max(Visit.received_at)).where(col(Visit.household_id).in_(household_ids))
    if before is not None:
        query = query.where(col(Visit.received_at) < before)
    return dict(session.exec(query.group_by(col(Visit.household_id))).all())


def _targets(session: Session, actor: Actor) -> list[_Target]:
    mine = _frequencies(session, LedgerEnrolment.responsible_user_id == actor.id)
    on_any_ledger = select(LedgerEnrolment.household_id).where(col(LedgerEnrolment.is_active).is_(True))
    readable = readable_households(actor).where(col(Household.is_active).is_(True))
    responsible = session.exec(readable.where(col(Household.id).in_(list(mine)))).all() if mine else []
    unlisted = session.exec(
        readable.where(Household.grid_id == actor.unit_id, col(Household.id).not_in(on_any_ledger))
    ).all()
    targets = [_Target(h, mine[h.id][0], tuple(sorted(mine[h.id][1]))) for h in responsible]
    return targets + [_Target(h, DEFAULT_VISIT_EVERY_DAYS, ()) for h in unlisted]


def due_for(session: Session, actor: Actor, *, now: datetime) -> list[DueHousehold]:
    """Households whose last visit is older than their frequency: never visited first, then most overdue."""
    if actor.role not in (Role.grid_member, Role.grid_leader):
        raise PermissionDenied("待走访清单只对网格员和网格长开放", code="not_grid_staff")
    targets = _targets(session, actor)
    last = _last_visits(session, [t.household.id for t in targets])
    due: list[DueHousehold] = []
    for t in targets:
        last_at = last.get(t.household.id)
        due_at = last_at + timedelta(days=t.every_days) if last_at else None
        if due_at is not None and due_at > now:
            continue
        h = t.household
        due.append(
            DueHousehold(
                household_id=h.id,
                grid_id=h.grid_id,
                head_name=h.head_name,
                address_text=h.address_text,
                visit_every_days=t.every_days,
                ledger_type_codes=list(t.codes),
                last_visit_at=last_at,
                due_at=due_at,
                days_overdue=(now - due_at).days if due_at else None,
            )
        )
    return sorted(due, key=lambda d: (d.due_at is not None, d.due_at or now, str(d.household_id)))


def coverage(session: Session, actor: Actor, grid_id: int, *, period_from: datetime, period_to: datetime) -> Coverage:
    """Households visited in [from, to) among those due in it (never visited before `from`, or last visit
    before `from` plus their frequency falls before `to`)."""
    grid_in_scope(session, actor, grid_id)
    households = session.exec(
        readable_households(actor).where(
            Household.grid_id == grid_id, col(Household.is_active).is_(True), col(Household.created_at) < period_to
        )
    ).all()
    ids = [h.id for h in households]
    freq: dict[uuid.UUID, int] = defaultdict(lambda: DEFAULT_VISIT_EVERY_DAYS)
    freq.update(
        {hid: days for hid, (days, _) in _frequencies(session, col(LedgerEnrolment.household_id).in_(ids)).items()}
    )
    before = _last_visits(session, ids, before=period_from)
    visited = set(
        session.exec(
            select(Visit.household_id).where(
                col(Visit.household_id).in_(ids),
                col(Visit.received_at) >= period_from,
                col(Visit.received_at) < period_to,
            )
        ).all()
    )
    due = {hid for hid in ids if hid not in before or before[hid] + timedelta(days=freq[hid]) < period_to}
    due_visited = len(due & visited)
    return Coverage(
        grid_id=grid_id,
        period_from=period_from,
        period_to=period_to,
        households_total=len(ids),
        households_due=len(due),
        households_due_visited=due_visited,
        households_visited=len(visited),
        coverage=round(due_visited / len(due), 4) if due else None,
    )
