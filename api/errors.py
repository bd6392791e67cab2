"""One table maps domain errors to HTTP; every error body is {"error": {code, message, detail}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.availability import RETRY_AFTER_SECONDS, database_outage, is_unavailable
from services.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyRequests,
)

log = logging.getLogger("bandeng.api")

ERROR_STATUS: dict[type[DomainError], int] = {
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    TooManyRequests: 429,
}

HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式有误"),
    401: ("not_authenticated", "请先登录"),
    403: ("permission_denied", "没有权限"),
    404: ("not_found", "未找到"),
    405: ("method_not_allowed", "不支持此请求方法"),
    413: ("payload_too_large", "内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
}

VALIDATION_MESSAGE = "输入有误，请检查标出的字段"


def described(**by_status: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can answer: described(s404="…"). api/openapi.py adds
    401/403 from the sign-in, 400/413 from a body, and the error shape to each."""
    return {int(key.removeprefix("s")): {"description": text} for key, text in by_status.items()}


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "detail": detail}}


def status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 400


def _clean_validation(errors: Any) -> list[dict[str, Any]]:
    """Field path and problem for each error; the submitted value is left out (it may be a password)."""
    return [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))}
        for err in errors
    ]


def error_response(exc: DomainError) -> JSONResponse:
    """The response for a domain error; routes return it (instead of raising) when the transaction must
    still commit, e.g. to keep a failed-attempt counter."""
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return JSONResponse(error_body(exc.code, exc.message, exc.detail), status_code=status_for(exc), headers=headers)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return error_response(exc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        error_body("validation_error", VALIDATION_MESSAGE, _clean_validation(exc.errors())), status_code=422
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = HTTP_MESSAGES.get(exc.status_code, ("http_error", "请求未能完成"))
    detail = exc.detail if isinstance(exc.detail, str | dict | list) and exc.status_code != 404 else None
    return JSONResponse(
        error_body(code, message, detail), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "服务器内部错误，请稍后再试"), status_code=500)


def database_unavailable_response() -> JSONResponse:
    """503 with Retry-After: the database is away, the request may be repeated as it was."""
    return JSONResponse(
        error_body("database_unavailable", "数据库暂时不可用，请稍后再试"),
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    # An outage is logged once (core/availability.py), not with a traceback per request.
    if not is_unavailable(exc):
        return await _unexpected(request, exc)
    database_outage.failed(exc)
    return database_unavailable_response()


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for db_error in (DBAPIError, PoolTimeout, DisconnectionError):
        app.add_exception_handler(db_error, _database_error)
    app.add_exception_handler(Exception, _unexpected)
