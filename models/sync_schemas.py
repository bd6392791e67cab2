"""API schemas of offline sync: the push envelope and its per-op results, the pull page, visit fields."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from sqlmodel import SQLModel

from models.types import DbId, Text

MAX_OPS = 50


class OpStatus(StrEnum):
    applied = "applied"
    duplicate = "duplicate"
    conflict = "conflict"
    rejected = "rejected"
    retry = "retry"


class AttachmentDeclared(SQLModel):
    attachment_id: uuid.UUID
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="照片内容的 SHA-256（小写十六进制）")
    bytes: int = Field(ge=1, le=20_000_000)
    mime: Literal["image/jpeg", "image/png", "image/webp"]


class SyncOp(SQLModel):
    """One change made on the phone. Only the envelope keys are checked here; `fields` is checked per op,
    so one bad op is rejected on its own instead of failing the batch."""

    op_id: uuid.UUID = Field(description="幂等键：操作创建时生成，重发时不变")
    entity: str = Field(max_length=32, description="visit / household / resident")
    action: str = Field(max_length=16, description="create / update")
    entity_id: uuid.UUID = Field(description="记录的 id（客户端生成的 UUID）")
    base_version: int | None = Field(default=None, ge=1, description="update 时手机上副本的版本号")
    base_fields: dict[str, Any] | None = Field(
        default=None, description="update 时手机上副本（base_version 时）的字段值，用于逐字段合并"
    )
    fields: dict[str, Any] = Field(default_factory=dict)
    attachments: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    client_created_at: AwareDatetime | None = Field(default=None, description="手机时间，仅供显示")


class PushEnvelope(SQLModel):
    device_id: uuid.UUID
    ops: list[SyncOp] = Field(description=f"最多 {MAX_OPS} 条；超过时返回 413，请拆分后重发")
    pending_count: int | None = Field(default=None, ge=0, le=2_147_483_647, description="手机上仍待同步的操作数")


class OpResult(SQLModel):
    op_id: uuid.UUID
    status: OpStatus
    entity_id: uuid.UUID | None = None
    server_version: int | None = None
    conflict: dict[str, Any] | None = Field(default=None, description="冲突字段：{type: hard, fields: [...]}")
    server_record: dict[str, Any] | None = None
    error: dict[str, Any] | None = Field(default=None, description="{code, message, fields}")


class PushResult(SQLModel):
    results: list[OpResult]
    missing_attachments: list[uuid.UUID] = Field(description="已声明但尚未上传的照片 id")
    server_time: datetime


class PullPage(SQLModel):
    changes: list[dict[str, Any]] = Field(description="{entity, id, version, seq, data}；只含最少字段，不含身份证号")
    next_cursor: str
    has_more: bool
    server_time: datetime


# Per-op fields, checked inside the op's own transaction.

_STRICT = ConfigDict(extra="forbid")


class VisitRequestFields(BaseModel):
    model_config = _STRICT
    id: uuid.UUID | None = None
    category_id: DbId
    description: Text = Field(min_length=2, max_length=2000)
    reporter_phone: Text | None = Field(default=None, pattern=r"^\+?[0-9 \-]{7,20}$")
    reporter_sms_opt_out: bool = False  # 居民不接收短信


class VisitItemFields(BaseModel):
    model_config = _STRICT
    id: uuid.UUID
    kind: Literal["suggestion", "difficulty"]
    description: Text = Field(min_length=1, max_length=1000)
    outcome: Literal["solved_on_spot", "became_request", "noted"]
    resident_request: VisitRequestFields | None = None


class VisitFields(BaseModel):
    model_config = _STRICT
    household_id: uuid.UUID | None = None
    place_text: Text | None = Field(default=None, max_length=200)
    grid_id: DbId | None = Field(default=None, description="不关联住户时的网格；默认本人所在网格")
    notes: Text | None = Field(default=None, max_length=2000)
    visited_at: AwareDatetime
    items: list[VisitItemFields] = Field(default_factory=list, max_length=50)


class HouseholdFields(BaseModel):
    """A household as the phone sends it; on update only the keys sent are merged."""

    model_config = _STRICT
    grid_id: DbId | None = None
    head_name: Text | None = Field(default=None, min_length=1, max_length=50)
    address_text: Text | None = Field(default=None, min_length=1, max_length=200)
    phone: Text | None = Field(default=None, pattern=r"^\+?[0-9 \-]{7,20}$")
    member_count: int | None = Field(default=None, ge=1, le=50)  # the same bounds as the REST API and CSV import
    notes: Text | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _required_fields_are_not_cleared(self) -> HouseholdFields:
        # Omitted means "unchanged"; an explicit null clears, which only the phone and the notes allow.
        for name in ("head_name", "address_text", "member_count"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise PydanticCustomError("required_field_cleared", "{field} 不能清空", {"field": name})
        return self


class ResidentFields(BaseModel):
    model_config = _STRICT
    household_id: uuid.UUID
    name: Text = Field(min_length=1, max_length=50)
    relation: Literal["head", "spouse", "child", "parent", "other"] = "other"
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    phone: Text | None = Field(default=None, pattern=r"^\+?[0-9 \-]{7,20}$")
