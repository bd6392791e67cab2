"""Revealing a resident's full phone or ID number: only the roles whose work needs it, always with a
reason, a budget per account and hour, always audited, refusals included. Everywhere else they are shown
masked (138****1234).

A refusal is raised after its audit row and the attempt's count are written: the routes answer it with
`error_response` instead of letting it roll the request back, so a refused reveal is evidence too (the one
request whose error commits; the reveal writes nothing else)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel import Session

from core.crypto import get_cipher
from core.settings import get_settings
from models.enums import Role
from models.grid import Household, Resident
from models.resident_request import ResidentRequest
from services import audit
from services.actor import Actor
from services.errors import DomainError, NotFound, PermissionDenied, TooManyRequests, wait_words
from services.people import rate_limit

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


def _refusal(session: Session, actor: Actor, field: RevealField, registered: bool, now: datetime) -> DomainError | None:
    """Why this reveal is refused, if it is: over the account's hourly budget (every attempt counts, refused
    ones too), a role whose work does not need the field, or nothing registered."""
    limit = get_settings().reveal_limit_per_hour
    if rate_limit.add(session, f"reveal:{actor.id}", seconds=3600, now=now) > limit:
        wait = rate_limit.refused(seconds=3600, now=now).retry_after
        message = f"查看完整号码过于频繁（每小时最多 {limit} 次），请 {wait_words(wait)}后再试"
        return TooManyRequests(message, retry_after=wait, code="reveal_rate_limited")
    if not may_reveal(actor.role, field):
        message = "您的角色不能查看居民电话" if field == "phone" else "您的角色不能查看身份证号"
        return PermissionDenied(message, code="reveal_not_permitted")
    if not registered:
        return NotFound("没有登记电话" if field == "phone" else "没有登记身份证号", code=f"no_{field}")
    return None


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
    refusal = _refusal(session, actor, field, ciphertext is not None, now)
    target_type, target_id = target
    audit.record(
        session,
        AUDIT_ACTIONS[field],
        actor=actor,
        target_type=target_type,
        target_id=target_id,
        result="ok" if refusal is None else "refused",
        reason=reason,
        ip=ip,
        detail=None if refusal is None else {"code": refusal.code},
        now=now,
    )
    if refusal is not None:
        raise refusal
    assert ciphertext is not None
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
