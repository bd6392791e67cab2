"""Reading the audit log: auditors only, newest first, filtered, keyset by id."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col

from models.audit import AuditChainBroken, AuditChainVerdict, AuditLog, AuditLogPublic
from models.user_schemas import AuditLogPage
from services import audit, audit_chain, keyset
from services.actor import Actor
from services.people.visibility import readable_audit
from services.rules.audit_chain import BREAK_MESSAGES


def list_page(
    session: Session,
    actor: Actor,
    *,
    action: str | None,
    actor_id: int | None,
    at_from: datetime | None,
    at_to: datetime | None,
    limit: int,
    cursor: str | None,
) -> AuditLogPage:
    """Records the actor may read (see readable_audit), newest first; `at_to` is exclusive."""
    query = readable_audit(actor)
    before = keyset.parse_id(cursor)
    if before is not None:
        query = query.where(col(AuditLog.id) < before)
    if action is not None:
        query = query.where(col(AuditLog.action) == action)
    if actor_id is not None:
        query = query.where(col(AuditLog.actor_id) == actor_id)
    if at_from is not None:
        query = query.where(col(AuditLog.at) >= at_from)
    if at_to is not None:
        query = query.where(col(AuditLog.at) < at_to)
    rows = session.exec(query.order_by(col(AuditLog.id).desc()).limit(limit + 1)).all()
    items = [AuditLogPublic.model_validate(row.model_dump()) for row in rows[:limit]]
    next_cursor = str(rows[limit - 1].id) if len(rows) > limit else None
    return AuditLogPage(items=items, next_cursor=next_cursor)


def verify_chain(session: Session, actor: Actor, *, ip: str | None, now: datetime) -> AuditChainVerdict:
    """Walk the whole chain (every district's rows: a break names only a seq and an id, no content) and audit
    the check itself, with its result, so the log shows who verified it and when."""
    verdict = audit_chain.verify(session)
    broken = verdict.first_broken
    first = None
    if broken is not None:
        first = AuditChainBroken(
            seq=broken.seq, id=broken.id, reason=broken.reason, message=BREAK_MESSAGES[broken.reason]
        )
    detail = {"rows_checked": verdict.rows_checked, "first_broken": first.model_dump() if first else None}
    result = "ok" if verdict.ok else "broken"
    audit.record(session, "audit_verify", actor=actor, result=result, ip=ip, detail=detail, now=now)
    return AuditChainVerdict(ok=verdict.ok, rows_checked=verdict.rows_checked, first_broken=first)
