"""Grid work: households and residents per grid, ledgers (台账), visits (走访), and what offline sync needs
(applied operations, devices, attachments, a change log the phones pull from)."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import at_field, created_at_field


class Household(SQLModel, table=True):
    """户: the unit a grid member visits. `id` may be generated on the phone; `version` counts server edits."""

    __tablename__ = "household"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grid_id: int = Field(foreign_key="org_unit.id", index=True, nullable=False)
    head_name: str = Field(max_length=50, nullable=False)
    address_text: str = Field(max_length=200, nullable=False)  # coarse: village group and house number
    phone_ciphertext: str | None = Field(default=None, max_length=200)
    phone_index: str | None = Field(default=None, max_length=64, index=True)
    phone_last4: str | None = Field(default=None, max_length=4)
    member_count: int = Field(default=1, nullable=False)
    notes: str | None = Field(default=None, max_length=500)
    version: int = Field(default=1, nullable=False)
    has_conflict: bool = Field(default=False, nullable=False)  # a field changed on both sides waits for review
    is_active: bool = Field(default=True, nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class HouseholdRevision(SQLModel, table=True):
    """A household's edited fields as they stood before the edit (a phone still sealed), the version they
    belonged to, who changed them and when: edits overwrite the row, this keeps what they overwrote."""

    __tablename__ = "household_revision"

    id: int | None = Field(default=None, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="household.id", index=True, nullable=False)
    version: int = Field(nullable=False)
    before: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    changed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    changed_at: datetime = at_field(nullable=False)


class Resident(SQLModel, table=True):
    """居民: a person in a household. The ID number is optional, encrypted, looked up by keyed hash only."""

    __tablename__ = "resident"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="household.id", index=True, nullable=False)
    name: str = Field(max_length=50, nullable=False)
    relation: str = Field(default="other", max_length=16, nullable=False)  # head / spouse / child / parent / other
    birth_year: int | None = Field(default=None)
    phone_ciphertext: str | None = Field(default=None, max_length=200)
    phone_index: str | None = Field(default=None, max_length=64, index=True)
    phone_last4: str | None = Field(default=None, max_length=4)
    id_number_ciphertext: str | None = Field(default=None, max_length=200)
    id_number_index: str | None = Field(default=None, max_length=64, index=True)
    id_number_last4: str | None = Field(default=None, max_length=4)
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class LedgerType(SQLModel, table=True):
    """A kind of ledger (留守儿童, 空巢/独居老人, 困难家庭, 残疾 …), editable by admins."""

    __tablename__ = "ledger_type"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, nullable=False)
    name: str = Field(max_length=50, nullable=False)
    is_sensitive: bool = Field(default=True, nullable=False)  # reads are limited by role and audited
    visit_every_days: int = Field(default=30, nullable=False)
    attribute_names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()


class LedgerEnrolment(SQLModel, table=True):
    """A household (or one person in it) on a ledger, with its own attributes and visit target."""

    __tablename__ = "ledger_enrolment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    ledger_type_id: int = Field(foreign_key="ledger_type.id", index=True, nullable=False)
    household_id: uuid.UUID = Field(foreign_key="household.id", index=True, nullable=False)
    resident_id: uuid.UUID | None = Field(default=None, foreign_key="resident.id")
    attributes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    visit_every_days: int | None = Field(default=None)  # None: the ledger type's
    responsible_user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    is_active: bool = Field(default=True, nullable=False)
    enrolled_at: datetime = created_at_field()
    ended_at: datetime | None = at_field(default=None)


class Visit(SQLModel, table=True):
    """走访: append-only. `visited_at` is the phone's clock (for display); `received_at` is the server's."""

    __tablename__ = "visit"
    __table_args__ = (Index("ix_visit_household_id_received_at", "household_id", "received_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grid_id: int = Field(foreign_key="org_unit.id", index=True, nullable=False)
    household_id: uuid.UUID | None = Field(default=None, foreign_key="household.id")
    place_text: str | None = Field(default=None, max_length=200)
    visitor_id: int = Field(foreign_key="user_account.id", index=True, nullable=False)
    notes: str | None = Field(default=None, max_length=2000)
    visited_at: datetime = at_field(nullable=False)
    received_at: datetime = at_field(nullable=False)


class VisitItem(SQLModel, table=True):
    """Something raised on a visit (suggestion / difficulty) and what became of it."""

    __tablename__ = "visit_item"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    visit_id: uuid.UUID = Field(foreign_key="visit.id", index=True, nullable=False)
    kind: str = Field(sa_type=String(16), nullable=False)  # suggestion / difficulty
    description: str = Field(max_length=1000, nullable=False)
    outcome: str = Field(sa_type=String(16), nullable=False)  # solved_on_spot / became_request / noted
    resident_request_id: uuid.UUID | None = Field(default=None, foreign_key="resident_request.id", index=True)


class Attachment(SQLModel, table=True):
    """A photo of a visit: declared by the visit op, uploaded later; content-addressed by SHA-256."""

    __tablename__ = "attachment"
    # A person's uploads by day: the daily photo quota counts them.
    __table_args__ = (Index("ix_attachment_created_by_id_uploaded_at", "created_by_id", "uploaded_at"),)

    id: uuid.UUID = Field(primary_key=True)
    visit_id: uuid.UUID | None = Field(default=None, foreign_key="visit.id", index=True)
    sha256: str = Field(max_length=64, nullable=False)  # as declared; the stored file's after EXIF is stripped
    stored_sha256: str | None = Field(default=None, max_length=64)
    mime: str = Field(max_length=32, nullable=False)
    bytes: int = Field(nullable=False)
    uploaded_at: datetime | None = at_field(default=None)
    created_by_id: int = Field(foreign_key="user_account.id", nullable=False)
    created_at: datetime = created_at_field()


class AppliedOp(SQLModel, table=True):
    """One row per sync operation ever applied: the primary key makes a replay a no-op."""

    __tablename__ = "applied_op"

    op_id: uuid.UUID = Field(primary_key=True)
    device_id: uuid.UUID = Field(index=True, nullable=False)
    user_id: int = Field(foreign_key="user_account.id", nullable=False)
    entity: str = Field(max_length=32, nullable=False)
    entity_id: uuid.UUID = Field(nullable=False)
    request_hash: str = Field(max_length=64, nullable=False)
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = created_at_field()


class Device(SQLModel, table=True):
    """A phone that syncs: when it last pushed and pulled, and how many ops it says are still waiting."""

    __tablename__ = "device"

    id: uuid.UUID = Field(primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, nullable=False)
    last_push_at: datetime | None = at_field(default=None)
    last_pull_at: datetime | None = at_field(default=None)
    pending_count: int = Field(default=0, nullable=False)
    silent_alerted_at: datetime | None = at_field(default=None)
    created_at: datetime = created_at_field()


class HouseholdConflict(SQLModel, table=True):
    """A household field changed on the phone and on the server since the phone's copy: both values kept."""

    __tablename__ = "household_conflict"

    id: int | None = Field(default=None, primary_key=True)
    household_id: uuid.UUID = Field(foreign_key="household.id", index=True, nullable=False)
    field_name: str = Field(max_length=32, nullable=False)
    server_value: Any = Field(default=None, sa_column=Column(JSON))
    client_value: Any = Field(default=None, sa_column=Column(JSON))
    op_id: uuid.UUID = Field(nullable=False)
    resolved_at: datetime | None = at_field(default=None)
    resolved_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = created_at_field()


class SyncChange(SQLModel, table=True):
    """The change log phones pull from: a growing server sequence per grid, never a timestamp."""

    __tablename__ = "sync_change"
    __table_args__ = (
        Index("ix_sync_change_grid_id_seq", "grid_id", "seq"),
        UniqueConstraint("entity", "entity_id", "version"),
    )

    # BIGINT on PostgreSQL; SQLite only counts up an INTEGER PRIMARY KEY.
    seq: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    )
    grid_id: int = Field(foreign_key="org_unit.id", nullable=False)
    entity: str = Field(max_length=32, nullable=False)  # household / resident / visit / ledger_enrolment
    entity_id: uuid.UUID = Field(nullable=False)
    version: int = Field(default=1, nullable=False)
    at: datetime = created_at_field()
