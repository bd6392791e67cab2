"""Stationing (驻点直联): the slot and its teams, reception sessions generated ahead, attendance, the duty log,
and the matters a cadre receives during a session."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from core.clock import utc_now
from models.enums import Action, Channel, Role, UnitKind
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.resident_request_schemas import ActionCommand, ResidentRequestCreate
from models.stationing import DutyLogRevision, ReceptionMatter, ReceptionSession, Stationing, StationingMember
from models.stationing_schemas import (
    AttendanceInput,
    MatterCreate,
    MatterPublic,
    MemberCreate,
    MemberPublic,
    StationingCreate,
    StationingPublic,
    StationingUpdate,
)
from models.user import User
from services import audit
from services.actor import Actor
from services.clocks import calendar
from services.errors import Conflict, Invalid, InvalidTransition, NotFound, PermissionDenied
from services.people import reach
from services.people.visibility import readable_stationings
from services.requests import request_actions, resident_requests
from services.rules.reception_days import Slot, schedule

WEEKS_AHEAD = 8  # the daily job keeps this many weeks of sessions generated
_EDITORS = frozenset({Role.admin, Role.town_cadre})
# Attendance moves forward only: a held or missed session is final.
_ATTENDANCE = {"scheduled": {"held", "missed", "rescheduled"}, "rescheduled": {"held", "missed", "rescheduled"}}


def _editable(session: Session, actor: Actor, village_id: int) -> OrgUnit:
    """The village if the actor (an admin or a town cadre, the village in their subtree) may arrange its
    stationing: an admin of one district arranges nothing in another."""
    if actor.role not in _EDITORS:
        raise PermissionDenied()
    village = session.get(OrgUnit, village_id)
    if village is None or village.kind != UnitKind.village or not village.is_active:
        raise Invalid("请选择有效的村（社区）", field="village_id", code="village_invalid")
    if not reach.within(village.path, actor.unit_path):
        raise PermissionDenied("该村不在您的辖区内", code="forbidden")
    return village


def check_editable(session: Session, actor: Actor, stationing: Stationing) -> None:
    """Admins and the town cadres above the village arrange its stationing and generate its sessions."""
    _editable(session, actor, stationing.village_id)


def get(session: Session, stationing_id: int) -> Stationing:
    stationing = session.get(Stationing, stationing_id)
    if stationing is None:
        raise NotFound()
    return stationing


def get_readable(session: Session, actor: Actor, stationing_id: int) -> Stationing:
    """The stationing if the actor may read it (see readable_stationings); NotFound otherwise, as if it did not
    exist."""
    found = session.exec(readable_stationings(actor).where(Stationing.id == stationing_id)).first()
    if found is None:
        raise NotFound()
    return found


def public(session: Session, stationing: Stationing, *, today: date | None = None) -> StationingPublic:
    """The arrangement with names, its team and the next reception day already generated."""
    members = session.exec(
        select(StationingMember)
        .where(StationingMember.stationing_id == stationing.id)
        .order_by(col(StationingMember.id))
    ).all()
    village = session.get(OrgUnit, stationing.village_id)
    cadre = session.get(User, stationing.cadre_id)
    upcoming = session.exec(
        select(col(ReceptionSession.held_on))
        .where(ReceptionSession.stationing_id == stationing.id)
        .where(col(ReceptionSession.held_on) >= (today or calendar.local_today(utc_now())))
        .where(col(ReceptionSession.status).in_(("scheduled", "rescheduled")))
        .order_by(col(ReceptionSession.held_on))
    ).first()
    return StationingPublic.model_validate(
        stationing.model_dump()
        | {
            "village_name": village.name if village else "",
            "cadre_name": cadre.name if cadre else "",
            "next_session_on": upcoming,
            "members": [MemberPublic.model_validate(m.model_dump()) for m in members],
        }
    )


def listed(
    session: Session, actor: Actor, *, village_id: int | None, cadre_id: int | None, active: bool | None
) -> list[StationingPublic]:
    """The stationings the actor may read (see readable_stationings), by village."""
    query = readable_stationings(actor)
    if village_id is not None:
        query = query.where(Stationing.village_id == village_id)
    if cadre_id is not None:
        query = query.where(Stationing.cadre_id == cadre_id)
    if active is not None:
        query = query.where(Stationing.is_active == active)
    today = calendar.local_today(utc_now())
    rows = session.exec(query.order_by(col(Stationing.village_id), col(Stationing.id))).all()
    return [public(session, row, today=today) for row in rows]


def create(session: Session, actor: Actor, data: StationingCreate, *, now: datetime) -> Stationing:
    """A cadre stationed at a village with a fixed slot; the cadre must be a town cadre above the village."""
    village = _editable(session, actor, data.village_id)
    cadre = session.get(User, data.cadre_id)
    cadre_unit = session.get(OrgUnit, cadre.org_unit_id) if cadre is not None else None
    if cadre is None or not cadre.is_active or cadre.role != Role.town_cadre or cadre_unit is None:
        raise Invalid("驻点干部须为在岗的镇（街道）干部", field="cadre_id", code="cadre_invalid")
    if not reach.within(village.path, cadre_unit.path):
        raise Invalid("驻点干部须属于该村所在的镇（街道）", field="cadre_id", code="cadre_out_of_scope")
    stationing = Stationing.model_validate(data.model_dump() | {"created_at": now})
    session.add(stationing)
    session.flush()
    audit.record(session, "stationing.create", actor=actor, target_type="stationing", target_id=stationing.id, now=now)
    return stationing


def update(
    session: Session, actor: Actor, stationing: Stationing, data: StationingUpdate, *, now: datetime
) -> Stationing:
    """Change the slot; sessions already generated keep their day (new ones follow the new slot)."""
    _editable(session, actor, stationing.village_id)
    changes = data.model_dump(exclude_unset=True)
    start, end = changes.get("start_time", stationing.start_time), changes.get("end_time", stationing.end_time)
    if end <= start:
        raise Invalid("结束时间须晚于开始时间", field="end_time", code="time_order")
    for name, value in changes.items():
        setattr(stationing, name, value)
    session.add(stationing)
    session.flush()
    audit.record(session, "stationing.update", actor=actor, target_type="stationing", target_id=stationing.id, now=now)
    return stationing


def add_member(
    session: Session, actor: Actor, stationing: Stationing, data: MemberCreate, *, now: datetime
) -> StationingMember:
    """Someone on the stationed or the support team; a member with an account must be active."""
    _editable(session, actor, stationing.village_id)
    if data.user_id is not None:
        user = session.get(User, data.user_id)
        if user is None or not user.is_active:
            raise Invalid("请选择有效的账号", field="user_id", code="user_invalid")
    member = StationingMember(stationing_id=stationing.id or 0, created_at=now, **data.model_dump())
    session.add(member)
    session.flush()
    return member


def end_member(session: Session, actor: Actor, stationing: Stationing, member_id: int) -> StationingMember:
    """Take someone off a team (the row stays)."""
    _editable(session, actor, stationing.village_id)
    member = session.get(StationingMember, member_id)
    if member is None or member.stationing_id != stationing.id:
        raise NotFound()
    member.is_active = False
    session.add(member)
    session.flush()
    return member


def upcoming_slots(session: Session, stationing: Stationing, since: date, until: date) -> list[Slot]:
    """The stationing's slots from `since` (or its first week) to `until`, each moved off holidays."""
    work = calendar.load(session)
    first = max(since, stationing.starts_on)
    return schedule(stationing.weekday, stationing.every_weeks, stationing.starts_on, first, until, work.is_workday)


