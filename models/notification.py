"""The notification outbox: written in the transaction that decides to notify, delivered later by a job.
The in-app inbox is the outbox's `inbox` channel once delivered."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, text
from sqlmodel import Field, SQLModel

from models.base import at_field, created_at_field
from models.enums import NotificationChannel, NotificationStatus


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        Index(
            "ix_notification_pending_next_attempt_at",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_notification_recipient_id_channel_id", "recipient_id", "channel", "id"),
        # A request's messages: its detail lists the resident's, the reminder job asks whether one went out.
        Index("ix_notification_resident_request_id_kind", "resident_request_id", "kind"),
        # A row is someone's: an account's, or (a resident has none) the reporter's of its request.
        CheckConstraint(
            "(channel = 'resident_sms' AND recipient_id IS NULL AND resident_request_id IS NOT NULL)"
            " OR (channel <> 'resident_sms' AND recipient_id IS NOT NULL)",
            name="account_or_resident",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # What makes this message unique, e.g. "sla:17:2:inbox:5"; a second insert is a no-op.
    dedupe_key: str = Field(max_length=200, unique=True, nullable=False)
    # None only on `resident_sms` rows: the resident has no account, the phone is read from the request at delivery.
    recipient_id: int | None = Field(default=None, foreign_key="user_account.id")
    channel: NotificationChannel = Field(sa_type=String(16), nullable=False)
    kind: str = Field(max_length=32, nullable=False)
    title: str = Field(max_length=200, nullable=False)
    body: str = Field(max_length=2000, nullable=False)
    resident_request_id: uuid.UUID | None = Field(default=None, foreign_key="resident_request.id")
    status: NotificationStatus = Field(default=NotificationStatus.pending, sa_type=String(16), nullable=False)
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime = at_field(nullable=False)  # not before the end of quiet hours
    last_error: str | None = Field(default=None, max_length=500)
    # The SMS provider's id of the message (Aliyun BizId, Tencent SerialNo), to match its delivery receipts.
    provider_message_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = created_at_field()
    sent_at: datetime | None = at_field(default=None)
    read_at: datetime | None = at_field(default=None)


class PushSubscription(SQLModel, table=True):
    """A browser's Web Push endpoint for one user; gone endpoints are deactivated, not deleted."""

    __tablename__ = "push_subscription"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, nullable=False)
    endpoint: str = Field(max_length=1000, unique=True, nullable=False)
    p256dh: str = Field(max_length=200, nullable=False)
    auth: str = Field(max_length=100, nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()
    last_error: str | None = Field(default=None, max_length=500)
