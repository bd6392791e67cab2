"""The SLA engine's data: the working-day calendar, versioned policies and one timer per clock and cycle."""

import uuid
from datetime import date, datetime, time

from sqlalchemy import JSON, Column, Index, String, Time, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import at_field, created_at_field
from models.enums import DayKind, DurationUnit, RequestClass, SlaClock, SlaStage


class WorkCalendarDay(SQLModel, table=True):
    """One row per date of every year the calendar knows; a year is all in or all out."""

    __tablename__ = "work_calendar_day"

    day: date = Field(primary_key=True)
    is_workday: bool = Field(nullable=False)
    kind: DayKind = Field(sa_type=String(16), nullable=False)
    name: str | None = Field(default=None, max_length=50)


class WorkCalendarYear(SQLModel, table=True):
    """A year whose official schedule is in `work_calendar_day`; other years fall back to Monday–Friday."""

    __tablename__ = "work_calendar_year"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    source: str = Field(max_length=100, nullable=False)
    imported_at: datetime = created_at_field()
    imported_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class SlaPolicy(SQLModel, table=True):
    """One version of the rule for one clock of a request class or a category. Rows are never edited:
    a change is a new version, and running timers keep the version they started under."""

    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("scope", "clock", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    # "class:general" or "category:12"; a category's policy wins over its class's.
    scope: str = Field(max_length=40, nullable=False)
    request_class: RequestClass | None = Field(default=None, sa_type=String(16))
    category_id: int | None = Field(default=None, foreign_key="category.id")
    clock: SlaClock = Field(sa_type=String(16), nullable=False)
    version: int = Field(nullable=False)
    is_current: bool = Field(default=True, index=True, nullable=False)
    amount: int = Field(nullable=False)
    unit: DurationUnit = Field(sa_type=String(16), nullable=False)
    warn_percent: int = Field(default=70, nullable=False)  # share of the budget used → warning (yellow card)
    leadership_after_days: int = Field(default=2, nullable=False)  # breach + N days → town leadership
    quiet_start: time = Field(default=time(22, 0), sa_type=Time(), nullable=False)
    quiet_end: time = Field(default=time(7, 0), sa_type=Time(), nullable=False)
    pause_statuses: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = created_at_field()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class SlaTimer(SQLModel, table=True):
    """One clock of one request in one cycle (a 不满意 reopen starts the next cycle)."""

    __tablename__ = "sla_timer"
    __table_args__ = (
        UniqueConstraint("resident_request_id", "clock", "cycle"),
        # Only live rows carry next_action_at, so the sweep reads due rows and nothing else.
        Index(
            "ix_sla_timer_live_next_action_at",
            "next_action_at",
            sqlite_where=text("next_action_at IS NOT NULL"),
            postgresql_where=text("next_action_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    resident_request_id: uuid.UUID = Field(foreign_key="resident_request.id", index=True, nullable=False)
    clock: SlaClock = Field(sa_type=String(16), nullable=False)
    cycle: int = Field(nullable=False)
    policy_id: int = Field(foreign_key="sla_policy.id", index=True, nullable=False)
    started_at: datetime = at_field(nullable=False)
    warn_at: datetime = at_field(nullable=False)
    due_at: datetime = at_field(index=True, nullable=False)  # measures read the clocks due in a period
    # The next instant the sweep must look at this timer; NULL once met, paused or past the last stage.
    next_action_at: datetime | None = at_field(default=None)
    stage: int = Field(default=SlaStage.running, nullable=False)  # a SlaStage; only ever moves forward
    provisional: bool = Field(default=False, nullable=False)  # counted over a year with no official calendar
    paused_at: datetime | None = at_field(default=None)
    paused_seconds: int = Field(default=0, nullable=False)  # time spent paused, added to the due time
    extended_at: datetime | None = at_field(default=None)  # a town cadre set due_at by hand (延期)
    met_at: datetime | None = at_field(default=None)
    breached_at: datetime | None = at_field(default=None)
    updated_at: datetime = created_at_field()
