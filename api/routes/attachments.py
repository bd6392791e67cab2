"""Visit photos: PUT the raw image of a declared slot (idempotent, checked, metadata stripped, a daily quota),
GET it back if readable."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.deps import CurrentActor, SessionDep
from api.errors import described
from core.clock import utc_now
from core.settings import get_settings
from services.gridwork import attachments
from services.gridwork.storage import BlobStore, get_store

router = APIRouter()

Store = Annotated[BlobStore, Depends(get_store)]


class AttachmentRead(BaseModel):
    id: uuid.UUID
    visit_id: uuid.UUID | None
    sha256: str
    stored_sha256: str | None
    mime: str
    bytes: int
    uploaded_at: datetime | None
    changed: bool


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, detail={"max_bytes": limit})


async def limited_body(request: Request) -> bytes:
    """The raw body, refused with 413 as soon as it is known to be over the limit (Content-Length first,
    then counting while reading, since the header may be absent or wrong)."""
    limit = get_settings().attachment_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


Body = Annotated[bytes, Depends(limited_body)]
Sha256Header = Annotated[
    str | None,
    Header(alias="X-Content-SHA256", pattern=r"^[0-9a-fA-F]{64}$", description="原图的 SHA-256（十六进制）"),
]

PUT_ERRORS = described(
    s401="未登录或登录已失效",
    s403="角色不能上传照片",
    s404="此编号属于他人",
    s409="此编号已上传了另一张照片（attachment_conflict），或尚无走访登记此照片（attachment_not_declared：先同步走访记录）",
    s413="超过大小上限（payload_too_large，detail.max_bytes）",
    s422="校验值不符（sha256_mismatch）、非 JPEG/PNG/WebP（unsupported_type）或图片无法读取",
    s429="今天上传的照片已达每日上限（photo_quota）；Retry-After 给出到午夜的秒数",
)


@router.put(
    "/{attachment_id}",
    response_model=AttachmentRead,
    responses=PUT_ERRORS,
    summary="上传走访照片（原始字节；须是走访记录已登记的照片；同一编号同一内容重复上传不变）",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in attachments.MIMES},
        }
    },
)
async def put_attachment(
    attachment_id: uuid.UUID, session: SessionDep, actor: CurrentActor, store: Store, body: Body, sha256: Sha256Header
) -> AttachmentRead:
    row, changed = await run_in_threadpool(
        attachments.upload, session, actor, attachment_id, body, sha256, store=store, now=utc_now()
    )
    return AttachmentRead.model_validate({**row.model_dump(), "changed": changed})


GET_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {m: {} for m in attachments.MIMES}},
    **described(s401="未登录或登录已失效", s404="不存在、尚未上传，或不在您的可见范围"),
}


@router.get(
    "/{attachment_id}",
    response_class=Response,
    responses=GET_RESPONSES,
    summary="取回照片（已去除 EXIF/GPS）",
)
def get_attachment(attachment_id: uuid.UUID, session: SessionDep, actor: CurrentActor, store: Store) -> Response:
    row = attachments.get_readable(session, actor, attachment_id)
    headers = {"Cache-Control": "private, max-age=86400", "ETag": f'"{row.stored_sha256}"'}
    return Response(attachments.read_bytes(row, store), media_type=row.mime, headers=headers)
