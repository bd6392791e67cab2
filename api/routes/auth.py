"""Sign-in: login, refresh, logout, password change, and /me.

Failed sign-ins still write counters, locks, revocations and audit records, so these routes return
error responses instead of raising: the transaction is committed either way."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from api.deps import ClientIP, CurrentActorAny, CurrentSignIn, SessionDep
from api.errors import error_response
from core.clock import utc_now
from models.user_schemas import LoginInput, Me, PasswordChangeInput, RefreshInput, TokenPair
from services.errors import DomainError
from services.people import auth

router = APIRouter()
me_router = APIRouter()

LOGIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "invalid_credentials：手机号或密码不正确（两者不区分）"},
    403: {"description": "account_disabled：账号已停用（仅在密码正确时告知）"},
    422: {"description": "字段错误"},
    429: {"description": "account_locked：连续 5 次密码错误，锁定 15 分钟；Retry-After 给出等待秒数"},
}
REFRESH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "refresh_invalid 无效 / refresh_expired 过期 / refresh_reused 已用过的凭证再次出现："
        "整组登录被撤销，须重新登录"
    },
    422: {"description": "字段错误"},
}
PASSWORD_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录或登录已失效"},
    422: {
        "description": "wrong_password 当前密码不正确（计入锁定次数）/ weak_password 不符合密码规则 / "
        "password_unchanged 新旧密码相同；detail 给出字段路径"
    },
    429: {"description": "account_locked：账号已锁定"},
}


@router.post("/login", response_model=TokenPair, responses=LOGIN_ERRORS, summary="手机号 + 密码登录")
def login(body: LoginInput, session: SessionDep, ip: ClientIP) -> TokenPair | JSONResponse:
    try:
        return auth.login(session, mobile=body.mobile, password=body.password, ip=ip, now=utc_now())
    except DomainError as exc:
        return error_response(exc)


@router.post(
    "/refresh", response_model=TokenPair, responses=REFRESH_ERRORS, summary="用 refresh_token 换一对新凭证（轮换）"
)
def refresh(body: RefreshInput, session: SessionDep, ip: ClientIP) -> TokenPair | JSONResponse:
    try:
        return auth.refresh(session, refresh_token=body.refresh_token, ip=ip, now=utc_now())
    except DomainError as exc:
        return error_response(exc)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={401: {"description": "未登录或登录已失效"}},
    summary="退出登录（撤销该 refresh_token 所在的整组凭证；本次登录的 access_token 随即失效）",
)
def logout(body: RefreshInput, session: SessionDep, signed_in: CurrentSignIn, ip: ClientIP) -> Response:
    auth.logout(
        session, signed_in.actor, access=signed_in.access, refresh_token=body.refresh_token, ip=ip, now=utc_now()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/password",
    response_model=TokenPair,
    responses=PASSWORD_ERRORS,
    summary="修改自己的密码（其他登录全部失效，返回新凭证）",
)
def change_password(
    body: PasswordChangeInput, session: SessionDep, actor: CurrentActorAny, ip: ClientIP
) -> TokenPair | JSONResponse:
    try:
        return auth.change_password(
            session,
            actor,
            current_password=body.current_password,
            new_password=body.new_password,
            ip=ip,
            now=utc_now(),
        )
    except DomainError as exc:
        return error_response(exc)


@me_router.get("/me", response_model=Me, responses={401: {"description": "未登录或登录已失效"}}, summary="当前账号")
def read_me(session: SessionDep, actor: CurrentActorAny) -> Me:
    return auth.me(session, actor)
