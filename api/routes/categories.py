"""Request categories for staff; the public list for residents lives in api/routes/public.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import CurrentActor, SessionDep, require_role
from models.category_schemas import CategoryCreate, CategoryPublic, CategoryUpdate
from models.enums import Role
from models.resident_request import Category
from services.actor import Actor
from services.requests import categories

router = APIRouter()

CategoryId = Annotated[int, Path(ge=1, le=2_147_483_647, description="分类 id")]
Admin = Annotated[Actor, require_role(Role.admin)]

_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录或登录已失效"},
    403: {"description": "不是管理员（permission_denied）"},
    409: {"description": "分类名称已存在（name_taken）"},
}


@router.get("", response_model=list[CategoryPublic], summary="诉求分类列表")
def list_categories(_: CurrentActor, session: SessionDep, include_inactive: bool = False) -> Sequence[Category]:
    """Active categories in display order; admins pass include_inactive=true to see all."""
    return categories.list_categories(session, include_inactive=include_inactive)


@router.post("", response_model=CategoryPublic, status_code=201, summary="新建分类", responses=_WRITE_ERRORS)
def create_category(session: SessionDep, actor: Admin, body: CategoryCreate) -> Category:
    return categories.create_category(session, actor, body)


@router.patch(
    "/{category_id}",
    response_model=CategoryPublic,
    summary="修改分类",
    responses={**_WRITE_ERRORS, 404: {"description": "分类不存在（not_found）"}},
)
def update_category(session: SessionDep, actor: Admin, category_id: CategoryId, body: CategoryUpdate) -> Category:
    return categories.update_category(session, actor, category_id, body)
