"""API schemas of the resident-request aggregate."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, Field
from sqlmodel import SQLModel

from models.enums import (
    Action,
    Channel,
    ClosureType,
    ExtensionState,
    RatingLevel,
    RejectReason,
    RequestClass,
    RequestStatus,
    SlaClock,
    SlaStage,
    Supervision,
)
from models.types import DbId, Text


class ResidentRequestCreate(SQLModel):
    id: uuid.UUID | None = Field(
        default=None, description="手机离线创建时由客户端生成的 UUID；重发同一 id 不会重复登记"
    )
    channel: Channel = Field(
        description="来源：visit 走访 / service_point 一定办好点 / reception 驻点接待 / "
        "self_report 自主上报 / hotline 热线"
    )
    category_id: DbId
    description: Text = Field(min_length=2, max_length=2000, description="诉求内容")
    location_text: Text | None = Field(default=None, max_length=200, description="大致位置（不需要精确地址）")
    unit_id: DbId = Field(description="问题所在的网格或村（社区）")
    reporter_name: Text | None = Field(default=None, max_length=50)
    reporter_phone: Text | None = Field(default=None, pattern=r"^\+?[0-9 \-]{7,20}$", description="居民电话，加密保存")


class ActionCommand(SQLModel):
    action: Action
    note: Text | None = Field(default=None, max_length=2000, description="说明；答复时为给居民的答复内容")
    reject_reason: RejectReason | None = None
    closure_type: ClosureType | None = Field(
        default=None, description="答复的办结类型：substantive 实质解决 / phased 阶段性 / procedural 程序性"
    )
    handling_unit_id: DbId | None = Field(default=None, description="派单目标单位（网格或村）")
    handler_id: DbId | None = Field(default=None, description="派单目标人员（可选）")
    department_id: DbId | None = Field(default=None, description="转办目标职能部门")
    due_at: AwareDatetime | None = Field(
        default=None,
        description="带时区的期限：转办时要求的办理期限；延期、申请延期时的新反馈期限；同意延期时可改定的期限",
    )
    report_within_hours: int | None = Field(
        default=None, ge=1, le=72, description="吹哨时部门须在几小时内报到（默认见 WHISTLE_REPORT_HOURS）"
    )


class RevealPhone(SQLModel):
    reason: Text = Field(min_length=2, max_length=500, description="查看完整电话的理由，记入审计")


class RevealedPhone(SQLModel):
    phone: str


class ResidentRequestSummary(SQLModel):
    id: uuid.UUID
    case_code: str
    status: RequestStatus
    status_label: str
    channel: Channel
    category_id: int
    category_name: str
    request_class: RequestClass
    description: str
    location_text: str | None
    unit_id: int
    unit_name: str
    handling_unit_id: int
    supervision: Supervision
    feedback_due_at: datetime
    overdue: bool
    reasons: list[str] = Field(
        default_factory=list, description="出现在督办台或待办中的原因（仅 desk/inbox 筛选时给出）"
    )
    reason_labels: list[str] = Field(default_factory=list)
    registered_at: datetime
    reporter_phone_masked: str | None


class ResidentRequestPage(SQLModel):
    items: list[ResidentRequestSummary]
    next_cursor: str | None


class EventPublic(SQLModel):
    seq: int
    action: Action
    action_label: str
    from_status: RequestStatus | None
    to_status: RequestStatus
    actor_name: str | None
    actor_role: str
    actor_unit_name: str | None
    note: str | None
    data: dict[str, Any] | None
    at: datetime


class RatingPublic(SQLModel):
    cycle: int
    level: RatingLevel
    comment: str | None
    rated_at: datetime


class SlaClockPublic(SQLModel):
    """One clock of the current cycle as a handler sees it."""

    clock: SlaClock
    clock_label: str
    cycle: int
    started_at: datetime
    warn_at: datetime
    due_at: datetime
    stage: SlaStage
    stage_label: str
    provisional: bool = Field(description="期限跨入尚未导入官方日历的年份，暂按周一至周五计算")
    paused: bool
    extended: bool
    met_at: datetime | None
    breached_at: datetime | None
    policy_id: int


class TransferPublic(SQLModel):
    department_id: int
    department_name: str
    instructions: str | None
    due_at: datetime | None = Field(description="转办时要求的办理期限")
    at: datetime


class WhistlePublic(SQLModel):
    id: int
    department_id: int
    department_name: str
    instructions: str
    report_due_at: datetime = Field(description="须在此前报到")
    reported_at: datetime | None
    late: bool = Field(description="超过报到时限（无论是否已报到）")
    at: datetime


class ExtensionRequestPublic(SQLModel):
    id: int
    cycle: int
    requested_unit_id: int
    requested_due_at: datetime
    reason: str
    state: ExtensionState
    state_label: str
    decision_note: str | None
    decided_at: datetime | None
    at: datetime


class ResidentRequestDetail(ResidentRequestSummary):
    reporter_name: str | None
    first_unit_id: int
    first_unit_name: str
    handling_unit_name: str
    handler_id: int | None
    escalated_to_unit_id: int | None
    closure_type: ClosureType | None
    reject_reason: RejectReason | None
    cycle: int
    signed_at: datetime | None
    contacted_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    allowed_actions: list[Action]
    sla: list[SlaClockPublic]
    events: list[EventPublic]
    ratings: list[RatingPublic]
    transfers: list[TransferPublic] = Field(default_factory=list, description="转办记录")
    whistles: list[WhistlePublic] = Field(default_factory=list, description="吹哨记录与报到情况")
    extension_requests: list[ExtensionRequestPublic] = Field(default_factory=list, description="延期申请与审批")
