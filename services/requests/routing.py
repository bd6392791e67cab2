"""Routing rules in the database: where a new request goes, and how admins set that up."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models.category_schemas import RoutingRuleCreate, RoutingRulePublic, RoutingRuleUpdate
from models.enums import UnitKind
from models.org import OrgUnit
from models.resident_request import Category, RoutingRule
from services import audit
from services.actor import Actor
from services.errors import Conflict, Invalid, NotFound
from services.people import reach
from services.people.org import ensure_admin, managed_unit, unique_or_conflict
from services.people.visibility import subtree_ids
from services.rules.routing import choose_handling_unit

# Where a problem can be: rules are set on these and apply to everything below them.
RULE_UNIT_KINDS = frozenset({UnitKind.grid, UnitKind.village, UnitKind.town})

_Handler = aliased(OrgUnit, name="handling_unit")


def _chain(unit: OrgUnit) -> list[int]:
    """The unit's id and its ancestors' ids, nearest first, read from its materialised path."""
    return [int(part) for part in reversed(unit.path.strip("/").split("/")) if part]


def route(session: Session, category_id: int, unit: OrgUnit) -> int | None:
    """The handling unit of the nearest active rule for the category on the unit or above it, whose
    handling unit is active; None when the request is unrouted. One query."""
    chain = _chain(unit)
    rows = session.exec(
        select(RoutingRule.unit_id, RoutingRule.handling_unit_id)
        .join(OrgUnit, col(OrgUnit.id) == RoutingRule.handling_unit_id)
        .where(
            RoutingRule.category_id == category_id,
            col(RoutingRule.is_active).is_(True),
            col(RoutingRule.unit_id).in_(chain),
            col(OrgUnit.is_active).is_(True),
        )
    ).all()
    return choose_handling_unit(category_id, chain, {(category_id, u): h for u, h in rows})


def _public_query(actor: Actor) -> Any:
    """Rules set on units of the actor's subtree, with the names an admin needs to read them."""
    unit = aliased(OrgUnit, name="rule_unit")
    return (
        select(RoutingRule, Category.name, unit.name, _Handler.name)
        .join(Category, col(Category.id) == RoutingRule.category_id)
        .join(unit, col(unit.id) == RoutingRule.unit_id)
        .join(_Handler, col(_Handler.id) == RoutingRule.handling_unit_id)
        .where(col(RoutingRule.unit_id).in_(subtree_ids(actor)))
    )


def _public(row: Any) -> RoutingRulePublic:
    rule, category_name, unit_name, handling_unit_name = row
    return RoutingRulePublic.model_validate(
        rule, update={"category_name": category_name, "unit_name": unit_name, "handling_unit_name": handling_unit_name}
    )


def list_rules(
    session: Session, actor: Actor, *, category_id: int | None = None, unit_id: int | None = None
) -> list[RoutingRulePublic]:
    """An admin's rules (those set on units of their subtree), by category and place in the tree."""
    ensure_admin(actor)
    query = _public_query(actor)
    if category_id is not None:
        query = query.where(RoutingRule.category_id == category_id)
    if unit_id is not None:
        query = query.where(RoutingRule.unit_id == unit_id)
    rows = session.exec(query.order_by(col(RoutingRule.category_id), col(RoutingRule.unit_id))).all()
    return [_public(row) for row in rows]


def _read_rule(session: Session, actor: Actor, rule_id: int) -> RoutingRulePublic:
    row = session.exec(_public_query(actor).where(RoutingRule.id == rule_id)).first()
    if row is None:
        raise NotFound("分派规则不存在，或不在您的管辖范围内")
    return _public(row)


def _handling_unit(session: Session, actor: Actor, unit: OrgUnit, handling_unit_id: int) -> OrgUnit:
    """An active unit of the admin's subtree, or a department attached to a unit above the rule's unit
    (the town's, or the district's, functional departments)."""
    target = session.get(OrgUnit, handling_unit_id)
    allowed = target is not None and (
        reach.within(target.path, actor.unit_path)
        or (target.kind == UnitKind.department and target.parent_id in _chain(unit))
    )
    if target is None or not allowed:
        raise NotFound("承办单位不存在，或不在您的管辖范围内", detail={"field": "handling_unit_id"})
    if not target.is_active:
        raise Invalid("承办单位已停用", field="handling_unit_id", code="handling_unit_inactive")
    return target


def _rule_unit(session: Session, actor: Actor, unit_id: int) -> OrgUnit:
    unit = managed_unit(session, actor, unit_id, field="unit_id")
    if unit.kind not in RULE_UNIT_KINDS:
        raise Invalid("规则只能设在网格、村(社区)或镇街上", field="unit_id", code="unit_kind")
    if not unit.is_active:
        raise Invalid("该单位已停用", field="unit_id", code="unit_inactive")
    return unit


def create_rule(session: Session, actor: Actor, data: RoutingRuleCreate) -> RoutingRulePublic:
    """One rule per category and unit: requests of that category located there or below go to the
    handling unit, unless a nearer rule says otherwise."""
    ensure_admin(actor)
    if session.get(Category, data.category_id) is None:
        raise NotFound("诉求分类不存在", detail={"field": "category_id"})
    unit = _rule_unit(session, actor, data.unit_id)
    _handling_unit(session, actor, unit, data.handling_unit_id)
    existing = session.exec(
        select(RoutingRule.id).where(RoutingRule.category_id == data.category_id, RoutingRule.unit_id == unit.id)
    ).first()
    duplicate = Conflict("该分类在此单位已有分派规则，请修改原规则", code="rule_exists", detail={"rule_id": existing})
    if existing is not None:
        raise duplicate
    rule = RoutingRule(category_id=data.category_id, unit_id=data.unit_id, handling_unit_id=data.handling_unit_id)
    with unique_or_conflict(session, duplicate):
        session.add(rule)
    assert rule.id is not None
    audit.record(
        session,
        "routing_rule_create",
        actor=actor,
        target_type="routing_rule",
        target_id=rule.id,
        detail=data.model_dump(),
    )
    return _read_rule(session, actor, rule.id)


def update_rule(session: Session, actor: Actor, rule_id: int, data: RoutingRuleUpdate) -> RoutingRulePublic:
    """Point a rule at another handling unit, or switch it off and on."""
    ensure_admin(actor)
    _read_rule(session, actor, rule_id)
    rule = session.get(RoutingRule, rule_id)
    assert rule is not None
    changes: dict[str, list[Any]] = {}
    if data.handling_unit_id is not None and data.handling_unit_id != rule.handling_unit_id:
        unit = session.get(OrgUnit, rule.unit_id)
        assert unit is not None
        _handling_unit(session, actor, unit, data.handling_unit_id)
        changes["handling_unit_id"] = [rule.handling_unit_id, data.handling_unit_id]
        rule.handling_unit_id = data.handling_unit_id
    if data.is_active is not None and data.is_active != rule.is_active:
        changes["is_active"] = [rule.is_active, data.is_active]
        rule.is_active = data.is_active
    if changes:
        session.flush()
        audit.record(
            session,
            "routing_rule_update",
            actor=actor,
            target_type="routing_rule",
            target_id=rule_id,
            detail={"changes": changes},
        )
    return _read_rule(session, actor, rule_id)
