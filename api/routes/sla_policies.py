"""SLA policies (时限规则): read by admins, auditors and town cadres; changed, re-pinned and retired by admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import SessionDep, require_role
from api.errors import described
from core.clock import utc_now
from models.enums import Role
from models.sla_schemas import SlaPolicyChange, SlaPolicyPublic, SlaPolicyRepin, SlaPolicyRetire, SlaRepinResult
from services.actor import Actor
from services.clocks import sla_policies

router = APIRouter()

PolicyId = Annotated[int, Path(ge=1, le=2_147_483_647, description="时限规则版本 id")]
Admin = Annotated[Actor, require_role(Role.admin)]
Reader = Annotated[Actor, require_role(Role.admin, Role.auditor, Role.town_cadre)]

READ_ERRORS = described(s401="未登录或登录已失效", s403="只有管理员、审计员和镇街干部可以查看", s404="时限规则不存在")
WRITE_ERRORS = described(
    s401="未登录或登录已失效",
    s403="不是管理员（permission_denied）",
    s404="时限规则不存在（not_found）",
    s409="不是当前版本（policy_not_current）、与当前版本相同（policy_unchanged）、"
    "类别规则不能停用（class_policy_required），或刚被他人修改（policy_changed）",
    s422="字段错误，detail 列出每个字段的路径；分类不存在或已停用时指向 category_id",
)


@router.get("", response_model=list[SlaPolicyPublic], responses=READ_ERRORS, summary="时限规则（各范围的当前版本）")
def list_sla_policies(
    session: SessionDep,
    _: Reader,
    history: Annotated[bool, Query(description="true 时一并列出历史版本和已停用的版本")] = False,
) -> list[SlaPolicyPublic]:
    return sla_policies.list_policies(session, history=history)


@router.get("/{policy_id}", response_model=SlaPolicyPublic, responses=READ_ERRORS, summary="时限规则的一个版本")
def read_sla_policy(session: SessionDep, _: Reader, policy_id: PolicyId) -> SlaPolicyPublic:
    return sla_policies.get_policy(session, policy_id)


@router.post(
    "",
    response_model=SlaPolicyPublic,
    status_code=201,
    responses=WRITE_ERRORS,
    summary="修改某类别或分类的时限（新建版本；进行中的计时不变）",
)
def change_sla_policy(session: SessionDep, actor: Admin, body: SlaPolicyChange) -> SlaPolicyPublic:
    return sla_policies.change_policy(session, actor, body, now=utc_now())


@router.post(
    "/{policy_id}/repin",
    response_model=SlaRepinResult,
    responses=WRITE_ERRORS,
    summary="把仍在计时、绑定旧版本的计时改绑到此版本（可先预览数量）",
)
def repin_sla_policy(session: SessionDep, actor: Admin, policy_id: PolicyId, body: SlaPolicyRepin) -> SlaRepinResult:
    return sla_policies.repin(session, actor, policy_id, body, now=utc_now())


@router.post(
    "/{policy_id}/retire",
    response_model=SlaPolicyPublic,
    responses=WRITE_ERRORS,
    summary="停用分类自己的时限（新诉求改按类别时限；进行中的计时不变）",
)
def retire_sla_policy(session: SessionDep, actor: Admin, policy_id: PolicyId, body: SlaPolicyRetire) -> SlaPolicyPublic:
    return sla_policies.retire(session, actor, policy_id, body.reason, now=utc_now())
