"""API schemas of households, residents, ledgers and visit due lists. Phones and ID numbers leave masked."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlmodel import SQLModel

from models.enums import ConflictKeep
from models.types import DbId, Text

Phone = Annotated[Text, Field(pattern=r"^\+?[0-9 \-]{7,20}$", description="电话，加密保存，输出时打码")]
AttributeValue = Annotated[Text, Field(max_length=200)] | int | float | bool | None


class HouseholdCreate(SQLModel):
    id: uuid.UUID | None = Field(default=None, description="手机离线创建时由客户端生成的 UUID")
    grid_id: DbId = Field(description="所属网格")
    head_name: Text = Field(min_length=1, max_length=50, description="户主姓名")
    address_text: Text = Field(min_length=1, max_length=200, description="大致地址：村民小组和门牌号")
    phone: Phone | None = None
    member_count: int = Field(default=1, ge=1, le=50, description="家庭人数")
    notes: Text | None = Field(default=None, max_length=500)


class HouseholdUpdate(SQLModel):
    base_version: int = Field(ge=1, description="客户端所见的版本；已被他人修改时返回 409 和当前版本")
    head_name: Text | None = Field(default=None, min_length=1, max_length=50)
    address_text: Text | None = Field(default=None, min_length=1, max_length=200)
    phone: Phone | None = Field(default=None, description="传空字符串以外的值替换电话；不传保持不变")
    member_count: int | None = Field(default=None, ge=1, le=50)
    notes: Text | None = Field(default=None, max_length=500)


class ResidentCreate(SQLModel):
    id: uuid.UUID | None = Field(default=None, description="客户端生成的 UUID（可选）")
    name: Text = Field(min_length=1, max_length=50)
    relation: Text = Field(
        default="other",
        pattern=r"^(head|spouse|child|parent|other)$",
        description="与户主关系：head / spouse / child / parent / other",
    )
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    phone: Phone | None = None
    id_number: Text | None = Field(
        default=None, max_length=30, description="18 位身份证号（可选），加密保存，只显示后 4 位"
    )


class ResidentUpdate(SQLModel):
    name: Text | None = Field(default=None, min_length=1, max_length=50)
    relation: Text | None = Field(default=None, pattern=r"^(head|spouse|child|parent|other)$")
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    phone: Phone | None = None
    id_number: Text | None = Field(default=None, max_length=30)
    is_active: bool | None = Field(default=None, description="false：迁出或去世，不删除")


class ResidentPublic(SQLModel):
    id: uuid.UUID
    household_id: uuid.UUID
    name: str
    relation: str
    birth_year: int | None
    phone_masked: str | None
    id_number_masked: str | None = Field(description="只显示后 4 位")
    is_active: bool


class HouseholdPublic(SQLModel):
    id: uuid.UUID
    grid_id: int
    head_name: str
    address_text: str
    phone_masked: str | None
    member_count: int
    notes: str | None
    version: int
    has_conflict: bool
    is_active: bool
    created_at: datetime
    updated_at: datetime


class HouseholdDetail(HouseholdPublic):
    residents: list[ResidentPublic]


class HouseholdPage(SQLModel):
    items: list[HouseholdPublic]
    next_cursor: str | None


ConflictValue = str | int | None


class HouseholdConflictPublic(SQLModel):
    """A household field changed both on a phone and on the server: both values, phones masked."""

    id: int
    household_id: uuid.UUID
    grid_id: int
    grid_name: str
    head_name: str = Field(description="户主姓名（住户当前的）")
    address_text: str
    field_name: str = Field(description="head_name / address_text / phone / member_count / notes")
    field_label: str = Field(description="字段的中文名")
    server_value: ConflictValue = Field(description="同步前服务器上的值；电话打码")
    client_value: ConflictValue = Field(description="手机上改成的值；电话打码")
    current_value: ConflictValue = Field(description="住户现在的值（同步时已先按手机的值写入）；电话打码")
    op_id: uuid.UUID = Field(description="带来冲突的同步操作")
    device_id: uuid.UUID | None = Field(description="推送该操作的手机")
    pushed_by_id: int | None
    pushed_by_name: str | None
    created_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None


class HouseholdConflictPage(SQLModel):
    items: list[HouseholdConflictPublic]
    next_cursor: str | None


class ConflictResolve(SQLModel):
    keep: ConflictKeep = Field(description="server：保留服务器的值；client：保留手机的值；other：填写其他值")
    value: ConflictValue = Field(
        default=None,
        description="keep=other 时必填：新值（按住户修改的规则校验；备注、电话可传 null 清空）",
    )
    note: Text | None = Field(default=None, max_length=500, description="处理说明，记入审计日志")


class ConflictResolution(SQLModel):
    conflict: HouseholdConflictPublic
    household: HouseholdPublic = Field(description="处理后的住户（版本已加一，手机下次同步会收到）")


class HouseholdImportResult(SQLModel):
    grid_id: int
    imported: int = Field(description="新建的住户数")


class LedgerTypeCreate(SQLModel):
    code: Text = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$", description="英文代码，创建后不可修改")
    name: Text = Field(min_length=1, max_length=50)
    is_sensitive: bool = Field(default=True, description="敏感台账：限角色查看，每次查看记入审计")
    visit_every_days: int = Field(default=30, ge=1, le=366, description="走访频次：每 N 天至少一次")
    attribute_names: list[Annotated[Text, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]] = Field(
        default_factory=list, max_length=20, description="该台账可登记的属性名"
    )


class LedgerTypeUpdate(SQLModel):
    name: Text | None = Field(default=None, min_length=1, max_length=50)
    is_sensitive: bool | None = None
    visit_every_days: int | None = Field(default=None, ge=1, le=366)
    attribute_names: list[Annotated[Text, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]] | None = Field(
        default=None, max_length=20
    )
    is_active: bool | None = None


class LedgerTypePublic(SQLModel):
    id: int
    code: str
    name: str
    is_sensitive: bool
    visit_every_days: int
    attribute_names: list[str]
    is_active: bool


class EnrolmentCreate(SQLModel):
    ledger_type_id: DbId
    household_id: uuid.UUID
    resident_id: uuid.UUID | None = Field(default=None, description="登记到户中某一人时填写")
    attributes: dict[Annotated[str, Field(max_length=32)], AttributeValue] = Field(
        default_factory=dict, description="只能使用该台账类型的属性名"
    )
    visit_every_days: int | None = Field(default=None, ge=1, le=366, description="不填则用台账类型的频次")
    responsible_user_id: DbId = Field(description="责任网格员：该户所在网格的在岗网格员或网格长")


class EnrolmentPublic(SQLModel):
    id: uuid.UUID
    ledger_type_id: int
    ledger_type_code: str
    ledger_type_name: str
    is_sensitive: bool
    household_id: uuid.UUID
    grid_id: int
    head_name: str
    resident_id: uuid.UUID | None
    attributes: dict[str, Any]
    visit_every_days: int = Field(description="实际生效的走访频次（天）")
    responsible_user_id: int | None
    is_active: bool
    enrolled_at: datetime
    ended_at: datetime | None


class EnrolmentPage(SQLModel):
    items: list[EnrolmentPublic]
    next_cursor: str | None


class DueHousehold(SQLModel):
    household_id: uuid.UUID
    grid_id: int
    head_name: str
    address_text: str
    visit_every_days: int
    ledger_type_codes: list[str] = Field(description="空：没有台账，按默认每月一次")
    last_visit_at: datetime | None = Field(description="最近一次走访（服务器收到时间）；null 表示从未走访")
    due_at: datetime | None = Field(description="应走访时间；从未走访为 null（排在最前）")
    days_overdue: int | None


class Coverage(SQLModel):
    grid_id: int
    period_from: datetime
    period_to: datetime
    households_total: int = Field(description="期末前建档的在册住户")
    households_due: int = Field(description="分母：期内到期应走访的住户（此前从未走访，或上次走访加频次早于期末）")
    households_due_visited: int = Field(description="分子：其中期内有走访的住户")
    households_visited: int = Field(description="期内有走访的住户（含未到期的）")
    coverage: float | None = Field(description="分子 ÷ 分母；分母为 0 时为 null")


class RevealResident(SQLModel):
    field: Literal["phone", "id_number"] = Field(description="phone：完整电话；id_number：完整身份证号")
    reason: Text = Field(min_length=2, max_length=500, description="查看的理由，记入审计")


class Revealed(SQLModel):
    field: Literal["phone", "id_number"]
    value: str
