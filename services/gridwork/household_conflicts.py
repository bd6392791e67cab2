"""Household sync conflicts (a field changed on a phone and on the server): list them for the grid's
leaders, and settle one by keeping a value — written like any server-side household edit, so the version
moves on, the change log records it and phones pull it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlmodel import Session, col, select

from core.crypto import get_cipher, mask_phone, normalize_phone
from models.enums import HOUSEHOLD_FIELD_LABELS, ConflictKeep
from models.grid import AppliedOp, Household, HouseholdConflict
from models.household_schemas import (
    ConflictResolution,
    ConflictResolve,
    ConflictValue,
    HouseholdConflictPage,
    HouseholdConflictPublic,
    HouseholdUpdate,
)
from models.org import OrgUnit
from models.user import User
from services import audit, keyset
from services.actor import Actor
from services.errors import Conflict, Invalid, NotFound, PermissionDenied
from services.gridwork import households
from services.people.visibility import CONFLICT_RESOLVERS, readable_household_conflicts
from services.rules.field_messages import problem
from services.rules.household_conflicts import NOT_GIVEN, chosen_value

_T = TypeVar("_T", Household, OrgUnit, AppliedOp, User)


def _require_resolver(actor: Actor) -> None:
    if actor.role not in CONFLICT_RESOLVERS:
        raise PermissionDenied("只有网格长、村干部和镇街干部可以处理住户冲突", code="forbidden")


def list_page(
    session: Session, actor: Actor, *, grid_id: int | None, resolved: bool, limit: int, cursor: str | None
) -> HouseholdConflictPage:
    """Open (or, with `resolved`, settled) conflicts in the actor's grids, newest first, keyset by id."""
    _require_resolver(actor)
    settled = col(HouseholdConflict.resolved_at)
    query = readable_household_conflicts(actor).where(settled.is_not(None) if resolved else settled.is_(None))
    if grid_id is not None:
        query = query.where(
            col(HouseholdConflict.household_id).in_(select(Household.id).where(Household.grid_id == grid_id))
        )
    before = keyset.parse_id(cursor)
    if before is not None:
        query = query.where(col(HouseholdConflict.id) < before)
    rows = session.exec(query.order_by(col(HouseholdConflict.id).desc()).limit(limit + 1)).all()
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return HouseholdConflictPage(items=views(session, list(rows[:limit])), next_cursor=next_cursor)


def views(session: Session, conflicts: list[HouseholdConflict]) -> list[HouseholdConflictPublic]:
    """Each conflict with its household, grid, and the device and worker that pushed it (a few batch reads)."""
    by_id = {h.id: h for h in _rows(session, Household, col(Household.id), {c.household_id for c in conflicts})}
    grids = {g.id: g for g in _rows(session, OrgUnit, col(OrgUnit.id), {h.grid_id for h in by_id.values()})}
    ops = {o.op_id: o for o in _rows(session, AppliedOp, col(AppliedOp.op_id), {c.op_id for c in conflicts})}
    users = {u.id: u for u in _rows(session, User, col(User.id), {o.user_id for o in ops.values()})}
    out = []
    for conflict in conflicts:
        household, op = by_id[conflict.household_id], ops.get(conflict.op_id)
        pusher = users.get(op.user_id) if op else None
        assert conflict.id is not None
        out.append(
            HouseholdConflictPublic(
                id=conflict.id,
                household_id=household.id,
                grid_id=household.grid_id,
                grid_name=grids[household.grid_id].name,
                head_name=household.head_name,
                address_text=household.address_text,
                field_name=conflict.field_name,
                field_label=HOUSEHOLD_FIELD_LABELS.get(conflict.field_name, conflict.field_name),
                server_value=_shown(conflict.field_name, conflict.server_value),
                client_value=_shown(conflict.field_name, conflict.client_value),
                current_value=_current(household, conflict.field_name),
                op_id=conflict.op_id,
                device_id=op.device_id if op else None,
                pushed_by_id=op.user_id if op else None,
                pushed_by_name=pusher.name if pusher else None,
                created_at=conflict.created_at,
                resolved_at=conflict.resolved_at,
                resolved_by_id=conflict.resolved_by_id,
            )
        )
    return out


def _rows(session: Session, model: type[_T], key: Any, values: set[Any]) -> list[_T]:
    return list(session.exec(select(model).where(key.in_(values))).all()) if values else []


