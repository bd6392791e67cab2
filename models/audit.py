"""The append-only audit log (a keyed hash chain, services/audit_chain.py) and the counters behind rate limits."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column
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
    # The chain: 1, 2, 3… with no gap, the previous row's `row_hash`, and this row's keyed hash.
    seq: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    prev_hash: str = Field(min_length=64, max_length=64, nullable=False)
    row_hash: str = Field(min_length=64, max_length=64, nullable=False)


class AuditChainHead(SQLModel, table=True):
    """The chain's one head row: the last `seq` and `row_hash`, locked by every writer of an audit row."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    row_hash: str = Field(max_length=64, nullable=False)


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


class AuditChainBroken(SQLModel):
    seq: int | None = Field(description="第一处断链的序号（链尾缺记录时为缺的第一个序号）")
    id: int | None = Field(description="该条记录的 id（记录已不存在时为空）")
    reason: str = Field(description="seq_gap、seq_out_of_order、prev_hash_mismatch、hash_mismatch 或 head_mismatch")
    message: str


class AuditChainVerdict(SQLModel):
    ok: bool
    rows_checked: int
    first_broken: AuditChainBroken | None
