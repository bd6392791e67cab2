"""API schemas of stationing (驻点直联): the slot, the teams, sessions, attendance, matters and the public board."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlmodel import SQLModel

from models.types import ClockTime, DbId, Text

Team = Literal["stationed", "support"]
Attendance = Literal["held", "missed", "rescheduled"]
Outcome = Literal["solved_on_spot", "registered"]

_MOBILE = r"1[3-9]\d{9}"


def _office_phone(value: str | None) -> str | None:
    """A public office number only: a mobile number is someone's personal phone and never goes on a board."""
    if value is None:
        return None
    digits = "".join(ch for ch in value if ch.isdigit())
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if len(digits) == 11 and digits[0] == "1":
        raise ValueError("办公电话须为座机号码（如 0757-86281234），不能填写手机号")
    return value


class _Slot(SQLModel):
    @model_validator(mode="after")
    def _ends_after_start(self) -> _Slot:
        start, end = getattr(self, "start_time", None), getattr(self, "end_time", None)
        if start is not None and end is not None and end <= start:
            raise ValueError("结束时间须晚于开始时间")
        return self


class StationingCreate(_Slot):
    village_id: DbId = Field(description="驻点村（社区）")
    cadre_id: DbId = Field(description="驻点的镇（街道）干部账号")
    title: Text = Field(min_length=2, max_length=50, description="公开职务，如 镇党委委员")
    work_phone: Text | None = Field(
        default=None, max_length=20, pattern=r"^[0-9 \-()]{7,20}$", description="办公电话（座机，公示）"
    )
    weekday: int = Field(ge=0, le=4, description="固定接待日：0 周一 … 4 周五")
    start_time: ClockTime = Field(description="开始时间 HH:MM（当地时间）")
    end_time: ClockTime = Field(description="结束时间 HH:MM（当地时间）")
    place: Text = Field(min_length=2, max_length=100, description="固定地点，如 村委会一楼接待室")
    every_weeks: Literal[1, 2] = Field(default=1, description="1 每周 / 2 每两周（偏远村）")
    starts_on: date = Field(description="从这一天所在周起排班")

    _phone = field_validator("work_phone")(_office_phone)


class StationingUpdate(_Slot):
    title: Text | None = Field(default=None, min_length=2, max_length=50)
    work_phone: Text | None = Field(default=None, max_length=20, pattern=r"^[0-9 \-()]{7,20}$")
    weekday: int | None = Field(default=None, ge=0, le=4)
    start_time: ClockTime | None = None
    end_time: ClockTime | None = None
    place: Text | None = Field(default=None, min_length=2, max_length=100)
    every_weeks: Literal[1, 2] | None = None
    is_active: bool | None = None

    _phone = field_validator("work_phone")(_office_phone)

    @field_validator("title", "weekday", "start_time", "end_time", "place", "every_weeks", "is_active")
    @classmethod
    def _not_cleared(cls, value: object) -> object:
        """Omit a field to keep it; only the work phone may be cleared with null."""
        if value is None:
            raise PydanticCustomError("required_field_cleared", "不能清空（不修改请不要传这一项）")
        return value


class MemberCreate(SQLModel):
    name: Text = Field(min_length=1, max_length=50)
    team: Team = Field(description="stationed 驻点团队（干部、两代表一委员）/ support 辅助团队（村干部、志愿者）")
    user_id: DbId | None = Field(default=None, description="有账号的成员可在接待中登记事项")


class MemberPublic(SQLModel):
    id: int
    name: str
    team: Team
    user_id: int | None
    is_active: bool


class StationingPublic(SQLModel):
    id: int
    village_id: int
    cadre_id: int
    title: str
    work_phone: str | None
    weekday: int
    start_time: ClockTime
    end_time: ClockTime
    place: str
    every_weeks: int
    starts_on: date
    is_active: bool
    village_name: str = ""
    cadre_name: str = ""
    next_session_on: date | None = Field(default=None, description="下一次接待日（已生成且未接待的场次）")
    members: list[MemberPublic]


class GenerateSessions(SQLModel):
    weeks: int = Field(default=8, ge=1, le=26, description="向后生成的周数")


class SessionPublic(SQLModel):
    id: int
    stationing_id: int
    slot_on: date
    held_on: date
    start_time: ClockTime
    end_time: ClockTime
    place: str
    status: str
    reason: str | None
    duty_log: str | None


class AttendanceInput(SQLModel):
    status: Attendance = Field(description="held 已接待 / missed 未接待 / rescheduled 改期")
    reason: Text | None = Field(default=None, max_length=500, description="未接待或改期的原因（必填）")
    held_on: date | None = Field(default=None, description="改期后的日期（改期时必填）")


class DutyLogInput(SQLModel):
    duty_log: Text = Field(min_length=2, max_length=4000, description="驻点日志")


class MatterCreate(SQLModel):
    id: uuid.UUID | None = Field(default=None, description="客户端生成的诉求 UUID；重发不会重复登记")
    outcome: Outcome = Field(description="solved_on_spot 当场解决 / registered 登记交办")
    category_id: DbId
    description: Text = Field(min_length=2, max_length=2000)
    unit_id: DbId | None = Field(default=None, description="问题所在网格；默认驻点村")
    location_text: Text | None = Field(default=None, max_length=200)
    reporter_name: Text | None = Field(default=None, max_length=50)
    reporter_phone: Text | None = Field(default=None, pattern=r"^\+?[0-9 \-]{7,20}$")
    reporter_sms_opt_out: bool = Field(default=False, description="居民不接收短信")
    note: Text | None = Field(default=None, max_length=2000, description="当场解决时的处理说明（必填）")


class MatterPublic(SQLModel):
    id: uuid.UUID
    session_id: int
    outcome: Outcome
    resident_request_id: uuid.UUID
    case_code: str
    status: str


class BoardCadre(SQLModel):
    name: str
    title: str
    work_phone: str | None
    weekday_label: str
    start_time: ClockTime
    end_time: ClockTime
    place: str
    frequency_label: str
    next_session_on: date | None


class BoardResults(SQLModel):
    received: int = Field(description="驻点接待收到的诉求")
    solved_on_spot: int = Field(description="当场解决")
    fed_back_on_time: int = Field(description="按时反馈")
    sessions_held: int
    sessions_missed: int
    attendance_rate: float | None = Field(description="已接待 ÷（已接待 + 未接待）；尚无记录时为空")


class BoardPublic(SQLModel):
    village_name: str
    cadres: list[BoardCadre]
    results: BoardResults
