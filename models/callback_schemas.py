"""API schemas of callbacks (回访): recording one attempt, and the 待回访 list."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field
from sqlmodel import SQLModel

from models.enums import ClosureType, RatingLevel, RequestStatus, Resolution
from models.types import Text


class CallbackCreate(SQLModel):
    reached: bool = Field(description="是否联系上居民；未接通也记录一次，可再次回访")
    resolution: Resolution | None = Field(
        default=None,
        description="接通时必填：resolved 已解决 / partly_resolved 部分解决 / unresolved 未解决；未接通时不填",
    )
    satisfaction: RatingLevel | None = Field(
        default=None,
        description="接通时必填，代居民记录：satisfied 满意 / basically_satisfied 基本满意 / unsatisfied 不满意"
        "（不满意即重办）；未接通时不填",
    )
    note: Text | None = Field(default=None, max_length=500, description="回访说明，如居民原话、未接通原因")


class CallbackDue(SQLModel):
    """A reply of the current cycle waiting for a callback that reaches the resident."""

    id: uuid.UUID
    case_code: str
    status: RequestStatus
    status_label: str
    category_name: str
    description: str
    unit_id: int
    unit_name: str
    first_unit_id: int
    closure_type: ClosureType | None
    replied_at: datetime
    closed_at: datetime | None
    rating: RatingLevel | None = Field(description="居民本人本轮的评价（有则以本人评价计入满意率）")
    attempts: int = Field(description="本轮未接通的回访次数")
    last_attempt_at: datetime | None
    reporter_name: str | None
    reporter_phone_masked: str | None = Field(description="居民电话（打码）；为 null 时无法电话回访")
    uncallable: bool = Field(description="居民未留电话，无法回访（计入无法回访率）")


class CallbackDuePage(SQLModel):
    items: list[CallbackDue]
    next_cursor: str | None
