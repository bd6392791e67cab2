"""Resident requests (诉求): the request, its append-only timeline, ratings, transfers, routing."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import at_field, created_at_field
from models.enums import (
    Action,
    Channel,
    ClosureType,
    ExtensionState,
    RatingLevel,
    RejectReason,
    RequestClass,
    RequestStatus,
    Resolution,
    Supervision,
)


class Category(SQLModel, table=True):
    __tablename__ = "category"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, unique=True, nullable=False)
    request_class: RequestClass = Field(sa_type=String(16), nullable=False)
    sort_order: int = Field(default=0, nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()


class RoutingRule(SQLModel, table=True):
    """Requests of `category_id` located in `unit_id` (a grid or village) go to `handling_unit_id`."""

    __tablename__ = "routing_rule"
    __table_args__ = (UniqueConstraint("category_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="category.id", nullable=False)
    unit_id: int = Field(foreign_key="org_unit.id", index=True, nullable=False)
    handling_unit_id: int = Field(foreign_key="org_unit.id", nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()


class ResidentRequest(SQLModel, table=True):
    __tablename__ = "resident_request"
    __table_args__ = (
        Index("ix_resident_request_registered_at_id", "registered_at", "id"),
        Index("ix_resident_request_status_registered_at", "status", "registered_at"),
        # The 待回访 list and the 未评价结案 sweep read replies by when they were given.
        Index("ix_resident_request_status_replied_at", "status", "replied_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_code: str = Field(max_length=12, unique=True, nullable=False)
    channel: Channel = Field(sa_type=String(16), nullable=False)
    category_id: int = Field(foreign_key="category.id", index=True, nullable=False)
    request_class: RequestClass = Field(sa_type=String(16), nullable=False)
    description: str = Field(max_length=2000, nullable=False)
    location_text: str | None = Field(default=None, max_length=200)
    reporter_name: str | None = Field(default=None, max_length=50)
    reporter_phone_ciphertext: str | None = Field(default=None, max_length=200)
    reporter_phone_index: str | None = Field(default=None, max_length=64, index=True)
    reporter_phone_last4: str | None = Field(default=None, max_length=4)
    # 居民不接收短信: the reporter asked for no SMS about the request (a call back is still possible).
    reporter_sms_opt_out: bool = Field(default=False, nullable=False)
    # Where the problem is (a grid or a village); the first unit stays responsible (首接负责).
    unit_id: int = Field(foreign_key="org_unit.id", index=True, nullable=False)
    first_unit_id: int = Field(foreign_key="org_unit.id", nullable=False)
    handling_unit_id: int = Field(foreign_key="org_unit.id", index=True, nullable=False)
    handler_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    escalated_to_unit_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True)
    routed: bool = Field(default=False, nullable=False)
    status: RequestStatus = Field(sa_type=String(16), nullable=False)
    closure_type: ClosureType | None = Field(default=None, sa_type=String(16))
    reject_reason: RejectReason | None = Field(default=None, sa_type=String(16))
    supervision: Supervision = Field(default=Supervision.normal, sa_type=String(8), nullable=False)
    cycle: int = Field(default=1, nullable=False)
    event_count: int = Field(default=0, nullable=False)
    feedback_due_at: datetime = at_field(index=True, nullable=False)
    feedback_met_at: datetime | None = at_field(default=None)
    signed_at: datetime | None = at_field(default=None)
    contacted_at: datetime | None = at_field(default=None)
    registered_at: datetime = at_field(nullable=False)
    replied_at: datetime | None = at_field(default=None)
    closed_at: datetime | None = at_field(default=None)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = created_at_field()


class ResidentRequestEvent(SQLModel, table=True):
    """One row per thing that happened; never updated, never deleted."""

    __tablename__ = "resident_request_event"
    __table_args__ = (UniqueConstraint("resident_request_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_request_id: uuid.UUID = Field(foreign_key="resident_request.id", nullable=False)
    seq: int = Field(nullable=False)
    action: Action = Field(sa_type=String(24), nullable=False)
    from_status: RequestStatus | None = Field(default=None, sa_type=String(16))
    to_status: RequestStatus = Field(sa_type=String(16), nullable=False)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    actor_role: str = Field(max_length=32, nullable=False)
    actor_unit_id: int | None = Field(default=None, foreign_key="org_unit.id")
    note: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    at: datetime = at_field(nullable=False)


class Rating(SQLModel, table=True):
    """A resident's rating of one reply cycle; a 不满意 reopens and the next cycle may be rated again."""

    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("resident_request_id", "cycle"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_request_id: uuid.UUID = Field(foreign_key="resident_request.id", nullable=False)
    cycle: int = Field(nullable=False)
    level: RatingLevel = Field(sa_type=String(24), nullable=False)
    comment: str | None = Field(default=None, max_length=500)
    rated_at: datetime = at_field(index=True, nullable=False)  # measures read the ratings of a period


class Callback(SQLModel, table=True):
    """One callback attempt (回访) on a reply cycle, recorded by staff of the first unit or above it; never
    updated, never deleted. A reached one carries the resident's answers; one that did not reach them may be
    followed by another attempt. At most one reached attempt per cycle (the service checks under the lock)."""

    __tablename__ = "callback"
    __table_args__ = (UniqueConstraint("resident_request_id", "cycle", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_request_id: uuid.UUID = Field(foreign_key="resident_request.id", index=True, nullable=False)
    cycle: int = Field(nullable=False)
    attempt: int = Field(nullable=False)  # 1, 2, … within the cycle
    reached: bool = Field(nullable=False)
    resolution: Resolution | None = Field(default=None, sa_type=String(16))
    satisfaction: RatingLevel | None = Field(default=None, sa_type=String(24))
    note: str | None = Field(default=None, max_length=500)
    called_by_id: int = Field(foreign_key="user_account.id", nullable=False)
    called_unit_id: int = Field(foreign_key="org_unit.id", nullable=False)
    called_at: datetime = at_field(index=True, nullable=False)  # measures read the callbacks of a period


class Transfer(SQLModel, table=True):
    """A transfer (转办) to a department; the department may read the request from then on."""

    __tablename__ = "transfer"

    id: int | None = Field(default=None, primary_key=True)
    resident_request_id: uuid.UUID = Field(foreign_key="resident_request.id", index=True, nullable=False)
    department_id: int = Field(foreign_key="org_unit.id", index=True, nullable=False)
    transferred_by_id: int = Field(foreign_key="user_account.id", nullable=False)
    instructions: str | None = Field(default=None, max_length=1000)
    due_at: datetime | None = at_field(default=None)
    at: datetime = at_field(nullable=False)


class Whistle(SQLModel, table=True):
    """吹哨: a town cadre calls a department in on a request; the department must report (报到) by
    `report_due_at` and may read the request from then on."""

    __tablename__ = "whistle"
    __table_args__ = (
        Index(
            "ix_whistle_unanswered_report_due_at",
            "report_due_at",
            sqlite_where=text("reported_at IS NULL AND overdue_at IS NULL"),
            postgresql_where=text("reported_at IS NULL AND overdue_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    resident_request_id: uuid.UUID = Field(foreign_key="resident_request.id", index=True, nullable=False)
    department_id: int = Field(foreign_key="org_unit.id", index=True, nullable=False)
    whistled_by_id: int = Field(foreign_key="user_account.id", nullable=False)
    instructions: str = Field(max_length=1000, nullable=False)
    report_due_at: datetime = at_field(nullable=False)
    reported_at: datetime | None = at_field(default=None)
    reported_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    overdue_at: datetime | None = at_field(default=None)  # when the sweep found it unanswered
    at: datetime = at_field(nullable=False)


class ExtensionRequest(SQLModel, table=True):
    """A handler's request for more time; a town cadre approves (the feedback clock moves) or denies it,
    with a reason either way. At most one is pending per request."""

    __tablename__ = "extension_request"

    id: int | None = Field(default=None, primary_key=True)
    resident_request_id: uuid.UUID = Field(foreign_key="resident_request.id", index=True, nullable=False)
    cycle: int = Field(nullable=False)
    requested_by_id: int = Field(foreign_key="user_account.id", nullable=False)
    requested_unit_id: int = Field(foreign_key="org_unit.id", nullable=False)
    requested_due_at: datetime = at_field(nullable=False)
    reason: str = Field(max_length=2000, nullable=False)
    state: ExtensionState = Field(default=ExtensionState.pending, sa_type=String(16), index=True, nullable=False)
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decision_note: str | None = Field(default=None, max_length=2000)
    decided_at: datetime | None = at_field(default=None)
    at: datetime = at_field(nullable=False)
