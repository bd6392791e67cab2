"""Revealing a resident's full phone or ID number: only the roles whose work needs it, always with a
reason, always audited. Everywhere else they are shown masked (138****1234)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel import Session

from core.crypto import get_cipher
from models.enums import Role
from models.grid import Household, Resident
from models.resident_request import ResidentRequest
from services import audit
from services.actor import Actor
from services.errors import NotFound, PermissionDenied

RevealField = Literal["phone", "id_number"]

# The people who call residents back: grid workers, village staff, stationed cadres, department handlers.
PHONE_CALLERS = frozenset(
    {Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre, Role.department_handler}
)
# An ID number serves the applications that grid leaders, village staff and town cadres file for a resident
# (subsidies, insurance); a grid member's visits never need one.
ID_NUMBER_READERS = frozenset({Role.grid_leader, Role.village_staff, Role.town_cadre})

AUDIT_ACTIONS: dict[RevealField, str] = {"phone": "reveal_phone", "id_number": "reveal_id_number"}


def may_reveal(role: str | None, field: RevealField) -> bool:
    """Whether a role may see this field in full (who may see the record at all is checked before)."""
    return role in (PHONE_CALLERS if field == "phone" else ID_NUMBER_READERS)


def _reveal(
    session: Session,
    actor: Actor,
    field: RevealField,
    target: tuple[str, object],
    ciphertext: str | None,
    *,
    reason: str,
    ip: str | None,
    now: datetime,
) -> str:
    if not may_reveal(actor.role, field):
        message = "您的角色不能查看居民电话" if field == "phone" else "您的角色不能查看身份证号"
        raise PermissionDenied(message, code="reveal_not_permitted")
    if ciphertext is None:
        raise NotFound("没有登记电话" if field == "phone" else "没有登记身份证号", code=f"no_{field}")
    target_type, target_id = target
    audit.record(
        session,
        AUDIT_ACTIONS[field],
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        ip=ip,
        now=now,
    )
    return get_cipher().decrypt(ciphertext)


def reveal_reporter_phone(
    session: Session, rr: ResidentRequest, actor: Actor, *, reason: str, ip: str | None, now: datetime
) -> str:
    """Decrypt the reporter's phone for a caller role and write who, why and when to the audit log."""
    target = ("resident_request", rr.id)
    return _reveal(session, actor, "phone", target, rr.reporter_phone_ciphertext, reason=reason, ip=ip, now=now)


def reveal_household_phone(
    session: Session, household: Household, actor: Actor, *, reason: str, ip: str | None, now: datetime
) -> str:
    """The household's contact phone in full, for a caller role who may read the household; audited."""
    target = ("household", household.id)
    return _reveal(session, actor, "phone", target, household.phone_ciphertext, reason=reason, ip=ip, now=now)


def reveal_resident(
    session: Session,
    resident: Resident,
    actor: Actor,
    field: RevealField,
    *,
    reason: str,
    ip: str | None,
    now: datetime,
) -> str:
    """A resident's phone or ID number in full, for the roles that need it; audited."""
    ciphertext = resident.phone_ciphertext if field == "phone" else resident.id_number_ciphertext
    return _reveal(session, actor, field, ("resident", resident.id), ciphertext, reason=reason, ip=ip, now=now)
