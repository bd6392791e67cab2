"""Households and their residents; CSV import of a grid. Phones and ID numbers are masked in every answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse

from api.deps import ClientIP, CurrentActor, SessionDep
from api.errors import described, error_response
from core.clock import utc_now
from models.grid import Household
from models.household_schemas import (
    ConflictResolution,
    ConflictResolve,
    HouseholdConflictPage,
    HouseholdCreate,
    HouseholdDetail,
    HouseholdImportResult,
    HouseholdPage,
    HouseholdPublic,
    HouseholdUpdate,
    ResidentCreate,
    ResidentPublic,
    ResidentUpdate,
    Revealed,
    RevealResident,
)
from models.resident_request_schemas import RevealedPhone, RevealPhone
from models.types import DbId, Text
from services.errors import DomainError, Invalid
from services.gridwork import household_conflicts, households, phones

router = APIRouter()

MAX_IMPORT_BYTES = 1_000_000

ERRORS = described(
    s401="未登录或登录已失效",
    s404="住户不存在或不在您的可见范围",
    s409="版本已过期（detail.current_version）或编号已被占用",
    s422="字段错误；detail 列出每个字段的路径",
)


def readable_household(household_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> Household:
    """The household named in the path, if the actor may see it (404 otherwise)."""
    return households.get_readable(session, actor, household_id)


ReadableHousehold = Annotated[Household, Depends(readable_household)]


@router.get(
    "/households", response_model=HouseholdPage, responses=ERRORS, summary="住户列表（游标分页，可按户主或地址搜索）"
)
def list_households(
    session: SessionDep,
    actor: CurrentActor,
    grid_id: DbId | None = None,
    q: Annotated[Text | None, Query(max_length=50, description="户主姓名或地址关键词")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[Text | None, Query(max_length=200)] = None,
) -> HouseholdPage:
    return households.list_page(session, actor, grid_id=grid_id, q=q, limit=limit, cursor=cursor)


@router.post(
    "/households", response_model=HouseholdPublic, status_code=status.HTTP_201_CREATED, responses=ERRORS, summary="建档"
)
def create_household(body: HouseholdCreate, session: SessionDep, actor: CurrentActor) -> HouseholdPublic:
    return households.public(households.create(session, actor, body, now=utc_now()))


@router.post(
    "/households/import",
    response_model=HouseholdImportResult,
    status_code=status.HTTP_201_CREATED,
    responses=described(
        s413="文件超过 1 MB",
        s415="请以 text/csv 上传",
        s422='有错误的行：detail 中每项形如 {"loc": ["body", "row 3", "phone"], "msg": …}，未导入任何住户',
    ),
    summary="导入网格住户 CSV（表头 head_name,address,phone,member_count,notes；全部成功或全部不导入）",
)
async def import_households(
    request: Request, grid_id: DbId, session: SessionDep, actor: CurrentActor
) -> HouseholdImportResult:
    if request.headers.get("content-type", "").split(";")[0].strip() != "text/csv":
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "请以 text/csv 上传")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_IMPORT_BYTES:
            raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "文件不能超过 1 MB")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("文件应为 UTF-8 编码", field="file", code="encoding_invalid") from None
    count = households.import_csv(session, actor, grid_id, text, now=utc_now())
    return HouseholdImportResult(grid_id=grid_id, imported=count)


# Before /households/{household_id}, which would otherwise take "conflicts" for an id.
CONFLICT_ERRORS = described(
    s401="未登录或登录已失效",
    s403="只有网格长、村干部和镇街干部可以处理住户冲突（forbidden）",
    s404="冲突记录不存在或不在您的范围（conflict_not_found）",
    s409="该冲突已处理过（already_resolved，detail 含处理时间和处理人）",
    s422='字段错误：value 缺失、不该出现或不符合住户字段的规则（detail 中 loc 为 ["body", "value"]）',
)


@router.get(
    "/households/conflicts",
    response_model=HouseholdConflictPage,
    responses=CONFLICT_ERRORS,
    summary="住户同步冲突（手机与系统都改了同一字段；按 id 倒序，游标分页）",
)
def list_household_conflicts(
    session: SessionDep,
    actor: CurrentActor,
    grid_id: DbId | None = None,
    resolved: Annotated[bool, Query(description="false：待处理；true：已处理")] = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[Text | None, Query(max_length=20)] = None,
) -> HouseholdConflictPage:
    return household_conflicts.list_page(session, actor, grid_id=grid_id, resolved=resolved, limit=limit, cursor=cursor)


@router.post(
    "/households/conflicts/{conflict_id}/resolve",
    response_model=ConflictResolution,
    responses=CONFLICT_ERRORS,
    summary="处理住户冲突：保留系统的值、手机的值或填写其他值（住户版本加一，手机同步会收到）",
)
def resolve_household_conflict(
    conflict_id: DbId, body: ConflictResolve, session: SessionDep, actor: CurrentActor
) -> ConflictResolution:
    return household_conflicts.resolve(session, actor, conflict_id, body, now=utc_now())


REVEAL_ERRORS = described(
    s401="未登录或登录已失效",
    s403="您的角色不能查看完整电话或身份证号（reveal_not_permitted）",
    s404="住户或居民不存在、不在您的范围，或没有登记该项（no_phone / no_id_number）",
    s429="本账号查看完整号码的次数已达每小时上限（reveal_rate_limited，detail.retry_after 为等待秒数）",
    s422='理由缺失或太短（detail 中 loc 为 ["body", "reason"]）',
)


@router.post(
    "/households/{household_id}/reveal-phone",
    response_model=RevealedPhone,
    responses=REVEAL_ERRORS,
    summary="查看住户完整联系电话（须填理由，记入审计）",
)
def reveal_household_phone(
    household: ReadableHousehold, body: RevealPhone, session: SessionDep, actor: CurrentActor, ip: ClientIP
) -> RevealedPhone | JSONResponse:
    try:
        phone = phones.reveal_household_phone(session, household, actor, reason=body.reason, ip=ip, now=utc_now())
    except DomainError as refused:  # answered, not raised: the refusal's audit row and count are kept
        return error_response(refused)
    return RevealedPhone(phone=phone)


@router.post(
    "/households/{household_id}/residents/{resident_id}/reveal",
    response_model=Revealed,
    responses=REVEAL_ERRORS,
    summary="查看居民完整电话或身份证号（身份证号限网格长、村干部、镇街干部；须填理由，记入审计）",
)
def reveal_resident(
    household: ReadableHousehold,
    resident_id: uuid.UUID,
    body: RevealResident,
    session: SessionDep,
    actor: CurrentActor,
    ip: ClientIP,
) -> Revealed | JSONResponse:
    resident = households.get_resident(session, household, resident_id)
    try:
        value = phones.reveal_resident(session, resident, actor, body.field, reason=body.reason, ip=ip, now=utc_now())
    except DomainError as refused:  # answered, not raised: the refusal's audit row and count are kept
        return error_response(refused)
    return Revealed(field=body.field, value=value)


@router.get("/households/{household_id}", response_model=HouseholdDetail, responses=ERRORS, summary="住户详情与成员")
def read_household(household: ReadableHousehold, session: SessionDep) -> HouseholdDetail:
    return households.detail(session, household)


@router.patch(
    "/households/{household_id}",
    response_model=HouseholdPublic,
    responses=ERRORS,
    summary="修改住户（需 base_version）",
)
def update_household(
    household: ReadableHousehold, body: HouseholdUpdate, session: SessionDep, actor: CurrentActor
) -> HouseholdPublic:
    return households.public(households.update(session, household, body, actor=actor, now=utc_now()))


@router.post(
    "/households/{household_id}/residents",
    response_model=ResidentPublic,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="添加居民",
)
def add_resident(household: ReadableHousehold, body: ResidentCreate, session: SessionDep) -> ResidentPublic:
    return households.resident_public(households.add_resident(session, household, body, now=utc_now()))


@router.patch(
    "/households/{household_id}/residents/{resident_id}",
    response_model=ResidentPublic,
    responses=ERRORS,
    summary="修改居民",
)
def update_resident(
    household: ReadableHousehold, resident_id: uuid.UUID, body: ResidentUpdate, session: SessionDep
) -> ResidentPublic:
    resident = households.get_resident(session, household, resident_id)
    return households.resident_public(households.update_resident(session, household, resident, body, now=utc_now()))
