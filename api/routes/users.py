"""Accounts, for admins: the accounts bound to units of their own subtree. Mobiles are shown masked."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status

from api.deps import ClientIP, SessionDep, require_role
from core.clock import utc_now
from models.enums import Role
from models.types import DbId, Text
from models.user_schemas import PasswordResetInput, UserCreate, UserPage, UserPublic, UserUpdate
from services.actor import Actor
from services.people import users

router = APIRouter()

Admin = Annotated[Actor, require_role(Role.admin)]
UserId = Annotated[int, Path(ge=1, le=2_147_483_647, description="账号 id")]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录或登录已失效"},
    403: {
        "description": "不是管理员、需先修改初始密码（password_change_required）、不能改自己（self_change_forbidden），"
        "或审计员账号只由运维人员通过命令行管理（auditor_separated，三员分立）"
    },
    404: {"description": "账号（user_not_found）或单位（unit_not_found）不存在或不在管理范围"},
    422: {
        "description": "字段错误：role_unit_mismatch 角色与单位种类不符、weak_password 密码不符合规则、"
        "mobile_invalid 手机号格式；detail 给出字段路径"
    },
}


@router.get("", response_model=UserPage, responses=ERRORS, summary="账号列表（按 id，游标分页）")
def list_users(
    session: SessionDep,
    actor: Admin,
    role: Role | None = None,
    org_unit_id: Annotated[DbId | None, Query(description="该单位及其下级单位的账号")] = None,
    q: Annotated[Text | None, Query(max_length=50, description="姓名关键词")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[Text | None, Query(max_length=20)] = None,
) -> UserPage:
    return users.list_page(session, actor, role=role, org_unit_id=org_unit_id, q=q, limit=limit, cursor=cursor)


@router.post(
    "",
    response_model=UserPublic,
    status_code=status.HTTP_201_CREATED,
    responses={**ERRORS, 409: {"description": "mobile_taken：该手机号已有账号"}},
    summary="新建账号（首次登录须修改初始密码）",
)
def create_user(body: UserCreate, session: SessionDep, actor: Admin) -> UserPublic:
    user = users.create_user(
        session,
        name=body.name,
        mobile=body.mobile,
        role=body.role,
        org_unit_id=body.org_unit_id,
        password=body.initial_password,
        actor=actor,
    )
    return users.to_public(user, users.unit_name(session, user))


@router.get("/{user_id}", response_model=UserPublic, responses=ERRORS, summary="账号详情")
def read_user(user_id: UserId, session: SessionDep, actor: Admin) -> UserPublic:
    user = users.get_managed(session, actor, user_id)
    return users.to_public(user, users.unit_name(session, user))


@router.patch(
    "/{user_id}",
    response_model=UserPublic,
    responses=ERRORS,
    summary="修改账号：改角色、改单位或停用会使其所有登录失效（记入审计）",
)
def update_user(user_id: UserId, body: UserUpdate, session: SessionDep, actor: Admin, ip: ClientIP) -> UserPublic:
    user = users.get_managed(session, actor, user_id)
    users.update_user(session, actor, user, body, ip=ip, now=utc_now())
    return users.to_public(user, users.unit_name(session, user))


@router.post(
    "/{user_id}/reset-password",
    response_model=UserPublic,
    responses=ERRORS,
    summary="重置为新的初始密码（须再次修改；所有登录失效；解除锁定）",
)
def reset_password(
    user_id: UserId, body: PasswordResetInput, session: SessionDep, actor: Admin, ip: ClientIP
) -> UserPublic:
    user = users.get_managed(session, actor, user_id)
    users.reset_password(session, actor, user, body.initial_password, ip=ip, now=utc_now())
    return users.to_public(user, users.unit_name(session, user))
