"""What a pull sends: the change log of the actor's grids, each entity once at its current state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models.enums import UnitKind
from models.grid import Household, Resident, SyncChange, Visit, VisitItem
from models.org import OrgUnit
from services.actor import Actor
from services.gridwork.sync_households import household_record, resident_record
from services.people import reach


def changes_page(
    session: Session, actor: Actor, since: int, limit: int, *, visits_after: datetime
) -> tuple[list[dict[str, Any]], int, bool]:
    """Changes after `since` in the actor's grids: (changes, the cursor to pass next, whether more wait)."""
    grids = select(OrgUnit.id).where(col(OrgUnit.kind) == UnitKind.grid, reach.subtree(actor.unit_path))
    rows = session.exec(
        select(SyncChange)
        .where(col(SyncChange.grid_id).in_(grids), col(SyncChange.seq) > since)
        .order_by(col(SyncChange.seq))
        .limit(limit + 1)
    ).all()
    page, has_more = rows[:limit], len(rows) > limit
    latest: dict[tuple[str, uuid.UUID], int] = {}
    for change in page:
        assert change.seq is not None
        latest[(change.entity, change.entity_id)] = change.seq
    records = _records(session, latest.keys(), visits_after)
    changes = [
        {"entity": entity, "id": str(entity_id), "seq": seq, "data": records[(entity, entity_id)]}
        for (entity, entity_id), seq in sorted(latest.items(), key=lambda item: item[1])
        if (entity, entity_id) in records
    ]
    next_seq = page[-1].seq if page and page[-1].seq is not None else since
    return changes, next_seq, has_more


def _records(session: Session, keys: Any, visits_after: datetime) -> dict[tuple[str, uuid.UUID], dict[str, Any]]:
    wanted: dict[str, list[uuid.UUID]] = {}
    for entity, entity_id in keys:
        wanted.setdefault(entity, []).append(entity_id)
    out: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
    if ids := wanted.get("household"):
        for household in session.exec(select(Household).where(col(Household.id).in_(ids))).all():
            out[("household", household.id)] = household_record(household)
    if ids := wanted.get("resident"):
        for resident in session.exec(select(Resident).where(col(Resident.id).in_(ids))).all():
            out[("resident", resident.id)] = resident_record(resident)
    if ids := wanted.get("visit"):
        recent = select(Visit).where(col(Visit.id).in_(ids), col(Visit.received_at) >= visits_after)
        found = session.exec(recent).all()
        items = _items(session, [v.id for v in found])
        for visit in found:
            out[("visit", visit.id)] = _visit_record(visit, items.get(visit.id, []))
    return out


def _items(session: Session, visit_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    by_visit: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if not visit_ids:
        return by_visit
    for item in session.exec(select(VisitItem).where(col(VisitItem.visit_id).in_(visit_ids))).all():
        by_visit.setdefault(item.visit_id, []).append(
            {
                "id": str(item.id),
                "kind": item.kind,
                "description": item.description,
                "outcome": item.outcome,
                "resident_request_id": str(item.resident_request_id) if item.resident_request_id else None,
            }
        )
    return by_visit


def visit_record(session: Session, visit: Visit) -> dict[str, Any]:
    """A visit as a phone may hold it, with its items."""
    return _visit_record(visit, _items(session, [visit.id]).get(visit.id, []))


def _visit_record(visit: Visit, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": str(visit.id),
        "grid_id": visit.grid_id,
        "household_id": str(visit.household_id) if visit.household_id else None,
        "place_text": visit.place_text,
        "visitor_id": visit.visitor_id,
        "notes": visit.notes,
        "visited_at": visit.visited_at.isoformat(),
        "received_at": visit.received_at.isoformat(),
        "items": items,
    }
