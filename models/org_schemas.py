"""API input schemas of the org tree; they replace OrgUnitCreate/OrgUnitUpdate of models/org.py, whose
strings are not `Text` and whose ids are not bounded."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from sqlmodel import SQLModel

from models.enums import UnitKind
from models.types import DbId, Text

UnitName = Annotated[Text, Field(min_length=1, max_length=100)]
UnitCode = Annotated[Text, Field(min_length=1, max_length=20)]

CODE_DESCRIPTION = (
    "统计用区划代码：区县 6 位、镇街 9 位（区县代码开头）、村社区 12 位（镇街代码开头）、"
    "网格 = 村代码 + 3 位序号（可省略，自动取最小空号）、部门 = 上级代码 + D + 2 位"
)


class OrgUnitCreate(SQLModel):
    kind: UnitKind
    name: UnitName
    code: UnitCode | None = Field(default=None, description=CODE_DESCRIPTION)
    parent_id: DbId | None = Field(default=None, description="上级单位；区县没有上级")

    model_config = {
        "json_schema_extra": {
            "examples": [{"kind": "grid", "name": "甲村第三网格", "parent_id": 3}],
        }
    }


class OrgUnitUpdate(SQLModel):
    name: UnitName | None = None
    parent_id: DbId | None = Field(
        default=None,
        description="移动到新的上级单位。网格未给代码时在新村自动编号；村、镇街、部门须同时给出新代码",
    )
    code: UnitCode | None = Field(default=None, description=CODE_DESCRIPTION)

    model_config = {"json_schema_extra": {"examples": [{"parent_id": 4}, {"name": "甲村东网格"}]}}
