"""The public notice board (公示牌) of a village, without login: JSON, and a printable A4 page."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import ClientIP, SessionDep
from api.errors import described, error_response
from api.middleware import page_policy
from core.clock import utc_now
from models.stationing_schemas import BoardPublic
from models.types import DbId
from services.errors import DomainError
from services.people import rate_limit
from services.stationing import notice_board

router = APIRouter()

ERRORS = described(s404="没有这个村（社区）", s422="字段错误", s429="请求过于频繁；Retry-After 给出等待秒数")
BOARD_LIMIT_PER_MINUTE = 120  # one address; a board is printed, not polled
PAGE_HEADERS = {"Content-Security-Policy": page_policy([notice_board.STYLE])}


def _board(session: SessionDep, village_id: int, ip: str) -> BoardPublic:
    now = utc_now()
    rate_limit.hit(session, f"board:{ip}", limit=BOARD_LIMIT_PER_MINUTE, seconds=60, now=now)
    return notice_board.board(session, village_id, now=now)


# Declared before the JSON route, which would otherwise take "12.html" as its id.
@router.get(
    "/{village_id}.html",
    response_class=HTMLResponse,
    responses=ERRORS,
    summary="村公示牌（可打印的 A4 页面）",
)
def board_page(village_id: DbId, session: SessionDep, ip: ClientIP) -> Response:
    try:
        return HTMLResponse(notice_board.render_html(_board(session, village_id, ip)), headers=PAGE_HEADERS)
    except DomainError as exc:
        return error_response(exc)


@router.get(
    "/{village_id}", response_model=BoardPublic, responses=ERRORS, summary="村公示牌：驻点干部、接待时间地点、成效"
)
def board_json(village_id: DbId, session: SessionDep, ip: ClientIP) -> BoardPublic | JSONResponse:
    try:
        return _board(session, village_id, ip)
    except DomainError as exc:
        return error_response(exc)
