"""Households and residents: create, list, edit under a version check, import a grid's CSV all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from core.crypto import get_cipher, mask_phone
from models.enums import UnitKind
from models.grid import Household, HouseholdRevision, Resident, SyncChange
from models.household_schemas import (
    HouseholdCreate,
    HouseholdDetail,
    HouseholdPage,
    HouseholdPublic,
    HouseholdUpdate,
    ResidentCreate,
    ResidentPublic,
    ResidentUpdate,
)
from models.org import OrgUnit
from services import keyset
from services.actor import Actor
from services.errors import Conflict, DomainError, Invalid, NotFound
from services.gridwork.sync_log import record_change
from services.people import reach
from services.people.visibility import HOUSEHOLD_READERS, readable_households
from services.rules.household_csv import Problem, parse_households
from services.rules.id_numbers import id_number_problem, mask_id_number, normalize_id_number


class ImportRejected(Invalid):
    """A CSV with at least one bad row: every problem listed, nothing imported."""

    code = "import_rejected"

    def __init__(self, problems: list[Problem]) -> None:
        detail = [
            {"loc": ["body", *([f"row {p.row}"] if p.row else []), *([p.field] if p.field else [])], "msg": p.message}
            for p in problems
        ]
        DomainError.__init__(self, f"导入失败：{len(problems)} 处错误，未导入任何住户", detail=detail)


def next_version(session: Session, entity: str, entity_id: uuid.UUID) -> int:
    """For rows without a version column (residents, enrolments): one more than the change log holds."""
    latest = session.exec(
        select(func.max(SyncChange.version)).where(SyncChange.entity == entity, SyncChange.entity_id == entity_id)
    ).one()
    return (latest or 0) + 1


def _masked_phone(ciphertext: str | None) -> str | None:
    return mask_phone(get_cipher().decrypt(ciphertext)) if ciphertext else None


def public(household: Household) -> HouseholdPublic:
    fields = household.model_dump(exclude={"phone_ciphertext", "phone_index", "phone_last4"})
    return HouseholdPublic(**fields, phone_masked=_masked_phone(household.phone_ciphertext))


def resident_public(resident: Resident) -> ResidentPublic:
    last4 = resident.id_number_last4
    return ResidentPublic(
        **resident.model_dump(include=set(ResidentPublic.model_fields) - {"phone_masked", "id_number_masked"}),
        phone_masked=_masked_phone(resident.phone_ciphertext),
        id_number_masked=mask_id_number(last4) if last4 else None,
    )


def detail(session: Session, household: Household) -> HouseholdDetail:
    residents = session.exec(
        select(Resident).where(Resident.household_id == household.id).order_by(col(Resident.created_at))
    ).all()
    return HouseholdDetail(**public(household).model_dump(), residents=[resident_public(r) for r in residents])


def get_readable(session: Session, actor: Actor, household_id: uuid.UUID) -> Household:
    """The household if the actor may see it; NotFound otherwise (whether or not it exists)."""
    found = session.exec(readable_households(actor).where(Household.id == household_id)).first()
    if found is None:
        raise NotFound("住户不存在或不在您的范围", code="household_not_found")
    return found


def grid_in_scope(session: Session, actor: Actor, grid_id: int) -> OrgUnit:
    """An active grid in the actor's subtree, for a role that works with households."""
    grid = session.get(OrgUnit, grid_id)
    if (
        actor.role not in HOUSEHOLD_READERS
        or grid is None
        or grid.kind != UnitKind.grid
        or not grid.is_active
        or not reach.within(grid.path, actor.unit_path)
    ):
        raise Invalid("网格不存在或不在您的范围", field="grid_id", code="grid_not_found")
    return grid


def seal_phone_into(row: Household | Resident, phone: str | None) -> None:
    """Encrypt, index and keep the last 4 of a phone on a household or resident (or clear all three)."""
    sealed = get_cipher().seal_phone(phone) if phone else None
    row.phone_ciphertext = sealed.ciphertext if sealed else None
    row.phone_index = sealed.blind_index if sealed else None
    row.phone_last4 = sealed.last4 if sealed else None


def _new_household(actor: Actor, grid_id: int, now: datetime, fields: dict[str, Any], phone: str | None) -> Household:
    household = Household(grid_id=grid_id, created_by_id=actor.id, created_at=now, updated_at=now, **fields)
    seal_phone_into(household, phone)
    return household


def create(session: Session, actor: Actor, data: HouseholdCreate, *, now: datetime) -> Household:
    """A new household in a grid the actor works in; a client id already taken is a conflict."""
    grid_in_scope(session, actor, data.grid_id)
    if data.id is not None and session.get(Household, data.id) is not None:
        raise Conflict("该住户已存在", code="household_exists")
    fields = data.model_dump(exclude={"grid_id", "phone", "id"}) | ({"id": data.id} if data.id else {})
    household = _new_household(actor, data.grid_id, now, fields, data.phone)
    session.add(household)
    session.flush()
    record_change(session, grid_id=household.grid_id, entity="household", entity_id=household.id, version=1, now=now)
    return household