def _plain_phone(stored: Any) -> str | None:
    """A phone as the conflict keeps it ({"ciphertext", "masked"}), decrypted."""
    if isinstance(stored, dict) and isinstance(stored.get("ciphertext"), str):
        return get_cipher().decrypt(stored["ciphertext"])
    return None


def _shown(field_name: str, stored: Any) -> ConflictValue:
    """A kept value as people may see it: a phone masked like everywhere else (138****5678)."""
    if field_name == "phone":
        phone = _plain_phone(stored)
        return mask_phone(phone) if phone else None
    return stored if isinstance(stored, str | int) else None


def _current(household: Household, field_name: str) -> ConflictValue:
    if field_name == "phone":
        return mask_phone(get_cipher().decrypt(household.phone_ciphertext)) if household.phone_ciphertext else None
    value = getattr(household, field_name, None)
    return value if isinstance(value, str | int) else None


def get_readable(session: Session, actor: Actor, conflict_id: int) -> HouseholdConflict:
    """The conflict if the actor resolves conflicts of its grid; NotFound otherwise (whether or not it exists)."""
    _require_resolver(actor)
    found = session.exec(readable_household_conflicts(actor).where(HouseholdConflict.id == conflict_id)).first()
    if found is None:
        raise NotFound("冲突记录不存在或不在您的范围", code="conflict_not_found")
    return found


def resolve(
    session: Session, actor: Actor, conflict_id: int, data: ConflictResolve, *, now: datetime
) -> ConflictResolution:
    """Keep the server's, the phone's or another value: write it as a household edit, mark the conflict
    resolved, clear the household's flag when none stays open, and audit it — or refuse before writing."""
    conflict = get_readable(session, actor, conflict_id)
    household = session.get(Household, conflict.household_id)
    assert household is not None  # a foreign key
    households.lock(session, household)
    _check_open(session, conflict)
    value = _value(conflict, data)
    conflict.resolved_at, conflict.resolved_by_id = now, actor.id
    session.add(conflict)
    session.flush()
    household.has_conflict = _open_left(session, household)
    households.apply_changes(session, household, {conflict.field_name: value}, actor=actor, now=now)
    audit.record(
        session,
        "household_conflict_resolve",
        actor=actor,
        target_type="household_conflict",
        target_id=conflict.id,
        reason=data.note,
        detail={
            "household_id": str(household.id),
            "field_name": conflict.field_name,
            "keep": data.keep.value,
            "value": mask_phone(normalize_phone(value)) if conflict.field_name == "phone" and value else value,
            "household_version": household.version,
        },
        now=now,
    )
    session.flush()
    return ConflictResolution(conflict=views(session, [conflict])[0], household=households.public(household))


def _check_open(session: Session, conflict: HouseholdConflict) -> None:
    session.refresh(conflict)  # read after taking the lock: what another resolver committed meanwhile
    if conflict.resolved_at is not None:
        raise Conflict(
            "该冲突已处理过",
            code="already_resolved",
            detail={"resolved_at": conflict.resolved_at.isoformat(), "resolved_by_id": conflict.resolved_by_id},
        )


def _value(conflict: HouseholdConflict, data: ConflictResolve) -> Any:
    """The chosen value, ready to write: a kept phone decrypted, a typed value checked like a REST edit."""
    other = data.value if "value" in data.model_fields_set else NOT_GIVEN
    value = chosen_value(conflict.field_name, data.keep, conflict.server_value, conflict.client_value, other)
    if data.keep == ConflictKeep.other and value is not None:
        return _checked(conflict.field_name, value)
    if conflict.field_name == "phone":
        return _plain_phone(value)
    return value


def _checked(field_name: str, value: Any) -> Any:
    """A typed value under the same rules as PATCH /households/{id}; a problem names `value`."""
    try:
        parsed = HouseholdUpdate.model_validate({"base_version": 1, field_name: value})
    except ValidationError as exc:
        label = HOUSEHOLD_FIELD_LABELS[field_name]
        raise Invalid(f"{label}{problem(exc.errors()[0])}", field="value", code="value_invalid") from None
    return getattr(parsed, field_name)


def _open_left(session: Session, household: Household) -> bool:
    still_open = select(HouseholdConflict.id).where(
        HouseholdConflict.household_id == household.id, col(HouseholdConflict.resolved_at).is_(None)
    )
    return session.exec(still_open.limit(1)).first() is not None
