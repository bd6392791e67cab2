"""Schemas of the resident-facing endpoints: no staff names, no personal data."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlmodel import SQLModel

from models.enums import Action, RatingLevel, RequestStatus, UnitKind
from models.resident_request_schemas import RatingPublic
from models.types import DbId, Text


class PublicUnit(SQLModel):
    id: int
    name: str
    kind: UnitKind
    parent_id: int | None


class ResidentCategory(SQLModel):
    id: int
    name: str


class PublicReport(SQLModel):
    category_id: DbId
    unit_id: DbId = Field(description="问题所在的村（社区）或网格")
    description: Text = Field(min_length=5, max_length=2000, description="反映的问题")
    location_text: Text | None = Field(default=None, max_length=200)
    reporter_name: Text | None = Field(default=None, max_length=50)
    phone: Text = Field(pattern=r"^\+?[0-9 \-]{7,20}$", description="联系电话；查询进度时需要其后 4 位")
    sms_opt_out: bool = Field(default=False, description="不接收短信（登记回执、答复通知、重办通知和评价提醒）")


class PublicReceipt(SQLModel):
    case_code: str = Field(description="案件码，请妥善保存，查询进度时使用")
    status: RequestStatus
    status_label: str
    feedback_due_at: datetime


class StatusQuery(SQLModel):
    case_code: Text = Field(min_length=4, max_length=20, description="案件码，如 ABCDE-23456")
    phone_last4: Text = Field(pattern=r"^[0-9]{4}$", description="登记电话的后 4 位")


class RatingInput(StatusQuery):
    level: RatingLevel = Field(description="satisfied 满意 / basically_satisfied 基本满意 / unsatisfied 不满意")
    comment: Text | None = Field(default=None, max_length=500)


class ResidentEvent(SQLModel):
    action: Action
    action_label: str
    status_label: str
    unit_name: str | None = Field(description="办理单位（不含个人姓名）")
    role_label: str | None
    at: datetime
    note: str | None = Field(description="答复或办结说明（仅对居民公开的内容）")


class PublicStatus(SQLModel):
    case_code: str
    status: RequestStatus
    status_label: str
    category_name: str
    registered_at: datetime
    feedback_due_at: datetime
    timeline: list[ResidentEvent]
    can_rate: bool
    ratings: list[RatingPublic]