def list_page(
    session: Session, actor: Actor, *, grid_id: int | None, q: str | None, limit: int, cursor: str | None
) -> HouseholdPage:
    """Active households, newest first; `q` matches the head's name or the address."""
    query = readable_households(actor).where(col(Household.is_active).is_(True))
    if grid_id is not None:
        query = query.where(Household.grid_id == grid_id)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                col(Household.head_name).ilike(pattern, escape="\\"),
                col(Household.address_text).ilike(pattern, escape="\\"),
            )
        )
    if cursor:
        query = query.where(keyset.older_than(col(Household.created_at), col(Household.id), cursor))
    rows = session.exec(
        query.order_by(col(Household.created_at).desc(), col(Household.id).desc()).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return HouseholdPage(
        items=[public(h) for h in rows],
        next_cursor=keyset.encode(rows[-1].created_at, rows[-1].id) if more and rows else None,
    )


def lock(session: Session, household: Household) -> None:
    """Hold the household until commit and read it again, so edits (REST, sync, resolved conflicts) take
    turns and each sees the version the one before wrote. SQLite has a single writer already."""
    if session.get_bind().dialect.name == "postgresql":
        session.refresh(household, with_for_update=True)


def update(session: Session, household: Household, data: HouseholdUpdate, *, actor: Actor, now: datetime) -> Household:
    """Apply the given fields if `base_version` is current; a stale one is a conflict carrying the current."""
    lock(session, household)
    if data.base_version != household.version:
        raise Conflict(
            "住户已被他人修改，请刷新后再改",
            code="stale_version",
            detail={"current_version": household.version, "base_version": data.base_version},
        )
    changes = data.model_dump(exclude_unset=True, exclude={"base_version"})
    # A null leaves the field as it is, except the phone, which it clears.
    given = {k: v for k, v in changes.items() if v is not None or k == "phone"}
    apply_changes(session, household, given, actor=actor, now=now)
    return household


def apply_changes(
    session: Session, household: Household, changes: Mapping[str, Any], *, actor: Actor, now: datetime
) -> None:
    """Write household fields (a phone sealed, None clears it) and bump the version: every server-side edit
    (REST, sync, a resolved conflict) goes through here, so the change log records it, phones pull it, and
    the values it overwrites are kept (HouseholdRevision) with who and when."""
    before = to_jsonable_python({_stored(name): getattr(household, _stored(name)) for name in changes})
    session.add(
        HouseholdRevision(
            household_id=household.id, version=household.version, before=before, changed_by_id=actor.id, changed_at=now
        )
    )
    for name, value in changes.items():
        if name == "phone":
            seal_phone_into(household, value)
        else:
            setattr(household, name, value)
    bump_version(session, household, now)


def _stored(field: str) -> str:
    return "phone_ciphertext" if field == "phone" else field


def bump_version(session: Session, household: Household, now: datetime) -> None:
    """A changed household: its next version, and the change phones will pull."""
    household.version += 1
    household.updated_at = now
    session.add(household)
    record_change(
        session,
        grid_id=household.grid_id,
        entity="household",
        entity_id=household.id,
        version=household.version,
        now=now,
    )


def _set_id_number(resident: Resident, raw: str | None) -> None:
    if raw is None:
        resident.id_number_ciphertext = resident.id_number_index = resident.id_number_last4 = None
        return
    if problem := id_number_problem(raw):
        raise Invalid(problem, field="id_number", code="id_number_invalid")
    number = normalize_id_number(raw)
    cipher = get_cipher()
    resident.id_number_ciphertext = cipher.encrypt(number)
    resident.id_number_index = cipher.blind_index(number)
    resident.id_number_last4 = number[-4:]


def _record_resident(session: Session, household: Household, resident: Resident, now: datetime) -> None:
    version = next_version(session, "resident", resident.id)
    record_change(
        session, grid_id=household.grid_id, entity="resident", entity_id=resident.id, version=version, now=now
    )


def add_resident(session: Session, household: Household, data: ResidentCreate, *, now: datetime) -> Resident:
    """A person in the household; the ID number, if given, must pass the check-digit rule."""
    if data.id is not None and session.get(Resident, data.id) is not None:
        raise Conflict("该居民已存在", code="resident_exists")
    fields = data.model_dump(exclude={"id", "phone", "id_number"}) | ({"id": data.id} if data.id else {})
    resident = Resident(household_id=household.id, created_at=now, updated_at=now, **fields)
    _set_id_number(resident, data.id_number)
    seal_phone_into(resident, data.phone)
    session.add(resident)
    session.flush()
    _record_resident(session, household, resident, now)
    return resident


def get_resident(session: Session, household: Household, resident_id: uuid.UUID) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None or resident.household_id != household.id:
        raise NotFound("居民不存在", code="resident_not_found")
    return resident


def update_resident(
    session: Session, household: Household, resident: Resident, data: ResidentUpdate, *, now: datetime
) -> Resident:
    """Change the given fields; sending `id_number` or `phone` as null clears it."""
    for name, value in data.model_dump(exclude_unset=True, exclude={"phone", "id_number"}).items():
        if value is not None:
            setattr(resident, name, value)
    if "id_number" in data.model_fields_set:
        _set_id_number(resident, data.id_number)
    if "phone" in data.model_fields_set:
        seal_phone_into(resident, data.phone)
    resident.updated_at = now
    session.add(resident)
    _record_resident(session, household, resident, now)
    return resident


def import_csv(session: Session, actor: Actor, grid_id: int, text: str, *, now: datetime) -> int:
    """Create every household of the file, or none: any problem rejects the whole file."""
    grid_in_scope(session, actor, grid_id)
    parsed = parse_households(text)
    if parsed.problems:
        raise ImportRejected(parsed.problems)
    households = [
        _new_household(
            actor,
            grid_id,
            now,
            {"head_name": r.head_name, "address_text": r.address, "member_count": r.member_count, "notes": r.notes},
            r.phone,
        )
        for r in parsed.rows
    ]
    session.add_all(households)
    session.flush()
    for household in households:
        record_change(session, grid_id=grid_id, entity="household", entity_id=household.id, version=1, now=now)
    return len(households)
