"""Resident requests for staff: register, list, read, act, reveal a phone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from api.deps import ClientIP, CurrentActor, CurrentResidentRequest, SessionDep
from api.errors import described, error_response
from core.clock import utc_now
from models.enums import RequestStatus
from models.resident_request_schemas import (
    ActionCommand,
    ResidentRequestCreate,
    ResidentRequestDetail,
    ResidentRequestPage,
    ResidentRequestSummary,
    RevealedPhone,
    RevealPhone,
)
from models.types import DbId, Text
from services.errors import DomainError
from services.gridwork.phones import reveal_reporter_phone
from services.requests import request_actions, request_views, resident_requests
from services.requests.resident_requests import Registration

router = APIRouter()

ERRORS = described(
    s401="未登录或登录已失效",
    s403="角色不允许，或需先修改初始密码",
    s404="诉求不存在或不在您的可见范围",
    s409="当前状态不允许此操作；detail.allowed_actions 列出允许的操作",
    s422="字段错误；detail 列出每个字段的路径",
)


@router.get("", response_model=ResidentRequestPage, responses=ERRORS, summary="诉求列表（按登记时间倒序，游标分页）")
def list_resident_requests(
    session: SessionDep,
    actor: CurrentActor,
    status: RequestStatus | None = None,
    category_id: DbId | None = None,
    unit_id: Annotated[DbId | None, Query(description="该单位及其下级单位的诉求")] = None,
    overdue: Annotated[bool | None, Query(description="true 只看超期未反馈；false 只看未超期")] = None,
    q: Annotated[Text | None, Query(max_length=100, description="案件码或诉求内容关键词")] = None,
    registered_from: Annotated[AwareDatetime | None, Query(description="登记时间起（含），须带时区")] = None,
    registered_to: Annotated[AwareDatetime | None, Query(description="登记时间止（不含），须带时区")] = None,
    desk: Annotated[
        bool,
        Query(description="镇街督办台：上报至本单位、红牌、超期、待批延期、被退回、吹哨未按时报到的未办结诉求"),
    ] = False,
    inbox: Annotated[
        bool, Query(description="本单位待办：派给或转给本单位（待签收、办理中）及向本部门吹哨待报到的诉求")
    ] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[Text | None, Query(max_length=200)] = None,
) -> ResidentRequestPage:
    flt = request_views.RequestFilter(
        status, category_id, unit_id, overdue, q, registered_from, registered_to, desk, inbox
    )
    return request_views.list_page(session, actor, flt, limit=limit, cursor=cursor, now=utc_now())


@router.post(
    "",
    response_model=ResidentRequestSummary,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="登记诉求（路由、时间线和 7 天反馈期限一并生成）",
)
def register_resident_request(
    body: ResidentRequestCreate, session: SessionDep, actor: CurrentActor
) -> ResidentRequestSummary:
    now = utc_now()
    new = resident_requests.register(session, Registration(body, actor), now=now)
    return request_views.summary(new.resident_request, new.category_name, new.unit_name, now)


@router.get("/{request_id}", response_model=ResidentRequestDetail, responses=ERRORS, summary="诉求详情与时间线")
def read_resident_request(
    resident_request: CurrentResidentRequest, session: SessionDep, actor: CurrentActor
) -> ResidentRequestDetail:
    return request_views.detail(session, resident_request, actor, utc_now())


@router.post(
    "/{request_id}/actions", response_model=ResidentRequestDetail, responses=ERRORS, summary="对诉求执行一个操作"
)
def act_on_resident_request(
    body: ActionCommand, resident_request: CurrentResidentRequest, session: SessionDep, actor: CurrentActor
) -> ResidentRequestDetail:
    now = utc_now()
    request_actions.act(session, resident_request, body, actor=actor, now=now)
    return request_views.detail(session, resident_request, actor, now)


@router.post(
    "/{request_id}/reveal-phone",
    response_model=RevealedPhone,
    responses=ERRORS | described(s429="查看完整号码的次数已达每小时上限（reveal_rate_limited）"),
    summary="查看居民完整电话（记入审计，拒绝的也记）",
)
def reveal_phone(
    body: RevealPhone, resident_request: CurrentResidentRequest, session: SessionDep, actor: CurrentActor, ip: ClientIP
) -> RevealedPhone | JSONResponse:
    try:
        phone = reveal_reporter_phone(session, resident_request, actor, reason=body.reason, ip=ip, now=utc_now())
    except DomainError as refused:  # answered, not raised: the refusal's audit row and count are kept
        return error_response(refused)
    return RevealedPhone(phone=phone)
