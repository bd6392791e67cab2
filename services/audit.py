"""Append-only audit records, written in the same transaction as what they describe, each chained to the last."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import utc_now
from models.audit import AuditLog
from services import audit_chain
from services.actor import Actor


def record(
    session: Session,
    action: str,
    *,
    actor: Actor | None = None,
    target_type: str | None = None,
    target_id: object = None,
    result: str = "ok",
    reason: str | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditLog:
    """Write one audit row, chained (seq, previous hash, keyed hash) under the chain head's lock."""
    entry = AuditLog(
        at=now or utc_now(),
        actor_id=actor.id if actor else None,
        actor_role=actor.role if actor else None,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        result=result,
        reason=reason,
        ip=ip,
        detail=detail,
        seq=0,  # the chain's fields are set by chain(), under the head's lock
        prev_hash="",
        row_hash="",
    )
    return audit_chain.chain(session, entry)
