"""The in-app inbox (each person's own delivered notifications) and Web Push subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import AfterValidator, Field
from sqlmodel import SQLModel

from api.deps import CurrentActor, SessionDep
from api.errors import described
from core.clock import utc_now
from core.settings import get_settings
from models.notification import Notification
from models.types import Text
from services.errors import NotFound
from services.notify import channels, outbox
from services.people.users import parse_id_cursor

router = APIRouter()

NotificationId = Annotated[int, Path(ge=1, le=2_147_483_647, description="通知 id")]
SIGNED_IN = described(s401="未登录或登录已失效", s403="需先修改初始密码（password_change_required）")


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
    return channels.check_endpoint(url, allow_loopback_http=get_settings().environment != "production")


def _p256dh(value: str) -> str:
    return channels.check_key(value, length=65, point=True)


def _auth(value: str) -> str:
    return channels.check_key(value, length=16)


Endpoint = Annotated[
    Text, Field(min_length=1, max_length=1000, description="推送服务地址（https）"), AfterValidator(_endpoint)
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


def _public(row: Notification) -> NotificationPublic:
    return NotificationPublic.model_validate(row, from_attributes=True)


@router.get(
    "",
    response_model=NotificationPage,
    responses=SIGNED_IN | described(s422="字段错误（含无效的 cursor）"),
    summary="我的通知（新的在前，游标分页）",
)
def list_notifications(
    session: SessionDep,
    actor: CurrentActor,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[Text | None, Query(max_length=20, description="上一页的 next_cursor")] = None,
    unread_only: Annotated[bool, Query(description="只看未读")] = False,
) -> NotificationPage:
    """My inbox, newest first."""
    rows, last = outbox.inbox_page(
        session, actor.id, limit=limit, before=parse_id_cursor(cursor), unread_only=unread_only
    )
    return NotificationPage(items=[_public(row) for row in rows], next_cursor=str(last) if last else None)


@router.get("/unread-count", response_model=UnreadCount, responses=SIGNED_IN, summary="未读通知数")
def count_unread(session: SessionDep, actor: CurrentActor) -> UnreadCount:
    return UnreadCount(unread=outbox.unread_count(session, actor.id))


@router.post(
    "/{notification_id}/read",
    response_model=NotificationPublic,
    responses=SIGNED_IN | described(s404="通知不存在或不是您的（notification_not_found）"),
    summary="标为已读（重复调用无副作用）",
)
def read_notification(notification_id: NotificationId, session: SessionDep, actor: CurrentActor) -> NotificationPublic:
    return _public(outbox.mark_read(session, actor.id, notification_id, utc_now()))


@router.post("/read-all", response_model=ReadAllResult, responses=SIGNED_IN, summary="全部标为已读")
def read_all(session: SessionDep, actor: CurrentActor) -> ReadAllResult:
    return ReadAllResult(marked_read=outbox.mark_all_read(session, actor.id, utc_now()))


@router.get(
    "/push/key",
    response_model=PushKey,
    responses=SIGNED_IN | described(s404="服务器未配置推送（push_not_configured）"),
    summary="Web Push 的 VAPID 公钥",
)
def push_key(_: CurrentActor) -> PushKey:
    settings = get_settings()
    if not settings.push_configured:
        raise NotFound("服务器未配置消息推送", code="push_not_configured")
    return PushKey(public_key=settings.vapid_public_key)


SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "endpoint": "https://fcm.googleapis.com/fcm/send/abc123",
    "keys": {
        "p256dh": "BMjkR5iq_xxKt2Fa1ZLnSOjyR3U4gqrOUs3gCYOCVX5V3X2RaQEsfs4Bxg2NG9TnlDidXqdfgE_XuQVzU3taNCg",
        "auth": "I8D30q6VMeN2mvXKZoKaDQ",
    },
}


@router.post(
    "/push/subscriptions",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=SIGNED_IN | described(s422="endpoint 须为 https 地址；p256dh、auth 须为 base64url 密钥"),
    summary="登记本浏览器的推送订阅（重复登记无副作用；他人登记过的浏览器转到当前账号）",
)
def subscribe(
    body: Annotated[PushSubscriptionInput, Body(examples=[SUBSCRIPTION_EXAMPLE])],
    session: SessionDep,
    actor: CurrentActor,
) -> None:
    channels.subscribe(session, actor.id, body.endpoint, body.keys.p256dh, body.keys.auth, utc_now())


@router.delete(
    "/push/subscriptions",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=SIGNED_IN | described(s422="字段错误"),
    summary="取消本浏览器的推送订阅（重复调用无副作用）",
)
def unsubscribe(body: PushUnsubscribeInput, session: SessionDep, actor: CurrentActor) -> None:
    channels.unsubscribe(session, actor.id, body.endpoint)
