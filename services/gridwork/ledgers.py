"""Ledgers (台账): admin-edited types, enrolments of a household or person; sensitive ones limited and audited."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import or_, true
from sqlmodel import Session, col, select

from models.enums import Role
from models.grid import Household, LedgerEnrolment, LedgerType, Resident
from models.household_schemas import (
    EnrolmentCreate,
    EnrolmentPage,
    EnrolmentPublic,
    LedgerTypeCreate,
    LedgerTypePublic,
    LedgerTypeUpdate,
)
from models.user import User
from services import audit, keyset
from services.actor import Actor
from services.errors import Conflict, Invalid, NotFound, PermissionDenied
from services.gridwork.households import get_readable, next_version
from services.gridwork.sync_log import record_change
from services.people.visibility import HOUSEHOLD_READERS, readable_households

# Who reads every sensitive enrolment in their subtree; a grid member reads only those they are responsible for.
SENSITIVE_READERS = frozenset({Role.grid_leader, Role.village_staff, Role.town_cadre})
_GRID_STAFF = (Role.grid_member, Role.grid_leader)


def list_types(session: Session) -> list[LedgerTypePublic]:
    rows = session.exec(select(LedgerType).order_by(col(LedgerType.id))).all()
    return [LedgerTypePublic.model_validate(t) for t in rows]


def create_type(session: Session, actor: Actor, data: LedgerTypeCreate, *, now: datetime) -> LedgerType:
    """A new kind of ledger; codes are unique and never change."""
    if session.exec(select(LedgerType).where(LedgerType.code == data.code)).first() is not None:
        raise Conflict("台账代码已存在", code="ledger_type_exists")
    ledger_type = LedgerType(**data.model_dump(), created_at=now)
    session.add(ledger_type)
    session.flush()
    audit.record(
        session, "ledger_type.create", actor=actor, target_type="ledger_type", target_id=ledger_type.id, now=now
    )
    return ledger_type


def update_type(session: Session, actor: Actor, type_id: int, data: LedgerTypeUpdate, *, now: datetime) -> LedgerType:
    """Change name, sensitivity, frequency or attributes; the change is audited (sensitivity is a permission)."""
    ledger_type = session.get(LedgerType, type_id)
    if ledger_type is None:
        raise NotFound("台账类型不存在", code="ledger_type_not_found")
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    for name, value in changes.items():
        setattr(ledger_type, name, value)
    session.add(ledger_type)
    audit.record(
        session,
        "ledger_type.update",
        actor=actor,
        target_type="ledger_type",
        target_id=type_id,
        detail=changes,
        now=now,
    )
    return ledger_type


def _sensitive_clause(actor: Actor) -> Any:
    if actor.role in SENSITIVE_READERS:
        return true()
    if actor.role == Role.grid_member:
        return or_(col(LedgerType.is_sensitive).is_(False), col(LedgerEnrolment.responsible_user_id) == actor.id)
    return col(LedgerType.is_sensitive).is_(False)


def readable_enrolments(actor: Actor) -> Any:
    """Enrolments of households the actor sees, sensitive ones only for the roles that need them."""
    households = readable_households(actor).with_only_columns(col(Household.id))
    return (
        select(LedgerEnrolment, LedgerType, Household)
        .join(LedgerType, col(LedgerType.id) == LedgerEnrolment.ledger_type_id)
        .join(Household, col(Household.id) == LedgerEnrolment.household_id)
        .where(col(LedgerEnrolment.household_id).in_(households), _sensitive_clause(actor))
    )


def _public(enrolment: LedgerEnrolment, ledger_type: LedgerType, household: Household) -> EnrolmentPublic:
    return EnrolmentPublic(
        **enrolment.model_dump(exclude={"visit_every_days"}),
        ledger_type_code=ledger_type.code,
        ledger_type_name=ledger_type.name,
        is_sensitive=ledger_type.is_sensitive,
        grid_id=household.grid_id,
        head_name=household.head_name,
        visit_every_days=enrolment.visit_every_days or ledger_type.visit_every_days,
    )


def _audit_sensitive_read(session: Session, actor: Actor, rows: list[EnrolmentPublic], now: datetime) -> None:
    sensitive = [r for r in rows if r.is_sensitive]
    if not sensitive:
        return
    target = str(sensitive[0].id) if len(rows) == 1 else None
    detail = {"count": len(sensitive), "ledger_types": sorted({r.ledger_type_code for r in sensitive})}
    audit.record(
        session, "ledger.read", actor=actor, target_type="ledger_enrolment", target_id=target, detail=detail, now=now
    )


def list_page(
    session: Session,
    actor: Actor,
    *,
    ledger_type_id: int | None,
    grid_id: int | None,
    include_ended: bool,
    limit: int,
    cursor: str | None,
    now: datetime,
) -> EnrolmentPage:
    """Newest first; asking for a sensitive type one's role cannot read is refused, not silently emptied."""
    if ledger_type_id is not None:
        ledger_type = session.get(LedgerType, ledger_type_id)
        if ledger_type is None:
            raise NotFound("台账类型不存在", code="ledger_type_not_found")
        if ledger_type.is_sensitive and actor.role not in SENSITIVE_READERS | {Role.grid_member}:
            raise PermissionDenied("您的角色不能查看该敏感台账", code="sensitive_ledger")
    query = readable_enrolments(actor)
    if ledger_type_id is not None:
        query = query.where(LedgerEnrolment.ledger_type_id == ledger_type_id)
    if grid_id is not None:
        query = query.where(Household.grid_id == grid_id)
    if not include_ended:
        query = query.where(col(LedgerEnrolment.is_active).is_(True))
    if cursor:
        query = query.where(keyset.older_than(col(LedgerEnrolment.enrolled_at), col(LedgerEnrolment.id), cursor))
    order = (col(LedgerEnrolment.enrolled_at).desc(), col(LedgerEnrolment.id).desc())
    rows = session.exec(query.order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    items = [_public(*row) for row in rows[:limit]]
    _audit_sensitive_read(session, actor, items, now)
    last = rows[limit - 1][0] if more else None
    return EnrolmentPage(items=items, next_cursor=keyset.encode(last.enrolled_at, last.id) if last else None)


def _get_row(session: Session, actor: Actor, enrolment_id: uuid.UUID) -> tuple[LedgerEnrolment, LedgerType, Household]:
    row = session.exec(readable_enrolments(actor).where(LedgerEnrolment.id == enrolment_id)).first()
    if row is None:
        raise NotFound("台账记录不存在或不在您的范围", code="enrolment_not_found")
    return row[0], row[1], row[2]


def read(session: Session, actor: Actor, enrolment_id: uuid.UUID, *, now: datetime) -> EnrolmentPublic:
    """One enrolment the actor may read; a sensitive one is audited."""
    item = _public(*_get_row(session, actor, enrolment_id))
    _audit_sensitive_read(session, actor, [item], now)
    return item


def _check_responsible(session: Session, user_id: int, household: Household) -> None:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.role not in _GRID_STAFF or user.org_unit_id != household.grid_id:
        raise Invalid(
            "责任人应为该户所在网格的在岗网格员或网格长", field="responsible_user_id", code="responsible_invalid"
        )


def _check_enrolment(session: Session, actor: Actor, data: EnrolmentCreate, household: Household) -> LedgerType:
    ledger_type = session.get(LedgerType, data.ledger_type_id)
    if ledger_type is None or not ledger_type.is_active:
        raise Invalid("台账类型不存在或已停用", field="ledger_type_id", code="ledger_type_not_found")
    if ledger_type.is_sensitive and actor.role not in SENSITIVE_READERS and data.responsible_user_id != actor.id:
        raise PermissionDenied("敏感台账只能由网格长及以上登记，或登记给自己负责", code="sensitive_ledger")
    if data.resident_id is not None:
        resident = session.get(Resident, data.resident_id)
        if resident is None or resident.household_id != household.id:
            raise Invalid("该居民不在此户", field="resident_id", code="resident_not_in_household")
    unknown = sorted(set(data.attributes) - set(ledger_type.attribute_names))
    if unknown:
        raise Invalid(f"该台账没有属性：{', '.join(unknown)}", field="attributes", code="attribute_unknown")
    _check_responsible(session, data.responsible_user_id, household)
    return ledger_type


def enrol(session: Session, actor: Actor, data: EnrolmentCreate, *, now: datetime) -> EnrolmentPublic:
    """Put a household (or one of its people) on a ledger, with a responsible grid worker of its grid."""
    if actor.role not in HOUSEHOLD_READERS:
        raise PermissionDenied()
    household = get_readable(session, actor, data.household_id)
    ledger_type = _check_enrolment(session, actor, data, household)
    enrolment = LedgerEnrolment(**data.model_dump(), enrolled_at=now)
    session.add(enrolment)
    session.flush()
    record_change(
        session, grid_id=household.grid_id, entity="ledger_enrolment", entity_id=enrolment.id, version=1, now=now
    )
    return _public(enrolment, ledger_type, household)


def end(session: Session, actor: Actor, enrolment_id: uuid.UUID, *, now: datetime) -> EnrolmentPublic:
    """End an enrolment (kept, never deleted); ending twice is a conflict."""
    enrolment, ledger_type, household = _get_row(session, actor, enrolment_id)
    if not enrolment.is_active:
        raise Conflict("该台账记录已结束", code="enrolment_ended")
    enrolment.is_active = False
    enrolment.ended_at = now
    session.add(enrolment)
    version = next_version(session, "ledger_enrolment", enrolment.id)
    record_change(
        session, grid_id=household.grid_id, entity="ledger_enrolment", entity_id=enrolment.id, version=version, now=now
    )
    return _public(enrolment, ledger_type, household)
