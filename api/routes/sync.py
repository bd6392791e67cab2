"""Offline sync for grid workers' phones: push a batch of ops, pull the changes of their grids."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.deps import CurrentActor, SessionDep
from api.errors import described
from core.clock import utc_now
from models.sync_schemas import MAX_OPS, PullPage, PushEnvelope, PushResult
from services.gridwork import sync

router = APIRouter()


@router.post(
    "/push",
    responses=described(
        s401="未登录或登录已失效",
        s403="角色不能同步（forbidden）",
        s413=f"一批超过 {MAX_OPS} 条操作（payload_too_large）：请拆小后重发",
        s422="信封格式有误（字段路径见 detail）",
    ),
)
def push(envelope: PushEnvelope, session: SessionDep, actor: CurrentActor) -> PushResult:
    """Apply the phone's ops in order, each on its own: 200 with one result per op (applied / duplicate /
    conflict / rejected / retry) whenever the batch was read. Resending a batch is always safe."""
    if len(envelope.ops) > MAX_OPS:
        raise HTTPException(413, detail={"max_ops": MAX_OPS, "received": len(envelope.ops)})
    return sync.push(session, actor, envelope, now=utc_now())


@router.get(
    "/pull",
    responses=described(
        s401="未登录或登录已失效",
        s403="角色不能同步（forbidden）",
        s409="cursor 无效或已过期（resync_required）：保留待上传记录，从头完整同步",
    ),
)
def pull(
    session: SessionDep,
    actor: CurrentActor,
    device_id: Annotated[uuid.UUID | None, Query(description="本机的设备 id")] = None,
    cursor: Annotated[str | None, Query(max_length=40, description="上次返回的 next_cursor；不带则从头同步")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> PullPage:
    """Changes in the worker's grids after `cursor`: households and residents (phones masked, never an ID
    number) and visits of the last 90 days, each at its current state."""
    return sync.pull(session, actor, device_id, cursor, limit, now=utc_now())
