"""The work's measures (响应率, 按时反馈率, 办结率, 满意率 …) for a unit and period, its children beside it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from api.deps import CurrentActor, SessionDep
from api.errors import described
from core.clock import utc_now
from core.settings import get_settings
from models.metrics_schemas import MetricsReport
from models.types import DbId
from services import metrics
from services.errors import Invalid

router = APIRouter()

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
