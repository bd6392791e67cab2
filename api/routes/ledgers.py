"""Ledgers (台账): types, enrolments, and the visits they call for (due list, coverage)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime

from api.deps import CurrentActor, SessionDep, require_role
from api.errors import described
from core.clock import utc_now
from models.enums import Role
from models.household_schemas import (
    Coverage,
    DueHousehold,
    EnrolmentCreate,
    EnrolmentPage,
    EnrolmentPublic,
    LedgerTypeCreate,
    LedgerTypePublic,
    LedgerTypeUpdate,
)
from models.types import DbId, Text
from services.errors import Invalid
from services.gridwork import ledgers, visits_due

router = APIRouter()

ERRORS = described(
    s401="未登录或登录已失效",
    s403="角色不允许（敏感台账只对网格长、村、镇干部及责任网格员开放）",
    s404="不存在或不在您的可见范围",
    s409="与当前状态冲突",
    s422="字段错误；detail 列出每个字段的路径",
)
AdminOnly = require_role(Role.admin)


@router.get("/ledger-types", response_model=list[LedgerTypePublic], responses=ERRORS, summary="台账类型")
def list_ledger_types(session: SessionDep, _: CurrentActor) -> list[LedgerTypePublic]:
    return ledgers.list_types(session)


@router.post(
    "/ledger-types",
    response_model=LedgerTypePublic,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="新增台账类型（管理员）",
)
def create_ledger_type(
    body: LedgerTypeCreate, session: SessionDep, actor: CurrentActor, _: object = AdminOnly
) -> object:
    return ledgers.create_type(session, actor, body, now=utc_now())


@router.patch(
    "/ledger-types/{type_id}", response_model=LedgerTypePublic, responses=ERRORS, summary="修改台账类型（管理员）"
)
def update_ledger_type(
    type_id: DbId, body: LedgerTypeUpdate, session: SessionDep, actor: CurrentActor, _: object = AdminOnly
) -> object:
    return ledgers.update_type(session, actor, type_id, body, now=utc_now())


@router.post(
    "/ledgers/enrolments",
    response_model=EnrolmentPublic,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="登记入台账",
)
def enrol(body: EnrolmentCreate, session: SessionDep, actor: CurrentActor) -> EnrolmentPublic:
    return ledgers.enrol(session, actor, body, now=utc_now())


@router.get(
    "/ledgers/enrolments", response_model=EnrolmentPage, responses=ERRORS, summary="台账名单（查看敏感台账记入审计）"
)
def list_enrolments(
    session: SessionDep,
    actor: CurrentActor,
    ledger_type_id: DbId | None = None,
    grid_id: DbId | None = None,
    include_ended: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[Text | None, Query(max_length=200)] = None,
) -> EnrolmentPage:
    return ledgers.list_page(
        session,
        actor,
        ledger_type_id=ledger_type_id,
        grid_id=grid_id,
        include_ended=include_ended,
        limit=limit,
        cursor=cursor,
        now=utc_now(),
    )


@router.get("/ledgers/enrolments/{enrolment_id}", response_model=EnrolmentPublic, responses=ERRORS, summary="台账记录")
def read_enrolment(enrolment_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> EnrolmentPublic:
    return ledgers.read(session, actor, enrolment_id, now=utc_now())


@router.post(
    "/ledgers/enrolments/{enrolment_id}/end", response_model=EnrolmentPublic, responses=ERRORS, summary="结束（不删除）"
)
def end_enrolment(enrolment_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> EnrolmentPublic:
    return ledgers.end(session, actor, enrolment_id, now=utc_now())


@router.get(
    "/visits/due",
    response_model=list[DueHousehold],
    responses=ERRORS,
    summary="我的待走访住户（从未走访的在前，其余按超期时长）",
)
def due_visits(session: SessionDep, actor: CurrentActor) -> list[DueHousehold]:
    return visits_due.due_for(session, actor, now=utc_now())


@router.get("/visits/coverage", response_model=Coverage, responses=ERRORS, summary="网格走访覆盖率（分子、分母明示）")
def visit_coverage(
    session: SessionDep,
    actor: CurrentActor,
    grid_id: DbId,
    period_from: Annotated[AwareDatetime, Query(alias="from", description="期间起（含），须带时区")],
    period_to: Annotated[AwareDatetime, Query(alias="to", description="期间止（不含），须带时区")],
) -> Coverage:
    if period_from >= period_to:
        raise Invalid("起始时间应早于结束时间", field="from", code="period_invalid")
    return visits_due.coverage(session, actor, grid_id, period_from=period_from, period_to=period_to)
