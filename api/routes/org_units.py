"""The org tree: any staff member reads what they may see; admins manage their own subtree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import CurrentActor, SessionDep, require_role
from models.enums import Role, UnitKind
from models.org import OrgUnit, OrgUnitPublic
from models.org_schemas import OrgUnitCreate, OrgUnitUpdate
from services.actor import Actor
from services.people import org

router = APIRouter()

UnitId = Annotated[int, Path(ge=1, le=2_147_483_647, description="单位 id")]
Admin = Annotated[Actor, require_role(Role.admin)]


def _errors(*codes: str) -> dict[int | str, dict[str, Any]]:
    return {409: {"description": "冲突：" + "、".join(codes)}} if codes else {}


_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录或登录已失效"},
    403: {"description": "不是管理员（permission_denied），或单位不在管辖范围内（out_of_scope）"},
    404: {"description": "单位不存在或不可见（not_found）"},
    422: {"description": "字段有误：上级种类不符（parent_kind）、代码格式（code_format）等，detail 列出字段路径"},
}


@router.get("", response_model=list[OrgUnitPublic], summary="单位列表（按树序）")
def list_org_units(
    session: SessionDep,
    actor: CurrentActor,
    kind: UnitKind | None = None,
    parent_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    include_inactive: bool = False,
) -> Sequence[OrgUnit]:
    """Units in the caller's subtree and the chain above it, ordered by their place in the tree."""
    return org.list_units(session, actor, kind=kind, parent_id=parent_id, include_inactive=include_inactive)


@router.get("/{unit_id}", response_model=OrgUnitPublic, summary="单位详情", responses={404: {"description": "不可见"}})
def get_org_unit(session: SessionDep, actor: CurrentActor, unit_id: UnitId) -> OrgUnit:
    return org.get_unit(session, actor, unit_id)


@router.post(
    "",
    response_model=OrgUnitPublic,
    status_code=201,
    summary="新建单位",
    responses={**_WRITE_ERRORS, **_errors("code_taken 代码已被使用", "grid_codes_exhausted 网格序号用完")},
)
def create_org_unit(session: SessionDep, actor: Admin, body: OrgUnitCreate) -> OrgUnit:
    """A town, village, grid or department under an active unit of the admin's subtree."""
    return org.create_unit(session, actor, body)


@router.patch(
    "/{unit_id}",
    response_model=OrgUnitPublic,
    summary="改名、改代码或移动单位",
    responses={**_WRITE_ERRORS, **_errors("cycle 不能移到自身或下级之下", "code_taken 代码已被使用")},
)
def update_org_unit(session: SessionDep, actor: Admin, unit_id: UnitId, body: OrgUnitUpdate) -> OrgUnit:
    """Moving re-paths the whole subtree; a moved grid is renumbered in its new village."""
    return org.update_unit(session, actor, unit_id, body)


@router.post(
    "/{unit_id}/deactivate",
    response_model=OrgUnitPublic,
    summary="停用单位",
    responses={**_WRITE_ERRORS, **_errors("has_active_children 仍有启用的下级", "has_active_users 仍有启用的账号")},
)
def deactivate_org_unit(session: SessionDep, actor: Admin, unit_id: UnitId) -> OrgUnit:
    return org.deactivate_unit(session, actor, unit_id)


@router.post(
    "/{unit_id}/reactivate",
    response_model=OrgUnitPublic,
    summary="重新启用单位",
    responses={**_WRITE_ERRORS, **_errors("parent_inactive 上级已停用")},
)
def reactivate_org_unit(session: SessionDep, actor: Admin, unit_id: UnitId) -> OrgUnit:
    return org.reactivate_unit(session, actor, unit_id)
