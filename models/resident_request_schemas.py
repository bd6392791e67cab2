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
    NotificationStatus,
    RatingLevel,
    RejectReason,
    RequestClass,
    RequestStatus,
    Resolution,
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
    reporter_phone: Text | None = Field(
        default=None,
        pattern=r"^\+?[0-9 \-]{7,20}$",
        description="居民电话，加密保存；不留电话也可登记，但无法回访（计入无法回访率）",
    )
    reporter_sms_opt_out: bool = Field(
        default=False, description="居民不接收短信：不发送登记、答复、重办和评价提醒短信（仍可电话回访）"
    )


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
    uncallable: bool = Field(description="居民未留电话，无法回访（计入无法回访率）")
    reporter_sms_opt_out: bool = Field(description="居民不接收短信：不发登记回执、答复、重办和评价提醒短信")


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


class CallbackPublic(SQLModel):
    """One callback attempt (回访) as staff see it."""

    cycle: int
    attempt: int = Field(description="本轮第几次回访")
    reached: bool = Field(description="是否联系上居民")
    resolution: Resolution | None = Field(description="resolved 已解决 / partly_resolved 部分解决 / unresolved 未解决")
    resolution_label: str | None
    satisfaction: RatingLevel | None = Field(description="居民（经回访代为记录）的满意度")
    satisfaction_label: str | None
    counts: bool = Field(description="本轮计入满意率的是这次回访（居民本人评价过的，以本人评价为准）")
    note: str | None
    called_by_name: str | None
    called_unit_name: str | None
    called_at: datetime


class ResidentMessagePublic(SQLModel):
    """One SMS to the resident as staff see it: what it said and whether it went out (the number stays masked)."""

    kind: str = Field(
        description="resident_registered 登记回执 / resident_replied 答复通知 / resident_reopened 重办通知 / "
        "resident_rate_reminder 评价提醒"
    )
    kind_label: str
    text: str = Field(description="发给居民的短信内容（不含签名）")
    status: NotificationStatus = Field(description="pending 待发送（夜间顺延至早上）/ sent 已发送 / failed 发送失败")
    queued_at: datetime
    send_after: datetime | None = Field(description="待发送时最早的发送时间（免打扰时段顺延）")
    sent_at: datetime | None
    error: str | None = Field(description="发送失败或重试的原因（号码打码）")


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
    allowed_actions: list[Action] = Field(
        description="本人此刻可做的操作（已签收的不再有 sign_for，已首次联系的不再有 first_contact）；"
        "callback 表示可以回访，经 POST /requests/{id}/callbacks 记录，其余经 /actions"
    )
    sla: list[SlaClockPublic]
    events: list[EventPublic]
    ratings: list[RatingPublic]
    callbacks: list[CallbackPublic] = Field(default_factory=list, description="回访记录（含未接通的尝试）")
    transfers: list[TransferPublic] = Field(default_factory=list, description="转办记录")
    whistles: list[WhistlePublic] = Field(default_factory=list, description="吹哨记录与报到情况")
    extension_requests: list[ExtensionRequestPublic] = Field(default_factory=list, description="延期申请与审批")
    resident_messages: list[ResidentMessagePublic] = Field(
        default_factory=list, description="发给居民的短信与发送情况（居民留了手机号且未拒收时）"
    )
