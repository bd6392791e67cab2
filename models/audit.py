"""The append-only audit log and the counters behind public rate limits."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.base import at_field, created_at_field


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = at_field(index=True, nullable=False)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    actor_role: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=50, index=True, nullable=False)
    target_type: str | None = Field(default=None, max_length=50)
    target_id: str | None = Field(default=None, max_length=64)
    result: str = Field(default="ok", max_length=16, nullable=False)
    reason: str | None = Field(default=None, max_length=500)
    ip: str | None = Field(default=None, max_length=45)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class RateLimitBucket(SQLModel, table=True):
    __tablename__ = "rate_limit_bucket"

    key: str = Field(primary_key=True, max_length=200)
    window_start: datetime = at_field(primary_key=True, nullable=False)
    count: int = Field(default=0, nullable=False)
    created_at: datetime = created_at_field()


class AuditLogPublic(SQLModel):
    id: int
    at: datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    target_type: str | None
    target_id: str | None
    result: str
    reason: str | None
    ip: str | None
    detail: dict[str, Any] | None
