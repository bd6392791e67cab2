"""What an actor may read: one query-building function per aggregate, each failing closed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, or_
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from models.audit import AuditLog
from models.enums import Role
from models.grid import Household, HouseholdConflict
from models.org import OrgUnit
from models.resident_request import ResidentRequest, Transfer, Whistle
from models.user import User
from services.actor import Actor

# Roles that read resident requests in their unit's subtree; admins and auditors do not.
_REQUEST_READERS = frozenset({Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre})
_UNIT_READERS = _REQUEST_READERS | {Role.admin, Role.department_handler}


def subtree_ids(actor: Actor) -> Select[Any]:
    """Ids of the actor's unit and everything below it."""
    return select(OrgUnit.id).where(col(OrgUnit.path).startswith(actor.unit_path))


def readable_requests(actor: Actor) -> SelectOfScalar[ResidentRequest]:
    """Requests located in, handled in, or first received in the actor's subtree; departments see what
    was transferred or routed to them, or what they were whistled to. Any other role sees nothing."""
    query = select(ResidentRequest)
    if actor.role in _REQUEST_READERS and actor.unit_path:
        units = subtree_ids(actor)
        return query.where(
            or_(
                col(ResidentRequest.unit_id).in_(units),
                col(ResidentRequest.handling_unit_id).in_(units),
                col(ResidentRequest.first_unit_id).in_(units),
            )
        )
    if actor.role == Role.department_handler:
        transferred = select(Transfer.resident_request_id).where(Transfer.department_id == actor.unit_id)
        whistled = select(Whistle.resident_request_id).where(Whistle.department_id == actor.unit_id)
        return query.where(
            or_(
                col(ResidentRequest.id).in_(transferred),
                col(ResidentRequest.id).in_(whistled),
                col(ResidentRequest.handling_unit_id) == actor.unit_id,
            )
        )
    return query.where(false())


def readable_units(actor: Actor) -> SelectOfScalar[OrgUnit]:
    """Org units in the actor's subtree plus the chain above it (so a grid worker can name their town)."""
    query = select(OrgUnit)
    if actor.role in _UNIT_READERS and actor.unit_path:
        return query.where(or_(col(OrgUnit.path).startswith(actor.unit_path), col(OrgUnit.id).in_(actor.ancestor_ids)))
    return query.where(false())


def readable_users(actor: Actor) -> SelectOfScalar[User]:
    """Admins manage the accounts bound to units in their subtree; nobody else lists accounts."""
    query = select(User)
    if actor.role == Role.admin and actor.unit_path:
        return query.where(col(User.org_unit_id).in_(subtree_ids(actor)))
    return query.where(false())


def readable_audit(actor: Actor) -> SelectOfScalar[AuditLog]:
    """Auditors read the audit log; nobody else does."""
    query = select(AuditLog)
    if actor.role == Role.auditor:
        return query
    return query.where(false())


# Roles that work with households: grid staff in their grid(s), village and town staff in their subtree.
HOUSEHOLD_READERS = frozenset({Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre})


def readable_households(actor: Actor) -> SelectOfScalar[Household]:
    """Households of grids in the actor's subtree, for the roles that visit them; nobody else sees any."""
    query = select(Household)
    if actor.role in HOUSEHOLD_READERS and actor.unit_path:
        return query.where(col(Household.grid_id).in_(subtree_ids(actor)))
    return query.where(false())


# Roles that settle household sync conflicts: a grid's leader, and the village and town staff above it.
CONFLICT_RESOLVERS = frozenset({Role.grid_leader, Role.village_staff, Role.town_cadre})


def readable_household_conflicts(actor: Actor) -> SelectOfScalar[HouseholdConflict]:
    """Conflicts on households of grids in the actor's subtree, for the roles that resolve them; nobody else."""
    query = select(HouseholdConflict)
    if actor.role in CONFLICT_RESOLVERS and actor.unit_path:
        in_scope = select(Household.id).where(col(Household.grid_id).in_(subtree_ids(actor)))
        return query.where(col(HouseholdConflict.household_id).in_(in_scope))
    return query.where(false())
