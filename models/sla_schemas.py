"""API schemas of the SLA policies (时限规则): versions as admins read them, changes, re-pins and retirements."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator
from sqlmodel import SQLModel

from models.enums import DurationUnit, RequestClass, RequestStatus, SlaClock
from models.types import ClockTime, DbId, Text

REQUEST_CLASS_LABELS: dict[RequestClass, str] = {
    RequestClass.emergency: "紧急类",
    RequestClass.utilities: "水电气类",
    RequestClass.general: "一般类",
    RequestClass.complex: "复杂类",
    RequestClass.consultation: "咨询类",
}
CLOCK_LABELS: dict[SlaClock, str] = {SlaClock.feedback: "反馈", SlaClock.response: "响应"}
DURATION_UNIT_LABELS: dict[DurationUnit, str] = {
    DurationUnit.hours: "小时",
    DurationUnit.calendar_days: "自然日",
    DurationUnit.working_days: "工作日",
}

# A clock may pause only while the request is still open.
PAUSABLE_STATUSES = (
    RequestStatus.registered,
    RequestStatus.accepted,
    RequestStatus.dispatched,
    RequestStatus.in_progress,
)
MAX_HOURS = 720
MAX_DAYS = 90


def _pausable(status: RequestStatus) -> RequestStatus:
    if status not in PAUSABLE_STATUSES:
        raise ValueError("只能选择办结前的状态：registered、accepted、dispatched、in_progress")
    return status


PauseStatus = Annotated[RequestStatus, AfterValidator(_pausable)]
Reason = Annotated[Text, Field(min_length=1, max_length=200)]


class SlaPolicyPublic(SQLModel):
    id: int
    scope: str = Field(description="class:general 表示按时限类别；category:12 表示按诉求分类（优先于类别）")
    scope_label: str = Field(description="类别名（如 一般类）或分类名")
    request_class: RequestClass | None
    category_id: int | None
    clock: SlaClock
    clock_label: str
    version: int
    is_current: bool = Field(description="false：已被新版本取代或已停用；进行中的计时仍按其绑定的版本")
    amount: int
    unit: DurationUnit
    unit_label: str
    duration_label: str = Field(description="例如 7 个自然日、24 小时")
    warn_percent: int
    leadership_after_days: int
    quiet_start: ClockTime = Field(description="免打扰开始，HH:MM（本地时间）")
    quiet_end: ClockTime = Field(description="免打扰结束，HH:MM（本地时间）")
    pause_statuses: list[RequestStatus]
    created_at: datetime
    created_by_id: int | None


class SlaPolicyChange(SQLModel):
    """A new version for one scope and clock; omitted settings take the defaults below, not the old version's."""

    request_class: RequestClass | None = Field(default=None, description="按时限类别设置（与 category_id 二选一）")
    category_id: DbId | None = Field(
        default=None, validate_default=True, description="按诉求分类设置，优先于其类别（与 request_class 二选一）"
    )
    clock: SlaClock = Field(description="feedback 反馈时限 / response 响应时限（签收并首次联系）")
    unit: DurationUnit = Field(description="hours 小时 / calendar_days 自然日 / working_days 工作日")
    amount: int = Field(ge=1, le=MAX_HOURS, description=f"时长：小时最多 {MAX_HOURS}，天数最多 {MAX_DAYS}")
    warn_percent: int = Field(default=70, ge=1, le=99, description="用去多少百分比的时限时黄牌预警")
    leadership_after_days: int = Field(default=2, ge=0, le=30, description="超期多少天后升级至镇街领导")
    quiet_start: ClockTime = Field(default=time(22, 0), description="免打扰开始 HH:MM；与结束相同表示不设免打扰")
    quiet_end: ClockTime = Field(default=time(7, 0), description="免打扰结束 HH:MM")
    pause_statuses: list[PauseStatus] = Field(default_factory=list, max_length=4, description="处于这些状态时暂停计时")
    reason: Reason = Field(description="修改原因，记入审计")

    @field_validator("category_id")
    @classmethod
    def _exactly_one_scope(cls, value: int | None, info: ValidationInfo) -> int | None:
        if "request_class" in info.data and (value is None) == (info.data["request_class"] is None):
            raise ValueError("request_class 与 category_id 须填且只填一个")
        return value

    @field_validator("amount")
    @classmethod
    def _fits_unit(cls, value: int, info: ValidationInfo) -> int:
        unit = info.data.get("unit")
        if unit is not None and unit != DurationUnit.hours and value > MAX_DAYS:
            raise ValueError(f"按天计算时最多 {MAX_DAYS} 天")
        return value

    @field_validator("pause_statuses")
    @classmethod
    def _once_each(cls, value: list[RequestStatus]) -> list[RequestStatus]:
        return list(dict.fromkeys(value))


class SlaPolicyRepin(SQLModel):
    preview: bool = Field(default=True, description="true 只统计将受影响的计时，不做修改")
    reason: Reason | None = Field(default=None, validate_default=True, description="执行时必填，记入审计")

    @field_validator("reason")
    @classmethod
    def _needed_to_run(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("preview") is False:
            raise ValueError("执行重新绑定时须填写原因")
        return value


class SlaRepinResult(SQLModel):
    preview: bool
    timers: int = Field(description="绑定在该范围旧版本上、仍在计时的计时数")
    repinned: int = Field(description="已改绑到此版本的计时数（预览时为 0）")
    due_moved: int = Field(description="期限因此改变的计时数；人工延期过的期限保持不变")


class SlaPolicyRetire(SQLModel):
    reason: Reason = Field(description="停用原因，记入审计")
