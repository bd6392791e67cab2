"""Household and resident ops from phones: creates with client ids, updates merged field by field."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.crypto import get_cipher, mask_last4, normalize_phone
from models.enums import NotificationChannel, Role
from models.grid import Household, HouseholdConflict, Resident
from models.org import OrgUnit
from models.sync_schemas import HouseholdFields, OpResult, OpStatus, ResidentFields, SyncOp
from models.user import User
from services.actor import Actor
from services.errors import Conflict, Invalid
from services.gridwork import households
from services.gridwork.households import seal_phone_into
from services.gridwork.sync_log import record_change
from services.gridwork.visits import check_grid, scoped_household
from services.notify import outbox
from services.rules.merge import merge_fields

MERGED_FIELDS = ("head_name", "address_text", "phone", "member_count", "notes")


def household_record(household: Household) -> dict[str, Any]:
    """What a phone may hold of a household: the phone number masked."""
    return {
        "id": str(household.id),
        "grid_id": household.grid_id,
        "head_name": household.head_name,
        "address_text": household.address_text,
        "phone_masked": mask_last4(household.phone_last4) if household.phone_last4 else None,
        "member_count": household.member_count,
        "notes": household.notes,
        "version": household.version,
        "has_conflict": household.has_conflict,
        "is_active": household.is_active,
    }


def resident_record(resident: Resident) -> dict[str, Any]:
    """What a phone may hold of a resident: no ID number in any form, the phone masked."""
    return {
        "id": str(resident.id),
        "household_id": str(resident.household_id),
        "name": resident.name,
        "relation": resident.relation,
        "birth_year": resident.birth_year,
        "phone_masked": mask_last4(resident.phone_last4) if resident.phone_last4 else None,
        "is_active": resident.is_active,
    }


def create_household(session: Session, actor: Actor, op: SyncOp, now: datetime) -> OpResult:
    """A new household under the phone's id; the same id sent again by its creator answers that row."""
    data = HouseholdFields.model_validate(op.fields)
    existing = session.get(Household, op.entity_id)
    if existing is not None:
        if existing.created_by_id != actor.id:
            raise Conflict("该编号已被占用", code="id_taken")
        return OpResult(
            op_id=op.op_id, status=OpStatus.duplicate, entity_id=op.entity_id, server_version=existing.version
        )
    if data.grid_id is None or not data.head_name or not data.address_text:
        raise Invalid("新建住户需填写网格、户主姓名和地址", field="head_name", code="household_incomplete")
    check_grid(session, actor, data.grid_id)
    household = Household(
        id=op.entity_id,
        grid_id=data.grid_id,
        head_name=data.head_name,
        address_text=data.address_text,
        member_count=data.member_count or 1,
        notes=data.notes,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    seal_phone_into(household, data.phone)
    session.add(household)
    record_change(session, grid_id=household.grid_id, entity="household", entity_id=household.id, version=1, now=now)
    session.flush()
    return OpResult(op_id=op.op_id, status=OpStatus.applied, entity_id=household.id, server_version=1)


def _current(household: Household) -> dict[str, Any]:
    phone = get_cipher().decrypt(household.phone_ciphertext) if household.phone_ciphertext else None
    return {
        "head_name": household.head_name,
        "address_text": household.address_text,
        "phone": phone,
        "member_count": household.member_count,
        "notes": household.notes,
    }


def _normalized(values: dict[str, Any]) -> dict[str, Any]:
    phone = values.get("phone")
    if isinstance(phone, str) and phone:
        return {**values, "phone": normalize_phone(phone)}
    return values


def update_household(session: Session, actor: Actor, op: SyncOp, now: datetime) -> OpResult:
    """Apply the phone's edit; with a stale `base_version`, merge field by field (see services/gridwork/sync.py)."""
    if op.base_version is None:
        raise Invalid("修改住户需带 base_version", field="base_version", code="base_version_required")
    data = HouseholdFields.model_validate(op.fields)
    if data.grid_id is not None:
        raise Invalid("同步不能调整住户所属网格", field="grid_id", code="grid_change_not_allowed")
    household = scoped_household(session, actor, op.entity_id)
    households.lock(session, household)
    client = _normalized(data.model_dump(exclude_unset=True, include=set(MERGED_FIELDS)))
    server = _current(household)
    stale = op.base_version != household.version
    base = server if not stale else _base_copy(op)
    merged = merge_fields(base, server, client)
    if merged.applied:
        households.apply_changes(session, household, merged.applied, actor=actor, now=now)
    if merged.conflicts:
        household.has_conflict = True
        for name, values in merged.conflicts.items():
            session.add(
                HouseholdConflict(
                    household_id=household.id,
                    field_name=name,
                    server_value=_kept(name, values.server_value),
                    client_value=_kept(name, values.client_value),
                    op_id=op.op_id,
                    created_at=now,
                )
            )
        _notify_conflict(session, household, op.op_id, sorted(merged.conflicts), now)
    session.flush()
    return OpResult(
        op_id=op.op_id,
        status=OpStatus.conflict if merged.conflicts else OpStatus.applied,
        entity_id=household.id,
        server_version=household.version,
        conflict={"type": "hard", "fields": sorted(merged.conflicts)} if merged.conflicts else None,
        server_record=household_record(household) if stale or merged.conflicts else None,
    )


def _base_copy(op: SyncOp) -> dict[str, Any] | None:
    if op.base_fields is None:
        return None
    return _normalized({k: v for k, v in op.base_fields.items() if k in MERGED_FIELDS})


def _kept(name: str, value: Any) -> Any:
    """Both values are kept for review; a phone number only encrypted."""
    if name == "phone" and isinstance(value, str):
        return {"ciphertext": get_cipher().encrypt(value), "masked": mask_last4(value[-4:])}
    return value


def grid_leader_ids(session: Session, grid_id: int) -> list[int]:
    """The grid's leaders; a grid without one falls back to its village's staff."""
    leaders = select(User.id).where(
        col(User.is_active), col(User.role) == Role.grid_leader, col(User.org_unit_id) == grid_id
    )
    found = [i for i in session.exec(leaders).all() if i is not None]
    if found:
        return found
    grid = session.get(OrgUnit, grid_id)
    if grid is None or grid.parent_id is None:
        return []
    staff = select(User.id).where(
        col(User.is_active), col(User.role) == Role.village_staff, col(User.org_unit_id) == grid.parent_id
    )
    return [i for i in session.exec(staff).all() if i is not None]


def _notify_conflict(
    session: Session, household: Household, op_id: uuid.UUID, fields: list[str], now: datetime
) -> None:
    outbox.enqueue(
        session,
        recipient_ids=grid_leader_ids(session, household.grid_id),
        channels=[NotificationChannel.inbox],
        kind="household_conflict",
        title=f"住户信息冲突待核对：{household.head_name}",
        body=f"字段 {', '.join(fields)} 在手机和系统中都被修改，已保留两边的值，请核对。",
        dedupe_key=f"household_conflict:{household.id}:{op_id}",
        now=now,
    )


def create_resident(session: Session, actor: Actor, op: SyncOp, now: datetime) -> OpResult:
    """A new resident of a household in scope; ID numbers are never taken from a phone."""
    data = ResidentFields.model_validate(op.fields)
    household = scoped_household(session, actor, data.household_id)
    existing = session.get(Resident, op.entity_id)
    if existing is not None:
        if existing.household_id != household.id:
            raise Conflict("该编号已被占用", code="id_taken")
        return OpResult(op_id=op.op_id, status=OpStatus.duplicate, entity_id=op.entity_id, server_version=1)
    resident = Resident(
        id=op.entity_id,
        household_id=household.id,
        name=data.name,
        relation=data.relation,
        birth_year=data.birth_year,
        created_at=now,
        updated_at=now,
    )
    seal_phone_into(resident, data.phone)
    session.add(resident)
    record_change(session, grid_id=household.grid_id, entity="resident", entity_id=resident.id, version=1, now=now)
    session.flush()
    return OpResult(op_id=op.op_id, status=OpStatus.applied, entity_id=resident.id, server_version=1)
