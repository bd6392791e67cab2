"""Routing rules (分派规则): which unit handles a category's requests located in a grid, village or town."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import SessionDep, require_role
from models.category_schemas import RoutingRuleCreate, RoutingRulePublic, RoutingRuleUpdate
from models.enums import Role
from services.actor import Actor
from services.requests import routing

router = APIRouter()

RuleId = Annotated[int, Path(ge=1, le=2_147_483_647, description="规则 id")]
OptionalId = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
Admin = Annotated[Actor, require_role(Role.admin)]

_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录或登录已失效"},
    403: {"description": "不是管理员（permission_denied），或单位不在管辖范围内（out_of_scope）"},
    404: {"description": "分类、单位、承办单位或规则不存在或不可见（not_found，detail.field 指明字段）"},
    422: {"description": "单位种类不符（unit_kind）、单位或承办单位已停用，detail 列出字段路径"},
}


@router.get("", response_model=list[RoutingRulePublic], summary="分派规则列表")
def list_routing_rules(
    session: SessionDep, actor: Admin, category_id: OptionalId = None, unit_id: OptionalId = None
) -> list[RoutingRulePublic]:
    """Rules set on units of the admin's subtree; the nearest rule above a request's unit applies."""
    return routing.list_rules(session, actor, category_id=category_id, unit_id=unit_id)


@router.post(
    "",
    response_model=RoutingRulePublic,
    status_code=201,
    summary="新建分派规则",
    responses={**_WRITE_ERRORS, 409: {"description": "该分类在此单位已有规则（rule_exists）"}},
)
def create_routing_rule(session: SessionDep, actor: Admin, body: RoutingRuleCreate) -> RoutingRulePublic:
    return routing.create_rule(session, actor, body)


@router.patch("/{rule_id}", response_model=RoutingRulePublic, summary="修改分派规则", responses=_WRITE_ERRORS)
def update_routing_rule(
    session: SessionDep, actor: Admin, rule_id: RuleId, body: RoutingRuleUpdate
) -> RoutingRulePublic:
    return routing.update_rule(session, actor, rule_id, body)
