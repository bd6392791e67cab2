"""API schemas of the in-app inbox and of Web Push subscriptions (checked before they are stored)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from sqlmodel import SQLModel

from core.settings import get_settings
from core.webpush import check_endpoint, check_key
from models.types import Text


class NotificationPublic(SQLModel):
    id: int
    kind: str = Field(description="如 sla_warning、sla_breached、calendar_missing")
    title: str
    body: str
    resident_request_id: uuid.UUID | None = Field(description="相关诉求；打开 /#/staff/r/{id}")
    created_at: datetime
    read_at: datetime | None = Field(description="已读时间；未读为 null")


class NotificationPage(SQLModel):
    items: list[NotificationPublic]
    next_cursor: str | None = Field(description="下一页（更早的通知）的 cursor；没有更多时为 null")


class UnreadCount(SQLModel):
    unread: int


class ReadAllResult(SQLModel):
    marked_read: int = Field(description="本次标为已读的条数")


class PushKey(SQLModel):
    public_key: str = Field(description="VAPID 公钥（base64url），即 pushManager.subscribe 的 applicationServerKey")


def _endpoint(url: str) -> str:
    return check_endpoint(url, allow_loopback_http=get_settings().environment != "production")


def _p256dh(value: str) -> str:
    return check_key(value, length=65, point=True)


def _auth(value: str) -> str:
    return check_key(value, length=16)


Endpoint = Annotated[
    Text,
    Field(
        min_length=1, max_length=1000, description="浏览器推送服务的地址（https；仅 FCM、Mozilla、Apple、Microsoft）"
    ),
    AfterValidator(_endpoint),
]


class PushKeys(SQLModel):
    p256dh: Annotated[str, Field(max_length=200, description="浏览器的 P-256 公钥，base64url"), AfterValidator(_p256dh)]
    auth: Annotated[str, Field(max_length=100, description="16 字节认证密钥，base64url"), AfterValidator(_auth)]


class PushSubscriptionInput(SQLModel):
    """浏览器中 `PushSubscription.toJSON()` 的结果（expirationTime 不用）。"""

    endpoint: Endpoint
    keys: PushKeys


class PushUnsubscribeInput(SQLModel):
    endpoint: Annotated[Text, Field(min_length=1, max_length=1000)]


SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
    "keys": {
        "p256dh": "BMjkR5iq_xxKt2Fa1ZLnSOjyR3U4gqrOUs3gCYOCVX5V3X2RaQEsfs4Bxg2NG9TnlDidXqdfgE_XuQVzU3taNCg",
        "auth": "I8D30q6VMeN2mvXKZoKaDQ",
    },
}
