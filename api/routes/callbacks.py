"""回访 (callbacks): the 待回访 list, and recording one attempt on a request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import CurrentActor, CurrentResidentRequest, SessionDep
from api.errors import described
from core.clock import utc_now
from models.callback_schemas import CallbackCreate, CallbackDuePage
from models.resident_request_schemas import ResidentRequestDetail
from models.types import DbId, Text
from services.requests import callbacks, request_views

router = APIRouter()
request_router = APIRouter()


@router.get(
    "",
    response_model=CallbackDuePage,
    responses=described(s401="未登录或登录已失效", s403="需先修改初始密码", s422="字段错误（如 cursor 无效）"),
    summary="待回访：本人可回访的、本轮已答复（或答复后办结）且尚未接通回访的诉求，按答复时间先后",
)
def list_callbacks_due(
    session: SessionDep,
    actor: CurrentActor,
    unit_id: Annotated[DbId | None, Query(description="只看首接单位在该单位及其下级的诉求")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[Text | None, Query(max_length=200)] = None,
) -> CallbackDuePage:
    return callbacks.due_page(session, actor, unit_id=unit_id, limit=limit, cursor=cursor)


@request_router.post(
    "/{request_id}/callbacks",
    response_model=ResidentRequestDetail,
    status_code=status.HTTP_201_CREATED,
    responses=described(
        s401="未登录或登录已失效",
        s403="只有首接单位及其上级单位的网格员、网格长、村干部、镇街干部可以回访（not_caller）",
        s404="诉求不存在或不在您的可见范围",
        s409="尚未答复（not_callable），或本轮已接通回访（already_called_back）",
        s422="接通时须填 resolution 与 satisfaction，未接通时不填（callback_outcome_invalid）；detail 指明字段",
    ),
    summary="记录一次回访（接通与否、是否解决、代居民记录满意度）；不满意即重办",
)
def record_callback(
    body: CallbackCreate, resident_request: CurrentResidentRequest, session: SessionDep, actor: CurrentActor
) -> ResidentRequestDetail:
    now = utc_now()
    callbacks.record(session, resident_request, body, actor=actor, now=now)
    return request_views.detail(session, resident_request, actor, now)
