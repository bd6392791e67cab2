"""Offline sync: push (each op in its own savepoint, idempotent on `op_id` by the primary key of
`applied_op`), pull (the change log of the actor's grids after a cursor), and device tracking.

Household edits with a stale `base_version` merge field by field (services/rules/merge.py). The op may
carry `base_fields`, the phone's copy at `base_version`; a field is changed on the server when its
current value differs from that copy. Without the copy every differing field counts as changed on both
sides. A field changed on both sides takes the phone's value (server-receipt order, last writer wins),
keeps both values in `household_conflict`, flags the household and tells the grid leaders.

A visit is never edited: its id sent again with the content recorded answers `duplicate`, with other content
`conflict` (the fields that differ and the visit as kept; nothing written, nothing dropped unsaid)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, func, select

from core.db import dialect_insert
from core.settings import get_settings
from models.enums import NotificationChannel
from models.grid import AppliedOp, Attachment, Device, SyncChange
from models.sync_schemas import (
    AttachmentDeclared,
    OpResult,
    OpStatus,
    PullPage,
    PushEnvelope,
    PushResult,
    SyncOp,
    VisitFields,
)
from models.user import User
from services.actor import Actor
from services.errors import Conflict, DomainError, PermissionDenied
from services.gridwork import sync_households, visits
from services.gridwork.sync_views import changes_page, visit_record
from services.notify import outbox
from services.rules import field_messages

VISIT_HORIZON = timedelta(days=90)  # visits older than this are not sent to phones


def request_hash(op: SyncOp) -> str:
    """SHA-256 of the op's canonical JSON: the same op resent hashes the same."""
    canonical = json.dumps(op.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def push(session: Session, actor: Actor, envelope: PushEnvelope, *, now: datetime) -> PushResult:
    """Apply each op in its own savepoint and answer one result per op, in order; a bad op never
    blocks the rest of its batch."""
    if actor.role not in visits.SYNC_ROLES:
        raise PermissionDenied("您的角色不能同步网格数据", code="forbidden")
    device = _touch_device(session, actor, envelope.device_id)
    device.last_push_at = now
    if envelope.pending_count is not None:
        device.pending_count = envelope.pending_count
    # One query for the whole batch's op ids: a resent batch is answered without touching anything else.
    ids = [op.op_id for op in envelope.ops]
    applied = {row.op_id: row for row in session.exec(select(AppliedOp).where(col(AppliedOp.op_id).in_(ids))).all()}
    results = [_apply(session, actor, envelope.device_id, op, now, applied) for op in envelope.ops]
    declared = [a["attachment_id"] for op in envelope.ops for a in op.attachments if "attachment_id" in a]
    return PushResult(results=results, missing_attachments=_missing(session, declared), server_time=now)


def _apply(
    session: Session, actor: Actor, device_id: uuid.UUID, op: SyncOp, now: datetime, applied: dict[uuid.UUID, AppliedOp]
) -> OpResult:
    digest = request_hash(op)
    if op.op_id in applied:
        return _answer(op, digest, applied[op.op_id])
    try:
        with session.begin_nested():
            result = _dispatch(session, actor, op, now)
            stored = result.model_dump(mode="json", exclude_none=True)
            session.add(
                AppliedOp(
                    op_id=op.op_id,
                    device_id=device_id,
                    user_id=actor.id,
                    entity=op.entity,
                    entity_id=op.entity_id,
                    request_hash=digest,
                    result=stored,
                    created_at=now,
                )
            )
            session.flush()
        return result
    except IntegrityError:
        # Another push applied this op_id (or took this id) first: answer what it stored, or ask again.
        return _replayed(session, op, digest) or _retry(op)
    except OperationalError:
        return _retry(op)
    except visits.VisitChanged as exc:
        return _changed(session, op, exc)
    except ValidationError as exc:
        return _rejected(op, "validation_failed", "输入有误，请检查标出的字段", field_messages.by_path(exc.errors()))
    except DomainError as exc:
        return _rejected(op, exc.code, exc.message, _field_errors(exc.detail))


def _dispatch(session: Session, actor: Actor, op: SyncOp, now: datetime) -> OpResult:
    handler = _HANDLERS.get((op.entity, op.action))
    if handler is None:
        raise Conflict(f"不支持的操作：{op.entity} {op.action}", code="unsupported_op")
    return handler(session, actor, op, now)


def _create_visit(session: Session, actor: Actor, op: SyncOp, now: datetime) -> OpResult:
    data = VisitFields.model_validate(op.fields)
    attachments = [AttachmentDeclared.model_validate(a) for a in op.attachments]
    recorded = visits.record(session, actor, op.entity_id, data, attachments, now=now)
    status = OpStatus.applied if recorded.created else OpStatus.duplicate
    return OpResult(op_id=op.op_id, status=status, entity_id=op.entity_id, server_version=1)


_HANDLERS: dict[tuple[str, str], Callable[[Session, Actor, SyncOp, datetime], OpResult]] = {
    ("visit", "create"): _create_visit,
    ("household", "create"): sync_households.create_household,
    ("household", "update"): sync_households.update_household,
    ("resident", "create"): sync_households.create_resident,
}


def _replayed(session: Session, op: SyncOp, digest: str) -> OpResult | None:
    applied = session.get(AppliedOp, op.op_id)
    return None if applied is None else _answer(op, digest, applied)


def _answer(op: SyncOp, digest: str, applied: AppliedOp) -> OpResult:
    """What an op id already applied answers: its stored result, or a refusal for another payload."""
    if applied.request_hash != digest:
        return _rejected(op, "idempotency_key_reuse", "同一操作编号已用于不同的内容", None)
    stored = {**applied.result, "op_id": op.op_id, "status": OpStatus.duplicate}
    return OpResult.model_validate(stored)


def _rejected(op: SyncOp, code: str, message: str, fields: dict[str, str] | None) -> OpResult:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return OpResult(op_id=op.op_id, status=OpStatus.rejected, entity_id=op.entity_id, error=error)


def _changed(session: Session, op: SyncOp, exc: visits.VisitChanged) -> OpResult:
    """A recorded visit sent again with other content: `conflict`, what differs, and the visit as kept."""
    error = {"code": exc.code, "message": exc.message, "fields": dict.fromkeys(exc.fields, "与已记录的不同")}
    return OpResult(
        op_id=op.op_id,
        status=OpStatus.conflict,
        entity_id=op.entity_id,
        server_version=1,
        conflict={"type": "hard", "fields": exc.fields},
        server_record=visit_record(session, exc.visit),
        error=error,
    )


def _retry(op: SyncOp) -> OpResult:
    error = {"code": "temporarily_unavailable", "message": "服务器繁忙，请稍后重试"}
    return OpResult(op_id=op.op_id, status=OpStatus.retry, entity_id=op.entity_id, error=error)


def _field_errors(detail: Any) -> dict[str, str] | None:
    if not isinstance(detail, list):
        return None
    return {".".join(str(p) for p in err.get("loc", [])[1:]) or "fields": str(err.get("msg")) for err in detail}


def _missing(session: Session, declared: list[Any]) -> list[uuid.UUID]:
    ids = []
    for raw in declared:
        try:
            ids.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    if not ids:
        return []
    query = select(Attachment.id).where(col(Attachment.id).in_(ids), col(Attachment.uploaded_at).is_(None))
    return sorted(session.exec(query).all(), key=str)


def _touch_device(session: Session, actor: Actor, device_id: uuid.UUID) -> Device:
    """The device row, created on first contact; a phone handed to another worker follows its new user."""
    session.execute(
        dialect_insert(session, Device)
        .values(id=device_id, user_id=actor.id, pending_count=0)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    device = session.exec(select(Device).where(col(Device.id) == device_id).with_for_update()).one()
    device.user_id = actor.id
    return device


def pull(
    session: Session, actor: Actor, device_id: uuid.UUID | None, cursor: str | None, limit: int, *, now: datetime
) -> PullPage:
    """Changes in the actor's grids after `cursor` (a server sequence number), each entity once at its
    latest state, minimal fields and never an ID number. An unknown cursor answers `resync_required`."""
    if actor.role not in visits.SYNC_ROLES or not actor.unit_path:
        raise PermissionDenied("您的角色不能同步网格数据", code="forbidden")
    since = _since(session, cursor)
    if device_id is not None:
        _touch_device(session, actor, device_id).last_pull_at = now
    changes, next_seq, has_more = changes_page(session, actor, since, limit, visits_after=now - VISIT_HORIZON)
    return PullPage(changes=changes, next_cursor=str(next_seq), has_more=has_more, server_time=now)


def _since(session: Session, cursor: str | None) -> int:
    if cursor is None or cursor == "":
        return 0
    latest = session.exec(select(func.max(SyncChange.seq))).one() or 0
    if not cursor.isdigit() or len(cursor) > 18 or int(cursor) > latest:
        raise Conflict("同步位置无效，请重新完整同步（待上传的记录会保留）", code="resync_required")
    return int(cursor)


SILENT_AFTER = timedelta(days=3)


def silent_device_ids(session: Session, now: datetime) -> list[uuid.UUID]:
    """Devices of active accounts whose last push and last pull are both older than SILENT_AFTER."""
    cutoff = now - SILENT_AFTER
    query = (
        select(Device.id)
        .join(User, col(User.id) == col(Device.user_id))
        .where(col(User.is_active))
        .where(func.coalesce(Device.last_push_at, Device.created_at) < cutoff)
        .where(func.coalesce(Device.last_pull_at, Device.created_at) < cutoff)
        .order_by(col(Device.id))
    )
    return list(session.exec(query).all())


def alert_silent_device(session: Session, device_id: uuid.UUID, now: datetime) -> int:
    """One inbox alert a day to the grid leaders of the device user's grid: its unsent ops may be lost
    (browser data cleared, storage evicted). Returns how many alerts were new."""
    row = session.exec(
        select(Device, User).join(User, col(User.id) == col(Device.user_id)).where(col(Device.id) == device_id)
    ).first()
    if row is None:
        return 0
    device, user = row
    day = now.astimezone(get_settings().tz).date().isoformat()
    last = max(t for t in (device.last_push_at, device.last_pull_at, device.created_at) if t is not None)
    written = outbox.enqueue(
        session,
        recipient_ids=sync_households.grid_leader_ids(session, user.org_unit_id),
        channels=[NotificationChannel.inbox],
        kind="device_silent",
        title=f"{user.name} 的手机已 {(now - last).days} 天未同步",
        body=f"待同步 {device.pending_count} 条。请提醒其联网同步，避免走访记录丢失。",
        dedupe_key=f"device_silent:{device.id}:{day}",
        now=now,
    )
    device.silent_alerted_at = now
    return written
