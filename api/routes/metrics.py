"""The work's measures (响应率, 按时反馈率, 办结率, 满意率 …) for a unit and period, its children beside it;
and the public results board (成效公示), no login: a few aggregates per town and village."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from api.deps import ClientIP, CurrentActor, SessionDep
from api.errors import described, error_response
from core.clock import utc_now
from core.settings import get_settings
from models.metrics_schemas import MetricsReport, PublicResults
from models.types import DbId
from services.errors import DomainError, Invalid
from services.measures import metrics
from services.people import rate_limit

router = APIRouter()
public_router = APIRouter()
RESULTS_LIMIT_PER_MINUTE = 60  # one address; results are read, not polled

MAX_DAYS = 366


def this_month(now: datetime) -> tuple[datetime, datetime]:
    """The local calendar month holding `now`: [its first day 00:00, the next month's first day 00:00)."""
    local = now.astimezone(get_settings().tz)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


@router.get(
    "",
    response_model=MetricsReport,
    responses=described(
        s401="未登录或登录已失效",
        s404="单位不存在或不在您的范围（unit_not_found）",
        s422="字段错误：from 应早于 to，期间不超过一年（detail 中 loc 为 from 或 to）",
    ),
    summary="工作指标：本单位与下一级单位（分子、分母明示；默认本月）",
)
def read_metrics(
    session: SessionDep,
    actor: CurrentActor,
    unit_id: Annotated[DbId | None, Query(description="单位 id；默认本人所在单位")] = None,
    period_from: Annotated[AwareDatetime | None, Query(alias="from", description="期间起（含），须带时区")] = None,
    period_to: Annotated[AwareDatetime | None, Query(alias="to", description="期间止（不含），须带时区")] = None,
) -> MetricsReport:
    now = utc_now()
    default_from, default_to = this_month(now)
    start, end = period_from or default_from, period_to or default_to
    if start >= end:
        raise Invalid("起始时间应早于结束时间", field="from", code="period_invalid")
    if end - start > timedelta(days=MAX_DAYS):
        raise Invalid(f"期间不能超过 {MAX_DAYS} 天", field="to", code="period_too_long")
    return metrics.report(session, actor, unit_id or actor.unit_id, metrics.Period(start, end, now))


@public_router.get(
    "/{unit_id}",
    response_model=PublicResults,
    responses=described(
        s404="没有这个镇街或村（社区）（unit_id 指向网格、部门或不存在的单位）",
        s422="字段错误：period 只能是 month 或 last_month",
        s429="请求过于频繁；Retry-After 给出等待秒数",
    ),
    summary="成效公示（免登录）：按时反馈率、办结率、当场办结率、满意率、驻点接待率；镇街下各村并列",
)
def public_results(
    unit_id: DbId,
    session: SessionDep,
    ip: ClientIP,
    period: Annotated[Literal["month", "last_month"], Query(description="month：本月；last_month：上月")] = "month",
) -> PublicResults | JSONResponse:
    now = utc_now()
    start, end = this_month(now)
    if period == "last_month":
        start, end = this_month(start - timedelta(days=1))
    try:
        # The hit is kept even when the answer is an error (the session commits what was written).
        rate_limit.hit(session, f"results:{ip}", limit=RESULTS_LIMIT_PER_MINUTE, seconds=60, now=now)
        return metrics.public_results(session, unit_id, metrics.Period(start, end, now))
    except DomainError as exc:
        return error_response(exc)
