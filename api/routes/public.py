"""Residents without an account: self-report, status check by case code + last 4 digits, rating.

Failed checks still count against the rate limits, so these routes return error responses
instead of raising: the counters are committed either way."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from api.deps import ClientIP, SessionDep
from api.errors import described, error_response
from core.clock import utc_now
from models.public_schemas import (
    PublicReceipt,
    PublicReport,
    PublicStatus,
    PublicUnit,
    RatingInput,
    ResidentCategory,
    StatusQuery,
)
from services.errors import DomainError
from services.requests import public

router = APIRouter()

ERRORS = described(
    s404="案件码或电话后 4 位不正确（两者不区分）",
    s409="尚不能评价，或本次答复已评价",
    s422="字段错误",
    s429="尝试过于频繁；Retry-After 给出等待秒数",
)


@router.get("/units", response_model=list[PublicUnit], summary="可反映问题的村（社区）和网格")
def list_units(session: SessionDep) -> list[PublicUnit]:
    return public.units(session)


@router.get("/categories", response_model=list[ResidentCategory], summary="诉求分类")
def list_categories(session: SessionDep) -> list[ResidentCategory]:
    return public.categories(session)


@router.post(
    "/requests",
    response_model=PublicReceipt,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="居民自主反映问题，返回案件码",
)
def report(body: PublicReport, session: SessionDep, ip: ClientIP) -> PublicReceipt | JSONResponse:
    try:
        return public.report(session, body, ip=ip, now=utc_now())
    except DomainError as exc:
        return error_response(exc)


@router.post("/status", response_model=PublicStatus, responses=ERRORS, summary="凭案件码和电话后 4 位查询进度")
def check_status(body: StatusQuery, session: SessionDep, ip: ClientIP) -> PublicStatus | JSONResponse:
    try:
        return public.status_of(session, public.find(session, body, ip=ip, now=utc_now()))
    except DomainError as exc:
        return error_response(exc)


@router.post("/ratings", response_model=PublicStatus, responses=ERRORS, summary="答复后评价（不满意将重新办理）")
def rate(body: RatingInput, session: SessionDep, ip: ClientIP) -> PublicStatus | JSONResponse:
    try:
        return public.rate(session, body, ip=ip, now=utc_now())
    except DomainError as exc:
        return error_response(exc)
