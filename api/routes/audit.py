"""The audit log, for auditors: who did what, when, with what result, in the auditor's own subtree (see
services/people/visibility.readable_audit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from api.deps import ClientIP, SessionDep, require_role
from core.clock import utc_now
from models.audit import AuditChainVerdict
from models.enums import Role
from models.types import DbId, Text
from models.user_schemas import AuditLogPage
from services.actor import Actor
from services.people import audit_views

router = APIRouter()

Auditor = Annotated[Actor, require_role(Role.auditor)]


AUDIT_ACTION_EXAMPLES = (
    "如 login、account_locked、permission_change、reveal_phone、reveal_id_number、household_conflict_resolve"
)


@router.get(
    "",
    response_model=AuditLogPage,
    responses={
        401: {"description": "未登录或登录已失效"},
        403: {"description": "不是审计员，或需先修改初始密码"},
        422: {"description": "字段错误（含无效的 cursor）"},
    },
    summary="审计日志：本人单位（区县）及下级的记录，以及无归属的记录（如未知号码的登录）；按 id 倒序，游标分页",
)
def list_audit_log(
    session: SessionDep,
    actor: Auditor,
    action: Annotated[Text | None, Query(max_length=50, description=AUDIT_ACTION_EXAMPLES)] = None,
    actor_id: DbId | None = None,
    at_from: Annotated[AwareDatetime | None, Query(alias="from", description="起（含），带时区")] = None,
    at_to: Annotated[AwareDatetime | None, Query(alias="to", description="止（不含），带时区")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[Text | None, Query(max_length=20)] = None,
) -> AuditLogPage:
    return audit_views.list_page(
        session, actor, action=action, actor_id=actor_id, at_from=at_from, at_to=at_to, limit=limit, cursor=cursor
    )


@router.get(
    "/verify",
    response_model=AuditChainVerdict,
    responses={401: {"description": "未登录或登录已失效"}, 403: {"description": "不是审计员，或需先修改初始密码"}},
    summary="校验审计日志哈希链：逐条核对序号、上一条摘要与本条带密钥摘要，指出第一处断链（本次校验亦记入审计）",
)
def verify_audit_chain(session: SessionDep, actor: Auditor, ip: ClientIP) -> AuditChainVerdict:
    return audit_views.verify_chain(session, actor, ip=ip, now=utc_now())
