"""The org tree's questions, each answered here once: whose subtree a unit is in, the rung above a unit, the
village and town a unit is in, who works in a unit or is stationed at a village, and who handles, decides
for the desk on, or may act on a request.

The escalation ladder (grid → village → town) is one rule, `rung_above`, climbed from two places. A manual
上报 climbs from where the request stands: the unit it was last escalated to, else its place (`unit_id`).
An SLA breach escalates from the unit that let the clock run out, the handling unit: a grid's breach goes
to its village; a village's, a department's or a town's own breach goes to the town; and the leadership
stage always goes to the town. Who answers there is `answerable_at`; who handles where the request is,
`handlers_of`: the SLA sweep and the hand-offs' fan-out (services/requests/handoffs.py) both ask them.

A caller that caches (the SLA sweep looks things up once per batch) passes its lookups as `unit`, `people`
and `team`; by default each is a query."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from sqlalchemy import ColumnElement, false
from sqlmodel import Session, col, select

from models.enums import Role, SlaStage, UnitKind
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.stationing import Stationing, StationingMember
from models.user import User
from services.actor import Actor
from services.errors import Invalid
from services.requests import desk
from services.rules import escalation
from services.rules.stationed_scope import may_act

UnitLookup = Callable[[int | None], OrgUnit | None]
PeopleLookup = Callable[[int, tuple[Role, ...]], list[int]]  # a unit's active people of these roles
TeamLookup = Callable[[int], list[int]]  # a village's stationed team

# The roles that handle requests; admins and auditors have accounts in units too, but never handle.
HANDLER_ROLES = (Role.grid_member, Role.grid_leader, Role.village_staff, Role.department_handler, Role.town_cadre)


def _lookup(session: Session, unit: UnitLookup | None) -> UnitLookup:
    return unit or (lambda unit_id: session.get(OrgUnit, unit_id) if unit_id else None)


def within(unit_path: str, root_path: str | None) -> bool:
    """A unit is in a subtree when its path begins with the root's (the root included); no root, no reach."""
    if not root_path:
        return False
    return unit_path.startswith(root_path)


def subtree(root_path: str | None) -> ColumnElement[bool]:
    """`within` as SQL over `OrgUnit.path`: the root and everything below it; no root matches nothing."""
    return col(OrgUnit.path).startswith(root_path) if root_path else false()


def active_unit(session: Session, unit_id: int | None, field_name: str) -> OrgUnit:
    """The active unit a command names, or `Invalid` on the field that named it."""
    unit = session.get(OrgUnit, unit_id) if unit_id else None
    if unit is None or not unit.is_active:
        raise Invalid("请选择有效的单位", field=field_name, code="unit_invalid")
    return unit


def department_for(session: Session, department_id: int | None, actor: Actor) -> OrgUnit:
    """The department a town cadre names: one of their town's (or district's) departments."""
    unit = active_unit(session, department_id, "department_id")
    in_reach = unit.parent_id in actor.ancestor_ids or within(unit.path, actor.unit_path)
    if unit.kind != UnitKind.department or not in_reach:
        raise Invalid("请选择本镇街（或区县）的职能部门", field="department_id", code="department_invalid")
    return unit


def rung_above(session: Session, at: OrgUnit | None, unit: UnitLookup | None = None) -> OrgUnit | None:
    """The unit one rung up the ladder (grid → village → town); None at the town or off the ladder."""
    if at is None or at.kind == UnitKind.town or not at.parent_id:
        return None
    parent = _lookup(session, unit)(at.parent_id)
    return parent if parent is not None and escalation.climbs_to_parent(at.kind, parent.kind) else None


def town_of(session: Session, at: OrgUnit | None, unit: UnitLookup | None = None) -> OrgUnit | None:
    """The town a unit is in (a town is its own); None above the town level."""
    if at is None:
        return None
    get = _lookup(session, unit)
    chain = (get(int(unit_id)) for unit_id in reversed(at.path.strip("/").split("/")) if unit_id)
    return next((found for found in chain if found is not None and found.kind == UnitKind.town), None)


def next_escalation(session: Session, rr: ResidentRequest) -> OrgUnit | None:
    """上报: the rung above where the request stands (where it was last escalated to, else its place)."""
    return rung_above(session, session.get(OrgUnit, rr.escalated_to_unit_id or rr.unit_id))


def breach_escalation(
    session: Session, rr: ResidentRequest, stage: SlaStage, unit: UnitLookup | None = None
) -> OrgUnit | None:
    """An SLA breach: from the handling unit, a grid's to the rung above, anyone else's (and leadership) to the town."""
    get = _lookup(session, unit)
    handling = get(rr.handling_unit_id)
    if handling is None:
        return None
    if escalation.breach_goes_to_town(handling.kind, stage):
        return town_of(session, handling, get)
    return rung_above(session, handling, get)


def handles(session: Session, rr: ResidentRequest, actor: Actor) -> bool:
    """Handler actions belong to the handling unit or a unit above it; a department acts only on its own."""
    if actor.role == Role.department_handler:
        return rr.handling_unit_id == actor.unit_id
    unit = session.get(OrgUnit, rr.handling_unit_id)
    return unit is not None and within(unit.path, actor.unit_path)


