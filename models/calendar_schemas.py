"""API schemas of the working-day calendar: a year's import (JSON or CSV) and what admins read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field
from sqlmodel import SQLModel

from models.enums import DayKind

FALLBACK_NOTE = "该年尚未导入官方日历：暂按周一至周五计算工作日，涉及该年的期限标记为临时，导入后自动重算。"

CSV_EXAMPLE = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,makeup_workday,春节\n2027-02-08,holiday,春节\n"

# The PUT body is read by hand (JSON or CSV), so its schema is written out for OpenAPI.
IMPORT_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "description": (
        "只列例外日期：法定节假日（holiday）和调休上班的周末（makeup_workday）；其余日期按周一至周五。"
        "JSON，或 text/csv（表头 date,kind,name）。全部校验通过才写入，否则 422 并在 detail 中列出 days[i].字段。"
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["days"],
                "properties": {
                    "year": {"type": "integer", "description": "年份；省略时取路径中的年份，填写则须一致"},
                    "days": {
                        "type": "array",
                        "maxItems": 366,
                        "items": {
                            "type": "object",
                            "required": ["date", "kind"],
                            "properties": {
                                "date": {"type": "string", "format": "date", "description": "YYYY-MM-DD，须在该年内"},
                                "kind": {
                                    "type": "string",
                                    "enum": ["holiday", "makeup_workday"],
                                    "description": "holiday 法定节假日；makeup_workday 调休上班（须为周六或周日）",
                                },
                                "name": {"type": "string", "maxLength": 50, "description": "节日名称，如 春节"},
                            },
                        },
                    },
                },
            },
            "example": {
                "year": 2027,
                "days": [
                    {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
                    {"date": "2027-02-06", "kind": "makeup_workday", "name": "春节"},
                    {"date": "2027-02-08", "kind": "holiday", "name": "春节"},
                ],
            },
        },
        "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
    },
}


class CalendarImportResult(SQLModel):
    """What an import wrote and which deadlines it moved."""

    year: int
    days: int = Field(description="写入的天数（365 或 366）")
    holidays: int = Field(description="法定节假日天数")
    makeup_workdays: int = Field(description="调休上班天数")
    replaced: bool = Field(description="该年原有的日历已被替换")
    timers_recomputed: int = Field(description="重新计算的期限数（临时期限；替换时还包括按工作日计的期限）")
    timers_moved: int = Field(description="其中到期时间发生变化的期限数")
    source: str
    imported_at: dt.datetime
    summary: str = Field(description="一句话的中文摘要")


class CalendarYearPublic(SQLModel):
    year: int
    source: str = Field(description="数据来源，如 chinesecalendar 1.11.0 或导入时填写的通知文号")
    imported_at: dt.datetime
    imported_by_id: int | None = Field(description="导入的管理员；迁移或命令行导入时为空")


class CalendarCoverage(SQLModel):
    years: list[CalendarYearPublic] = Field(description="已导入官方日历的年份，从早到晚")
    current_year: int = Field(description="本地时区的今年")
    missing: list[int] = Field(description="今年和明年中尚未导入的年份")
    warning: str | None = Field(description="有缺失年份时的提示")


class CalendarDayPublic(SQLModel):
    date: dt.date
    kind: DayKind = Field(description="holiday 法定节假日；makeup_workday 调休上班")
    kind_label: str
    name: str | None
    is_workday: bool
    weekday_label: str = Field(description="周一 … 周日")


class CalendarYearDetail(SQLModel):
    year: int
    official: bool = Field(description="该年已导入官方日历；否则按周一至周五临时计算")
    source: str | None
    imported_at: dt.datetime | None
    holidays: int
    makeup_workdays: int
    days: list[CalendarDayPublic] = Field(description="法定节假日和调休上班日，按日期排列；其余日期按周一至周五")
    note: str | None = Field(description="未导入时的说明")
