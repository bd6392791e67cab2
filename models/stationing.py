"""驻点直联: town cadres stationed at villages, their fixed reception slot, the sessions it generates,
attendance and the duty log, and the matters received at a session."""

import uuid
from datetime import date, datetime, time

from sqlalchemy import String, Time, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import at_field, created_at_field


class Stationing(SQLModel, table=True):
    """One village's stationed cadre and fixed reception slot (固定人员、固定时间、固定地点)."""

    __tablename__ = "stationing"

    id: int | None = Field(default=None, primary_key=True)
    village_id: int = Field(foreign_key="org_unit.id", index=True, nullable=False)
    cadre_id: int = Field(foreign_key="user_account.id", index=True, nullable=False)
    title: str = Field(max_length=50, nullable=False)  # the cadre's public title, e.g. 镇党委委员
    work_phone: str | None = Field(default=None, max_length=20)  # an office number meant to be public
    weekday: int = Field(nullable=False)  # 0 = Monday
    start_time: time = Field(sa_type=Time(), nullable=False)
    end_time: time = Field(sa_type=Time(), nullable=False)
    place: str = Field(max_length=100, nullable=False)
    every_weeks: int = Field(default=1, nullable=False)  # 1 weekly, 2 fortnightly
    starts_on: date = Field(nullable=False)  # the first slot's week
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()


class StationingMember(SQLModel, table=True):
    """Someone on the stationed team (other cadres, deputies) or the support team (village staff, volunteers)."""

    __tablename__ = "stationing_member"

    id: int | None = Field(default=None, primary_key=True)
    stationing_id: int = Field(foreign_key="stationing.id", index=True, nullable=False)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    name: str = Field(max_length=50, nullable=False)
    team: str = Field(sa_type=String(16), nullable=False)  # stationed / support
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()


class ReceptionSession(SQLModel, table=True):
    """One reception day generated from the slot; a holiday moves it to the next working day."""

    __tablename__ = "reception_session"
    __table_args__ = (UniqueConstraint("stationing_id", "slot_on"),)

    id: int | None = Field(default=None, primary_key=True)
    stationing_id: int = Field(foreign_key="stationing.id", index=True, nullable=False)
    slot_on: date = Field(nullable=False)  # the date the weekly slot falls on
    held_on: date = Field(index=True, nullable=False)  # the date it is held (moved off holidays)
    start_time: time = Field(sa_type=Time(), nullable=False)
    end_time: time = Field(sa_type=Time(), nullable=False)
    place: str = Field(max_length=100, nullable=False)
    status: str = Field(default="scheduled", sa_type=String(16), nullable=False)  # scheduled/held/missed/rescheduled
    reason: str | None = Field(default=None, max_length=500)  # why missed or moved
    duty_log: str | None = Field(default=None, max_length=4000)  # 驻点日志
    recorded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = created_at_field()


class DutyLogRevision(SQLModel, table=True):
    """A duty log as it stood before it was rewritten: the text, the session's last recorder and time then, who
    replaced it and when."""

    __tablename__ = "duty_log_revision"

    id: int | None = Field(default=None, primary_key=True)
    reception_session_id: int = Field(foreign_key="reception_session.id", index=True, nullable=False)
    duty_log: str = Field(max_length=4000, nullable=False)
    recorded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime = at_field(nullable=False)
    replaced_by_id: int = Field(foreign_key="user_account.id", nullable=False)
    replaced_at: datetime = at_field(nullable=False)


class ReceptionMatter(SQLModel, table=True):
    """A resident's matter received at a session: solved on the spot or registered; always a request."""

    __tablename__ = "reception_matter"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: int = Field(foreign_key="reception_session.id", index=True, nullable=False)
    resident_request_id: uuid.UUID = Field(foreign_key="resident_request.id", unique=True, nullable=False)
    outcome: str = Field(sa_type=String(16), nullable=False)  # solved_on_spot / registered
    created_at: datetime = created_at_field()
    recorded_at: datetime = at_field(nullable=False)
