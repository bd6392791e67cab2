"""Stationing (驻点直联): slots and teams (admin, town cadre), sessions generated ahead, attendance, the duty
log, and the matters received at a session (the stationed team)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, status

from api.deps import CurrentActor, SessionDep, require_role
from api.errors import described
from core.clock import utc_now
from models.enums import Role
from models.stationing import Stationing
from models.stationing_schemas import (
    AttendanceInput,
    DutyLogInput,
    GenerateSessions,
    MatterCreate,
    MatterPublic,
    MemberCreate,
    MemberPublic,
    SessionPublic,
    StationingCreate,
    StationingPublic,
    StationingUpdate,
)
from models.types import DbId
from services.stationing import stationing as service

router = APIRouter()

ERRORS = described(
    s401="未登录或登录已失效",
    s403="角色不允许，或不在您的辖区 / 驻点团队",
    s404="不存在，或不在您可查看的范围（本人辖区的村、本人所在的驻点团队）",
    s409="当前状态下不能执行此操作（如已接待的场次不能再改为未接待）",
    s422="字段错误；detail 列出每个字段的路径",
)
Editors = require_role(Role.admin, Role.town_cadre)


def readable_stationing(stationing_id: DbId, session: SessionDep, actor: CurrentActor) -> Stationing:
    """The stationing named in the path, if the actor may read it (404 otherwise, as for one that does not exist)."""
    return service.get_readable(session, actor, stationing_id)


ReadableStationing = Annotated[Stationing, Depends(readable_stationing)]


@router.post(
    "/stationings",
    response_model=StationingPublic,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="安排驻点干部和固定接待时间、地点（管理员、镇干部）",
)
def create_stationing(
    body: StationingCreate, session: SessionDep, actor: CurrentActor, _: object = Editors
) -> StationingPublic:
    return service.public(session, service.create(session, actor, body, now=utc_now()))


@router.get(
    "/stationings",
    response_model=list[StationingPublic],
    responses=ERRORS,
    summary="驻点安排列表（本人可见的村；可按村、干部、是否在岗筛选）",
)
def list_stationings(
    session: SessionDep,
    actor: CurrentActor,
    village_id: DbId | None = None,
    cadre_id: DbId | None = None,
    active: bool | None = True,
) -> list[StationingPublic]:
    return service.listed(session, actor, village_id=village_id, cadre_id=cadre_id, active=active)


@router.get("/stationings/{stationing_id}", response_model=StationingPublic, responses=ERRORS, summary="驻点安排")
def read_stationing(stationing: ReadableStationing, session: SessionDep) -> StationingPublic:
    return service.public(session, stationing)


@router.patch("/stationings/{stationing_id}", response_model=StationingPublic, responses=ERRORS, summary="修改驻点安排")
def update_stationing(
    stationing: ReadableStationing,
    body: StationingUpdate,
    session: SessionDep,
    actor: CurrentActor,
    _: object = Editors,
) -> StationingPublic:
    return service.public(session, service.update(session, actor, stationing, body, now=utc_now()))


@router.post(
    "/stationings/{stationing_id}/members",
    response_model=MemberPublic,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="加入驻点团队或辅助团队",
)
def add_member(
    stationing: ReadableStationing, body: MemberCreate, session: SessionDep, actor: CurrentActor, _: object = Editors
) -> object:
    return service.add_member(session, actor, stationing, body, now=utc_now())


@router.post(
    "/stationings/{stationing_id}/members/{member_id}/end",
    response_model=MemberPublic,
    responses=ERRORS,
    summary="移出团队（保留记录）",
)
def end_member(
    stationing: ReadableStationing, member_id: DbId, session: SessionDep, actor: CurrentActor, _: object = Editors
) -> object:
    return service.end_member(session, actor, stationing, member_id)


@router.post(
    "/stationings/{stationing_id}/sessions/generate",
    response_model=list[SessionPublic],
    responses=ERRORS,
    summary="按固定接待日生成今后 N 周的接待场次（节假日顺延；已生成的不重复）",
)
def generate_sessions(
    stationing: ReadableStationing,
    body: GenerateSessions,
    session: SessionDep,
    actor: CurrentActor,
    _: object = Editors,
) -> object:
    service.check_editable(session, actor, stationing)
    return service.generate(session, stationing, weeks=body.weeks, now=utc_now())


@router.get(
    "/stationings/{stationing_id}/sessions",
    response_model=list[SessionPublic],
    responses=ERRORS,
    summary="接待场次（按接待日期）",
)
def list_sessions(stationing: ReadableStationing, session: SessionDep, since: date | None = None) -> object:
    return service.sessions(session, stationing, since=since)


@router.post(
    "/reception-sessions/{session_id}/attendance",
    response_model=SessionPublic,
    responses=ERRORS,
    summary="记录接待情况：已接待 / 未接待 / 改期（后两者须填原因）",
)
def record_attendance(session_id: DbId, body: AttendanceInput, session: SessionDep, actor: CurrentActor) -> object:
    reception, _ = service.get_session(session, actor, session_id)
    return service.attend(session, actor, reception, body, now=utc_now())


@router.put(
    "/reception-sessions/{session_id}/duty-log", response_model=SessionPublic, responses=ERRORS, summary="驻点日志"
)
def write_duty_log(session_id: DbId, body: DutyLogInput, session: SessionDep, actor: CurrentActor) -> object:
    reception, _ = service.get_session(session, actor, session_id)
    service.write_log(session, actor, reception, body.duty_log, now=utc_now())
    return reception


@router.post(
    "/reception-sessions/{session_id}/matters",
    response_model=MatterPublic,
    status_code=status.HTTP_201_CREATED,
    responses=ERRORS,
    summary="登记接待中群众反映的事项：当场解决（直接办结）或登记交办（进入诉求流转）",
)
def record_matter(session_id: DbId, body: MatterCreate, session: SessionDep, actor: CurrentActor) -> MatterPublic:
    reception, stationing = service.get_session(session, actor, session_id)
    return service.record_matter(session, actor, reception, stationing, body, now=utc_now())
