"""API schemas of request categories and of the routing rules set per category and place."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from sqlmodel import SQLModel

from models.enums import RequestClass
from models.types import DbId, Text

CategoryName = Annotated[Text, Field(min_length=1, max_length=50)]
SortOrder = Annotated[int, Field(ge=0, le=100_000)]

CLASS_DESCRIPTION = (
    "时限类别：emergency 紧急 2 小时、utilities 水电气 24 小时、general 一般 7 天、"
    "complex 复杂 15 天、consultation 咨询 2 个工作日"
)


class CategoryPublic(SQLModel):
    id: int
    name: str
    request_class: RequestClass
    sort_order: int
    is_active: bool


class CategoryCreate(SQLModel):
    name: CategoryName
    request_class: RequestClass = Field(description=CLASS_DESCRIPTION)
    sort_order: SortOrder | None = Field(default=None, description="排序；省略时排在最后")


class CategoryUpdate(SQLModel):
    name: CategoryName | None = None
    request_class: RequestClass | None = Field(default=None, description=CLASS_DESCRIPTION)
    sort_order: SortOrder | None = None
    is_active: bool | None = Field(default=None, description="停用后不再出现在登记和居民自报的分类中")


class RoutingRulePublic(SQLModel):
    id: int
    category_id: int
    category_name: str
    unit_id: int
    unit_name: str
    handling_unit_id: int
    handling_unit_name: str
    is_active: bool


class RoutingRuleCreate(SQLModel):
    category_id: DbId
    unit_id: DbId = Field(description="问题所在的网格、村(社区)或镇街；规则对其下所有单位生效，最近的规则优先")
    handling_unit_id: DbId = Field(description="承办单位：须为启用状态，且在您的管辖范围内或为该镇街的职能部门")


class RoutingRuleUpdate(SQLModel):
    handling_unit_id: DbId | None = None
    is_active: bool | None = None
