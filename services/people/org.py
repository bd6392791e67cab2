"""Org tree use cases: units are created, renamed, moved and deactivated, never deleted.

Admins manage their own unit's subtree; every write is checked against services/rules/org_codes.py
and recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import String, func, literal, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.clock import utc_now
from models.enums import Role, UnitKind
from models.org import OrgUnit
from models.org_schemas import OrgUnitCreate, OrgUnitUpdate
from models.user import User
from services import audit
from services.actor import Actor
from services.errors import Conflict, Invalid, NotFound, PermissionDenied
from services.people import reach
from services.people.visibility import readable_units
from services.rules.org_codes import check_code, check_parent, next_grid_code


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


@contextmanager
def unique_or_conflict(session: Session, error: Conflict) -> Iterator[None]:
    """Make the change inside the block: a unique constraint hit by a concurrent writer answers
    `error` instead of a 500, and the savepoint keeps the rest of the transaction usable."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError:
        raise error from None


def ensure_admin(actor: Actor) -> None:
    """Only admins change the org tree, categories and routing rules."""
    if actor.role != Role.admin:
        raise PermissionDenied()


def list_units(
    session: Session,
    actor: Actor,
    *,
    kind: UnitKind | None = None,
    parent_id: int | None = None,
    include_inactive: bool = False,
) -> Sequence[OrgUnit]:
    """The units the actor may read, in tree order (by path); inactive ones only when asked."""
    query = readable_units(actor)
    if kind is not None:
        query = query.where(col(OrgUnit.kind) == kind)
    if parent_id is not None:
        query = query.where(col(OrgUnit.parent_id) == parent_id)
    if not include_inactive:
        query = query.where(col(OrgUnit.is_active).is_(True))
    return session.scalars(query.order_by(col(OrgUnit.path))).all()


def get_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """One readable unit; anything else is 404."""
    unit = session.scalars(readable_units(actor).where(col(OrgUnit.id) == unit_id)).first()
    if unit is None:
        raise NotFound("单位不存在，或不在您的查看范围内")
    assert isinstance(unit, OrgUnit)
    return unit


def managed_unit(session: Session, actor: Actor, unit_id: int, *, field: str | None = None) -> OrgUnit:
    """A unit in the actor's own subtree: unseen units are 404, seen ones above it (ancestors) 403;
    `field` names the input that referred to it."""
    detail = {"field": field} if field else None
    try:
        unit = get_unit(session, actor, unit_id)
    except NotFound:
        raise NotFound("单位不存在，或不在您的查看范围内", detail=detail) from None
    if not reach.within(unit.path, actor.unit_path):
        raise PermissionDenied("该单位不在您的管辖范围内", code="out_of_scope", detail=detail)
    return unit


def _new_parent(session: Session, actor: Actor, parent_id: int | None) -> OrgUnit | None:
    if parent_id is None:
        return None
    parent = managed_unit(session, actor, parent_id, field="parent_id")
    if not parent.is_active:
        raise Invalid("上级单位已停用", field="parent_id", code="parent_inactive")
    return parent


def _free_code(session: Session, kind: UnitKind, code: str | None, parent: OrgUnit | None) -> str:
    """The given code, checked against the parent, or for a grid the next free sequence."""
    if code is None and kind == UnitKind.grid and parent is not None:
        taken = session.exec(select(OrgUnit.code).where(col(OrgUnit.code).startswith(parent.code))).all()
        code = next_grid_code(parent.code, set(taken))
    if code is None:
        raise Invalid("请填写单位代码", field="code", code="code_required")
    check_code(kind, code, parent.code if parent else None)
    if session.exec(select(OrgUnit.id).where(OrgUnit.code == code)).first() is not None:
        raise _code_taken(code)
    return code


def _code_taken(code: str) -> Conflict:
    return Conflict("单位代码已被使用", code="code_taken", detail={"field": "code", "code": code})


def create_unit(session: Session, actor: Actor, data: OrgUnitCreate) -> OrgUnit:
    """A new unit under an active parent in the admin's subtree, of a kind that fits, with a valid code."""
    ensure_admin(actor)
    if data.kind == UnitKind.district:
        raise PermissionDenied("区县是组织树的根，需由系统初始化", code="out_of_scope", detail={"field": "kind"})
    parent = _new_parent(session, actor, data.parent_id)
    check_parent(data.kind, parent.kind if parent else None)
    code = _free_code(session, data.kind, data.code, parent)
    unit = OrgUnit(kind=data.kind, name=data.name, code=code)
    with unique_or_conflict(session, _code_taken(code)):
        place_unit(session, unit, parent)
    audit.record(
        session,
        "org_unit_create",
        actor=actor,
        target_type="org_unit",
        target_id=unit.id,
        detail={"kind": unit.kind, "name": unit.name, "code": unit.code, "parent_id": unit.parent_id},
    )
    return unit


