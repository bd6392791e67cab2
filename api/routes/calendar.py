"""The working-day calendar (工作日历): admins import each year's official schedule; cadres and auditors read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.exceptions import HTTPException

from api.deps import SessionDep, require_role
from api.errors import described
from core.clock import utc_now
from models.calendar_schemas import IMPORT_REQUEST_BODY, CalendarCoverage, CalendarImportResult, CalendarYearDetail
from models.enums import Role
from services.actor import Actor
from services.clocks import calendar, deadlines
from services.rules import calendar_schedule as schedule

router = APIRouter()

Admin = Annotated[Actor, require_role(Role.admin)]
Reader = Annotated[Actor, require_role(Role.admin, Role.auditor, Role.town_cadre)]
Year = Annotated[int, Path(ge=schedule.YEARS.start, le=schedule.YEARS.stop - 1, description="年份")]

_CSV_TYPES = frozenset({"text/csv", "application/csv"})
_JSON_TYPES = frozenset({"application/json", ""})


@dataclass(frozen=True)
class ScheduleUpload:
    raw: bytes
    csv_format: bool


async def schedule_upload(request: Request) -> ScheduleUpload:
    """The raw body, read on the event loop up to the size limit, and whether it is CSV."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _CSV_TYPES | _JSON_TYPES | {"text/plain"}:
        raise HTTPException(415, "请以 application/json 或 text/csv 上传")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > schedule.MAX_FILE_BYTES:
            raise HTTPException(413, f"文件过大（上限 {schedule.MAX_FILE_BYTES // 1024} KB）")
    raw = bytes(body)
    is_csv = media in _CSV_TYPES or (media == "text/plain" and not schedule.looks_like_json(raw))
    return ScheduleUpload(raw, is_csv)


Upload = Annotated[ScheduleUpload, Depends(schedule_upload)]


@router.get(
    "/years",
    response_model=CalendarCoverage,
    summary="已导入的日历年份",
    responses=described(s401="未登录或登录已失效", s403="仅管理员、审计员和镇街干部可查看（permission_denied）"),
)
def list_years(session: SessionDep, _: Reader) -> CalendarCoverage:
    """Years with an official schedule, and which of this year and next year still need one."""
    return calendar.coverage(session, utc_now())


@router.get(
    "/years/{year}",
    response_model=CalendarYearDetail,
    summary="某年的节假日与调休",
    responses=described(s401="未登录或登录已失效", s403="仅管理员、审计员和镇街干部可查看（permission_denied）"),
)
def get_year(session: SessionDep, _: Reader, year: Year) -> CalendarYearDetail:
    """Holidays and make-up days; a year not imported yet answers official=false with the fallback note."""
    return calendar.year_detail(session, year)


@router.put(
    "/years/{year}",
    response_model=CalendarImportResult,
    summary="导入某年的官方节假日安排",
    openapi_extra={"requestBody": IMPORT_REQUEST_BODY},
    responses=described(
        s401="未登录或登录已失效",
        s403="不是管理员（permission_denied）",
        s413="文件过大（payload_too_large）",
        s415="内容类型不是 JSON 或 CSV（unsupported_media_type）",
        s422="文件有误，未写入任何数据：detail 逐条列出 days[i].date / kind / name 等字段及原因",
    ),
)
def import_year(
    session: SessionDep,
    actor: Admin,
    year: Year,
    upload: Upload,
    source: Annotated[str | None, Query(max_length=100, description="来源，如国务院办公厅通知文号")] = None,
) -> CalendarImportResult:
    """Replace the year's calendar (all or nothing) and recompute the deadlines counted over it."""
    return deadlines.import_file(
        session,
        upload.raw,
        csv_format=upload.csv_format,
        year=year,
        source=source or "管理员上传",
        actor=actor,
        now=utc_now(),
    )
