"""Org tree use cases: units are created, renamed, moved and deactivated, never deleted."""

from __future__ import annotations

from sqlmodel import Session

from core.clock import utc_now
from models.enums import UnitKind
from models.org import OrgUnit


def place_unit(session: Session, unit: OrgUnit, parent: OrgUnit | None) -> OrgUnit:
    """Insert `unit` under `parent` and give it its materialised path."""
    unit.parent_id = parent.id if parent else None
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.updated_at = utc_now()
    session.flush()
    return unit


def add_unit(session: Session, kind: UnitKind, name: str, code: str, parent: OrgUnit | None) -> OrgUnit:
    """Create a unit without validation: for demo data and tests that build known-good trees."""
    return place_unit(session, OrgUnit(kind=kind, name=name, code=code), parent)