def generate(session: Session, stationing: Stationing, *, weeks: int, now: datetime) -> list[ReceptionSession]:
    """Sessions for the slots from today through `weeks` weeks ahead, moved off holidays; slots that already
    have a session are left as they are. Returns the new sessions."""
    today = calendar.local_today(now)
    slots = upcoming_slots(session, stationing, today, today + timedelta(weeks=weeks))
    known = set(
        session.exec(select(col(ReceptionSession.slot_on)).where(ReceptionSession.stationing_id == stationing.id)).all()
    )
    created = []
    for slot in slots:
        if slot.slot_on in known:
            continue
        created.append(
            ReceptionSession(
                stationing_id=stationing.id or 0,
                slot_on=slot.slot_on,
                held_on=slot.held_on,
                start_time=stationing.start_time,
                end_time=stationing.end_time,
                place=stationing.place,
                updated_at=now,
            )
        )
    session.add_all(created)
    session.flush()
    return created


def active_ids(session: Session) -> list[int]:
    """Stationings whose sessions are generated ahead by the daily job."""
    rows = session.exec(select(Stationing.id).where(col(Stationing.is_active)).order_by(col(Stationing.id))).all()
    return [row for row in rows if row is not None]


def sessions(session: Session, stationing: Stationing, *, since: date | None = None) -> list[ReceptionSession]:
    query = select(ReceptionSession).where(ReceptionSession.stationing_id == stationing.id)
    if since is not None:
        query = query.where(col(ReceptionSession.held_on) >= since)
    return list(session.exec(query.order_by(col(ReceptionSession.held_on), col(ReceptionSession.id))).all())


def is_stationed(session: Session, actor: Actor, stationing: Stationing) -> bool:
    """The stationed cadre or an active member of the stationed team with an account."""
    if actor.id == stationing.cadre_id:
        return True
    found = session.exec(
        select(StationingMember.id).where(
            StationingMember.stationing_id == stationing.id,
            StationingMember.user_id == actor.id,
            StationingMember.team == "stationed",
            col(StationingMember.is_active),
        )
    ).first()
    return found is not None


def get_session(session: Session, actor: Actor, session_id: int) -> tuple[ReceptionSession, Stationing]:
    """A session the actor may record for: the stationed team, or an admin over the village."""
    reception = session.get(ReceptionSession, session_id)
    if reception is None:
        raise NotFound()
    stationing = get(session, reception.stationing_id)
    village = session.get(OrgUnit, stationing.village_id)
    admin_over = actor.role == Role.admin and village is not None and reach.within(village.path, actor.unit_path)
    if not admin_over and not is_stationed(session, actor, stationing):
        raise PermissionDenied("只有驻点干部或驻点团队成员可以记录", code="not_stationed")
    return reception, stationing