def unit_people(session: Session, unit_id: int, roles: tuple[Role, ...] | None = None) -> list[int]:
    """The unit's active accounts (of these roles, when given)."""
    query = select(User.id).where(User.org_unit_id == unit_id, col(User.is_active))
    if roles:
        query = query.where(col(User.role).in_(roles))
    return [user_id for user_id in session.exec(query).all() if user_id is not None]


def village_of(session: Session, unit_id: int | None, unit: UnitLookup | None = None) -> int | None:
    """The village a grid or village unit belongs to (None above the village level)."""
    get = _lookup(session, unit)
    found = get(unit_id)
    if found is None:
        return None
    if found.kind == UnitKind.village:
        return found.id
    parent = get(found.parent_id) if found.kind == UnitKind.grid else None
    return parent.id if parent is not None and parent.kind == UnitKind.village else None


def stationed_at(session: Session, village_id: int) -> list[int]:
    """Accounts on the village's stationed team: the stationed cadre and the stationed members."""
    cadres = session.exec(
        select(Stationing.cadre_id).where(Stationing.village_id == village_id, col(Stationing.is_active))
    ).all()
    members = session.exec(
        select(StationingMember.user_id)
        .join(Stationing, col(Stationing.id) == StationingMember.stationing_id)
        .where(Stationing.village_id == village_id, col(Stationing.is_active), col(StationingMember.is_active))
        .where(StationingMember.team == "stationed", col(StationingMember.user_id).is_not(None))
    ).all()
    return sorted({*cadres, *(m for m in members if m is not None)})


def stationed_villages(session: Session, user_id: int) -> frozenset[int]:
    """Villages where this account is on the stationed team (as the cadre or a stationed member)."""
    as_cadre = session.exec(
        select(Stationing.village_id).where(Stationing.cadre_id == user_id, col(Stationing.is_active))
    ).all()
    as_member = session.exec(
        select(Stationing.village_id)
        .join(StationingMember, col(StationingMember.stationing_id) == Stationing.id)
        .where(StationingMember.user_id == user_id, StationingMember.team == "stationed")
        .where(col(StationingMember.is_active), col(Stationing.is_active))
    ).all()
    return frozenset({*as_cadre, *as_member})


def stationed_team(
    session: Session, rr: ResidentRequest, unit: UnitLookup | None = None, team: TeamLookup | None = None
) -> list[int]:
    """The stationed team of the request's village; nobody off a village or where nobody is stationed."""
    village_id = village_of(session, rr.unit_id, unit)
    return (team or partial(stationed_at, session))(village_id) if village_id else []


def answerable_at(
    session: Session,
    rr: ResidentRequest,
    level: OrgUnit,
    *,
    leadership: bool = False,
    people: PeopleLookup | None = None,
    unit: UnitLookup | None = None,
    team: TeamLookup | None = None,
) -> list[int]:
    """Who answers for a request escalated to `level`: a village's staff; at the town, the village's stationed
    team, else the town's cadres (town leadership, the last stage: always the town's cadres)."""
    get = people or partial(unit_people, session)
    assert level.id is not None
    if level.kind != UnitKind.town:
        return get(level.id, (Role.village_staff,))
    stationed = [] if leadership else stationed_team(session, rr, unit, team)
    return stationed or get(level.id, (Role.town_cadre,))


def desk_cadres(session: Session, rr: ResidentRequest) -> list[int]:
    """Who decides for the desk on this request: the village's stationed team, else the town's cadres."""
    town = town_of(session, session.get(OrgUnit, rr.unit_id))
    return answerable_at(session, rr, town) if town is not None else []


def handlers_at(
    session: Session, unit_id: int, handler_id: int | None = None, people: PeopleLookup | None = None
) -> list[int]:
    """Who handles at a unit: the named handler, else the unit's active people of handler roles (never its
    admins or auditors)."""
    if handler_id:
        return [handler_id]
    return (people or partial(unit_people, session))(unit_id, HANDLER_ROLES)


def handlers_of(session: Session, rr: ResidentRequest, people: PeopleLookup | None = None) -> list[int]:
    """Who is handling the request: its named handler, else the handling unit's people of handler roles."""
    return handlers_at(session, rr.handling_unit_id, rr.handler_id, people)


def place_staff(session: Session, rr: ResidentRequest) -> list[int]:
    """Who takes in a request where it happened: the village's staff and, on a grid, the grid's leaders."""
    village_id = village_of(session, rr.unit_id)
    staff = unit_people(session, village_id, (Role.village_staff,)) if village_id else []
    leaders = unit_people(session, rr.unit_id, (Role.grid_leader,)) if rr.unit_id != village_id else []
    return [*staff, *leaders]


def may_act_here(session: Session, rr: ResidentRequest, actor: Actor, now: datetime) -> bool:
    """A town cadre stationed at some villages acts on other villages' requests only through the desk."""
    stationed = stationed_villages(session, actor.id)
    if not stationed:
        return True
    return may_act(
        stationed=stationed,
        request_village=village_of(session, rr.unit_id),
        with_me=rr.handling_unit_id == actor.unit_id or rr.handler_id == actor.id,
        at_desk=lambda: desk.on_desk(session, rr, actor, now),
    )
