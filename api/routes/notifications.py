"""The in-app inbox (each person's own delivered notifications) and Web Push subscriptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status

from api.deps import CurrentActor, SessionDep
from api.errors import described
from core.clock import utc_now
from core.settings import get_settings
from models.notification import Notification
from models.notification_schemas import (
    SUBSCRIPTION_EXAMPLE,
    NotificationPage,
    NotificationPublic,
    PushKey,
    PushSubscriptionInput,
    PushUnsubscribeInput,
    ReadAllResult,
    UnreadCount,
)
from models.types import Text
from services.errors import NotFound
from services.notify import channels, inbox

router = APIRouter()

NotificationId = Annotated[int, Path(ge=1, le=2_147_483_647, description="通知 id")]
SIGNED_IN = described(s401="未登录或登录已失效", s403="需先修改初始密码（password_change_required）")


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
    cursor: Annotated[Text | None, Query(max_length=200, description="上一页的 next_cursor")] = None,
    unread_only: Annotated[bool, Query(description="只看未读")] = False,
) -> NotificationPage:
    """My inbox, newest first."""
    rows, next_cursor = inbox.inbox_page(session, actor.id, limit=limit, cursor=cursor, unread_only=unread_only)
    return NotificationPage(items=[_public(row) for row in rows], next_cursor=next_cursor)


@router.get("/unread-count", response_model=UnreadCount, responses=SIGNED_IN, summary="未读通知数")
def count_unread(session: SessionDep, actor: CurrentActor) -> UnreadCount:
    return UnreadCount(unread=inbox.unread_count(session, actor.id))


@router.post(
    "/{notification_id}/read",
    response_model=NotificationPublic,
    responses=SIGNED_IN | described(s404="通知不存在或不是您的（notification_not_found）"),
    summary="标为已读（重复调用无副作用）",
)
def read_notification(notification_id: NotificationId, session: SessionDep, actor: CurrentActor) -> NotificationPublic:
    return _public(inbox.mark_read(session, actor.id, notification_id, utc_now()))


@router.post("/read-all", response_model=ReadAllResult, responses=SIGNED_IN, summary="全部标为已读")
def read_all(session: SessionDep, actor: CurrentActor) -> ReadAllResult:
    return ReadAllResult(marked_read=inbox.mark_all_read(session, actor.id, utc_now()))


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