def attend(
    session: Session, actor: Actor, reception: ReceptionSession, data: AttendanceInput, *, now: datetime
) -> ReceptionSession:
    """Held, missed (with a reason), or moved to another day (with a reason); held and missed are final."""
    if data.status not in _ATTENDANCE.get(reception.status, set()):
        raise InvalidTransition(detail={"status": reception.status, "wanted": data.status})
    if data.status != "held" and not data.reason:
        raise Invalid("请填写未接待或改期的原因", field="reason", code="reason_required")
    if data.status == "rescheduled":
        if data.held_on is None:
            raise Invalid("请填写改期后的日期", field="held_on", code="held_on_required")
        if data.held_on < calendar.local_today(now):
            raise Invalid("改期日期不能早于今天", field="held_on", code="held_on_past")
        reception.held_on = data.held_on
    elif reception.held_on > calendar.local_today(now):
        raise Invalid("接待日尚未到，不能记录接待情况", field="status", code="not_yet")
    # A held session keeps the reason it was moved for (the audit log has every step too).
    reception.status, reception.reason = data.status, data.reason or reception.reason
    reception.recorded_by_id, reception.updated_at = actor.id, now
    session.add(reception)
    session.flush()
    audit.record(
        session,
        f"reception.{data.status}",
        actor=actor,
        target_type="reception_session",
        target_id=reception.id,
        reason=data.reason,
        now=now,
    )
    return reception


def write_log(session: Session, actor: Actor, reception: ReceptionSession, text: str, *, now: datetime) -> None:
    """The duty log (驻点日志) of a held session; a rewrite keeps the text it replaces, with who wrote it and when."""
    if reception.status != "held":
        raise InvalidTransition("只有已接待的场次可以填写驻点日志", detail={"status": reception.status})
    if reception.duty_log is not None and reception.duty_log != text:
        assert reception.id is not None  # a held session is stored
        revision = DutyLogRevision(
            reception_session_id=reception.id,
            duty_log=reception.duty_log,
            recorded_by_id=reception.recorded_by_id,
            recorded_at=reception.updated_at,
            replaced_by_id=actor.id,
            replaced_at=now,
        )
        session.add(revision)
    reception.duty_log, reception.recorded_by_id, reception.updated_at = text, actor.id, now
    session.add(reception)
    session.flush()


def record_matter(
    session: Session,
    actor: Actor,
    reception: ReceptionSession,
    stationing: Stationing,
    data: MatterCreate,
    *,
    now: datetime,
) -> MatterPublic:
    """A resident's matter at a held session: always a request (channel reception, feedback clock running,
    routed as usual); solved on the spot closes it at once."""
    if reception.status != "held":
        raise InvalidTransition("只有已接待的场次可以登记事项", detail={"status": reception.status})
    if data.outcome == "solved_on_spot" and not data.note:
        raise Invalid("请填写当场解决的处理情况", field="note", code="note_required")
    if data.id is not None and session.get(ResidentRequest, data.id) is not None:
        return _replayed(session, actor, data.id)
    wanted = ResidentRequestCreate(
        id=data.id,
        channel=Channel.reception,
        category_id=data.category_id,
        description=data.description,
        location_text=data.location_text or reception.place,
        unit_id=data.unit_id or stationing.village_id,
        reporter_name=data.reporter_name,
        reporter_phone=data.reporter_phone,
        reporter_sms_opt_out=data.reporter_sms_opt_out,
    )
    rr = resident_requests.register(session, resident_requests.Registration(wanted, actor), now=now).resident_request
    if data.outcome == "solved_on_spot":
        command = ActionCommand(action=Action.resolve_on_spot, note=data.note)
        rr = request_actions.act(session, rr, command, actor=actor, now=now)
    matter = ReceptionMatter(
        session_id=reception.id or 0, resident_request_id=rr.id, outcome=data.outcome, created_at=now, recorded_at=now
    )
    session.add(matter)
    session.flush()
    return _matter_public(matter, rr)


def _replayed(session: Session, actor: Actor, request_id: uuid.UUID) -> MatterPublic:
    """A phone resending a matter gets the one it recorded; an id used for anything else is refused."""
    matter = session.exec(select(ReceptionMatter).where(ReceptionMatter.resident_request_id == request_id)).first()
    rr = session.get(ResidentRequest, request_id)
    if matter is None or rr is None or rr.created_by_id != actor.id:
        raise Conflict("该编号已被占用", code="id_taken")
    return _matter_public(matter, rr)


def _matter_public(matter: ReceptionMatter, rr: ResidentRequest) -> MatterPublic:
    return MatterPublic.model_validate(
        matter.model_dump(include={"id", "session_id", "outcome"})
        | {"resident_request_id": rr.id, "case_code": rr.case_code, "status": rr.status}
    )
