"""What an actor may read: one query-building function per aggregate, each failing closed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, false, or_
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from models.audit import AuditLog
from models.enums import Role
from models.grid import Household, HouseholdConflict
from models.org import OrgUnit
from models.resident_request import ResidentRequest, Transfer, Whistle
from models.stationing import Stationing, StationingMember
from models.user import User
from services.actor import Actor
from services.people import reach

# Roles that read resident requests in their unit's subtree; admins and auditors do not.
_REQUEST_READERS = frozenset({Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre})
_UNIT_READERS = _REQUEST_READERS | {Role.admin, Role.department_handler}


def subtree_ids(actor: Actor) -> Select[Any]:
    """Ids of the actor's unit and everything below it."""
    return select(OrgUnit.id).where(reach.subtree(actor.unit_path))


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
        return query.where(or_(reach.subtree(actor.unit_path), col(OrgUnit.id).in_(actor.ancestor_ids)))
    return query.where(false())


def readable_stationings(actor: Actor) -> SelectOfScalar[Stationing]:
    """Stationings of the villages the actor reads (see readable_units), and those the actor serves on: as the
    stationed cadre or an active member of either team. Nobody else sees any."""
    villages = readable_units(actor).with_only_columns(col(OrgUnit.id))
    teams = select(StationingMember.stationing_id).where(
        StationingMember.user_id == actor.id, col(StationingMember.is_active)
    )
    return select(Stationing).where(
        or_(
            col(Stationing.village_id).in_(villages),
            col(Stationing.cadre_id) == actor.id,
            col(Stationing.id).in_(teams),
        )
    )


def readable_users(actor: Actor) -> SelectOfScalar[User]:
    """Admins manage the accounts bound to units in their subtree; nobody else lists accounts."""
    query = select(User)
    if actor.role == Role.admin and actor.unit_path:
        return query.where(col(User.org_unit_id).in_(subtree_ids(actor)))
    return query.where(false())


# Targets that place a row without an acting account (a failed sign-in, the operator's `create-district`).
_PLACING_TARGETS = ("user", "org_unit")


def _audit_rows_in(units: Select[Any]) -> ColumnElement[bool]:
    """A row is where its acting account sits; without one, where the account or unit it is about sits;
    with neither (an unknown number's sign-in, the operator's commands) it is the whole installation's."""
    accounts = select(User.id).where(col(User.org_unit_id).in_(units))
    about_account = and_(
        col(AuditLog.target_type) == "user",
        col(AuditLog.target_id).in_(accounts.with_only_columns(cast(User.id, String))),
    )
    about_unit = and_(
        col(AuditLog.target_type) == "org_unit",
        col(AuditLog.target_id).in_(units.with_only_columns(cast(OrgUnit.id, String))),
    )
    unplaced = or_(col(AuditLog.target_type).is_(None), col(AuditLog.target_type).not_in(_PLACING_TARGETS))
    return or_(
        col(AuditLog.actor_id).in_(accounts),
        and_(col(AuditLog.actor_id).is_(None), or_(about_account, about_unit, unplaced)),
    )


def readable_audit(actor: Actor) -> SelectOfScalar[AuditLog]:
    """Auditors read the rows of their unit's subtree (their district, for a district's auditor) and the
    installation's own rows (see _audit_rows_in); nobody else reads the audit log."""
    query = select(AuditLog)
    if actor.role == Role.auditor and actor.unit_path:
        return query.where(_audit_rows_in(subtree_ids(actor)))
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
