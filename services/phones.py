"""Revealing a resident's full phone: only roles that phone residents, always with a reason, always audited."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.crypto import get_cipher
from models.enums import Role
from models.resident_request import ResidentRequest
from services import audit
from services.actor import Actor
from services.errors import NotFound, PermissionDenied

# The people who call residents back: grid workers, village staff, stationed cadres, department handlers.
PHONE_CALLERS = frozenset(
    {Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre, Role.department_handler}
)


def reveal_reporter_phone(
    session: Session, rr: ResidentRequest, actor: Actor, *, reason: str, ip: str | None, now: datetime
) -> str:
    """Decrypt the reporter's phone for a caller role and write who, why and when to the audit log."""
    if actor.role not in PHONE_CALLERS:
        raise PermissionDenied("您的角色不能查看居民电话", code="reveal_not_permitted")
    if rr.reporter_phone_ciphertext is None:
        raise NotFound("该诉求没有登记电话", code="no_phone")
    audit.record(
        session,
        "reveal_phone",
        actor=actor,
        target_type="resident_request",
        target_id=rr.id,
        reason=reason,
        ip=ip,
        now=now,
    )
    return get_cipher().decrypt(rr.reporter_phone_ciphertext)