def _repath(session: Session, old_prefix: str, new_prefix: str) -> int:
    """Rewrite the path of a unit and all its descendants in one statement; returns the row count."""
    statement = (
        update(OrgUnit)
        .where(reach.subtree(old_prefix))
        .values(path=literal(new_prefix, String) + func.substr(OrgUnit.path, len(old_prefix) + 1, type_=String))
        .execution_options(synchronize_session="fetch")
    )
    return int(session.exec(statement).rowcount)


def _move(session: Session, actor: Actor, unit: OrgUnit, parent_id: int, code: str | None) -> int:
    """Check a move and apply it to the unit and its subtree; returns how many units were re-pathed."""
    if parent_id == unit.id or _is_descendant(session, unit, parent_id):
        raise Conflict("不能把单位移到它自己或它的下级之下", code="cycle", detail={"field": "parent_id"})
    parent = _new_parent(session, actor, parent_id)
    assert parent is not None
    check_parent(unit.kind, parent.kind)
    if code is None and unit.kind != UnitKind.grid:
        if not unit.code.startswith(parent.code):
            raise Invalid("移到新的上级后，请给出以新上级代码开头的新代码", field="code", code="code_required")
        code = unit.code
    elif code != unit.code:
        code = _free_code(session, unit.kind, code, parent)
    assert code is not None
    check_code(unit.kind, code, parent.code)
    old_path, new_path = unit.path, f"{parent.path}{unit.id}/"
    with unique_or_conflict(session, _code_taken(code)):
        unit.parent_id, unit.code = parent.id, code
        return _repath(session, old_path, new_path)


def _is_descendant(session: Session, unit: OrgUnit, other_id: int) -> bool:
    other = session.get(OrgUnit, other_id)
    return other is not None and reach.within(other.path, unit.path)


def _recode(session: Session, unit: OrgUnit, code: str) -> None:
    parent = session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    code = _free_code(session, unit.kind, code, parent)
    with unique_or_conflict(session, _code_taken(code)):
        unit.code = code


def update_unit(session: Session, actor: Actor, unit_id: int, data: OrgUnitUpdate) -> OrgUnit:
    """Rename, re-code or move a unit of the admin's subtree; a move re-paths every descendant."""
    ensure_admin(actor)
    unit = managed_unit(session, actor, unit_id)
    before = {"name": unit.name, "code": unit.code, "parent_id": unit.parent_id}
    moved = 0
    if data.name is not None:
        unit.name = data.name
    if data.parent_id is not None and data.parent_id != unit.parent_id:
        moved = _move(session, actor, unit, data.parent_id, data.code)
    elif data.code is not None and data.code != unit.code:
        _recode(session, unit, data.code)
    after = {"name": unit.name, "code": unit.code, "parent_id": unit.parent_id}
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changes:
        unit.updated_at = utc_now()
        session.flush()
        audit.record(
            session,
            "org_unit_update",
            actor=actor,
            target_type="org_unit",
            target_id=unit.id,
            detail={"changes": changes, "subtree_size": moved},
        )
    return unit


def _count(session: Session, query: Any) -> int:
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def deactivate_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """Deactivate a unit that has no active child units and no active accounts bound to it."""
    ensure_admin(actor)
    unit = managed_unit(session, actor, unit_id)
    if not unit.is_active:
        return unit
    children = _count(session, select(OrgUnit.id).where(OrgUnit.parent_id == unit.id, col(OrgUnit.is_active)))
    if children:
        raise Conflict("请先停用下级单位", code="has_active_children", detail={"count": children})
    users = _count(session, select(User.id).where(User.org_unit_id == unit.id, col(User.is_active)))
    if users:
        raise Conflict("该单位仍有启用的账号，请先调整或停用", code="has_active_users", detail={"count": users})
    _set_active(session, actor, unit, False)
    return unit


def reactivate_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    """Reactivate a unit whose parent is active."""
    ensure_admin(actor)
    unit = managed_unit(session, actor, unit_id)
    if unit.is_active:
        return unit
    parent = session.get(OrgUnit, unit.parent_id) if unit.parent_id else None
    if parent is not None and not parent.is_active:
        raise Conflict("上级单位已停用，请先启用上级", code="parent_inactive", detail={"parent_id": parent.id})
    _set_active(session, actor, unit, True)
    return unit


def _set_active(session: Session, actor: Actor, unit: OrgUnit, active: bool) -> None:
    unit.is_active = active
    unit.updated_at = utc_now()
    session.flush()
    action = "org_unit_reactivate" if active else "org_unit_deactivate"
    audit.record(session, action, actor=actor, target_type="org_unit", target_id=unit.id)


def create_district(session: Session, *, name: str, code: str) -> OrgUnit:
    """The root of a tree, made once by the operator (`bandeng create-district`), audited as system."""
    check_code(UnitKind.district, code, None)
    unit = OrgUnit(kind=UnitKind.district, name=name, code=code)
    with unique_or_conflict(session, _code_taken(code)):
        place_unit(session, unit, None)
    audit.record(session, "org_unit_create", target_type="org_unit", target_id=unit.id, detail={"code": code})
    return unit
