"""The escalation desk's actions (督办台) and the departments' answers to them: take over, supervision notes,
whistles (吹哨) and reporting in (报到), extension requests and their decisions. Each is an effect that
`request_actions.apply` runs inside the request's transaction, before the event is appended."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import Action, ExtensionState, NotificationChannel, Role, UnitKind
from models.org import OrgUnit
from models.resident_request import ExtensionRequest, ResidentRequest, Whistle
from models.stationing import Stationing, StationingMember
from models.user import User
from services import audit
from services.actor import Actor
from services.clocks import sla
from services.errors import Conflict, Invalid
from services.notify import outbox
from services.requests import desk
from services.rules import lifecycle
from services.rules.case_code import format_case_code
from services.rules.stationed_scope import may_act

if TYPE_CHECKING:
    from services.requests.request_actions import Step

_TELL = (NotificationChannel.inbox, NotificationChannel.push)


def active_unit(session: Session, unit_id: int | None, field_name: str) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id) if unit_id else None
    if unit is None or not unit.is_active:
        raise Invalid("请选择有效的单位", field=field_name, code="unit_invalid")
    return unit


def department_for(session: Session, step: Step) -> OrgUnit:
    """The department a town cadre names: one of their town's (or district's) departments."""
    assert step.actor is not None
    unit = active_unit(session, step.command.department_id, "department_id")
    in_reach = unit.parent_id in step.actor.ancestor_ids or unit.path.startswith(step.actor.unit_path)
    if unit.kind != UnitKind.department or not in_reach:
        raise Invalid("请选择本镇街（或区县）的职能部门", field="department_id", code="department_invalid")
    return unit


_ESCALATION_KINDS = (UnitKind.grid, UnitKind.village, UnitKind.town)


def next_escalation(session: Session, rr: ResidentRequest) -> OrgUnit | None:
    """The unit one level above where the request stands (grid → village → town); None at the town."""
    current = session.get(OrgUnit, rr.escalated_to_unit_id or rr.unit_id)
    if current is None or current.kind == UnitKind.town or not current.parent_id:
        return None
    parent = session.get(OrgUnit, current.parent_id)
    return parent if parent is not None and parent.kind in _ESCALATION_KINDS else None


def handles(session: Session, rr: ResidentRequest, actor: Actor) -> bool:
    """Handler actions belong to the handling unit or a unit above it; a department acts only on its own."""
    if actor.role == Role.department_handler:
        return rr.handling_unit_id == actor.unit_id
    unit = session.get(OrgUnit, rr.handling_unit_id)
    return unit is not None and unit.path.startswith(actor.unit_path)


def unit_people(session: Session, unit_id: int, roles: tuple[Role, ...] | None = None) -> list[int]:
    query = select(User.id).where(User.org_unit_id == unit_id, col(User.is_active))
    if roles:
        query = query.where(col(User.role).in_(roles))
    return [user_id for user_id in session.exec(query).all() if user_id is not None]


def village_of(session: Session, unit_id: int) -> int | None:
    """The village a grid or village unit belongs to (None above the village level)."""
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        return None
    if unit.kind == UnitKind.village:
        return unit.id
    parent = session.get(OrgUnit, unit.parent_id) if unit.kind == UnitKind.grid and unit.parent_id else None
    return parent.id if parent is not None and parent.kind == UnitKind.village else None


def stationed_at(session: Session, village_id: int) -> list[int]:
    """Accounts on the village's stationed team: the stationed cadre and the stationed members."""
    cadres = session.exec(
        select(Stationing.cadre_id).where(Stationing.village_id == village_id, col(Stationing.is_active))
    ).all()
    members = session.exec(
        select(StationingMember.user_id)
        .join(Stationing, col(Stationing.id) == StationingMember.stationing_id)
        .where(Stationing.village_id == village_id, col(Stationing.is_active), col(StationingMember.is_active))
        .where(StationingMember.team == "stationed", col(StationingMember.user_id).is_not(None))
    ).all()
    return sorted({*cadres, *(m for m in members if m is not None)})


def stationed_villages(session: Session, user_id: int) -> frozenset[int]:
    """Villages where this account is on the stationed team (as the cadre or a stationed member)."""
    as_cadre = session.exec(
        select(Stationing.village_id).where(Stationing.cadre_id == user_id, col(Stationing.is_active))
    ).all()
    as_member = session.exec(
        select(Stationing.village_id)
        .join(StationingMember, col(StationingMember.stationing_id) == Stationing.id)
        .where(StationingMember.user_id == user_id, StationingMember.team == "stationed")
        .where(col(StationingMember.is_active), col(Stationing.is_active))
    ).all()
    return frozenset({*as_cadre, *as_member})


def desk_cadres(session: Session, rr: ResidentRequest) -> list[int]:
    """Who decides for the desk on this request: the village's stationed team, else the town's cadres."""
    village_id = village_of(session, rr.unit_id)
    stationed = stationed_at(session, village_id) if village_id else []
    if stationed:
        return stationed
    place = session.get(OrgUnit, rr.unit_id)
    ancestors = [int(part) for part in place.path.strip("/").split("/")] if place else []
    town = session.exec(select(OrgUnit.id).where(col(OrgUnit.id).in_(ancestors), OrgUnit.kind == UnitKind.town)).first()
    return unit_people(session, town, (Role.town_cadre,)) if town else []


def handlers_of(session: Session, rr: ResidentRequest) -> list[int]:
    return [rr.handler_id] if rr.handler_id else unit_people(session, rr.handling_unit_id)


def _tell(session: Session, rr: ResidentRequest, step: Step, people: list[int], title: str, body: str) -> None:
    me = step.actor.id if step.actor else None
    outbox.enqueue(
        session,
        recipient_ids=[p for p in people if p != me],
        channels=_TELL,
        kind=f"desk_{step.command.action}",
        title=f"【{title}】诉求 {format_case_code(rr.case_code)}",
        body=body[:200],
        dedupe_key=f"desk:{rr.id}:{rr.event_count + 1}",
        now=step.now,
        resident_request_id=rr.id,
    )


def take_over(session: Session, rr: ResidentRequest, step: Step) -> None:
    """提级接办: the town cadre becomes the handler; the first unit stays responsible and is told."""
    assert step.actor is not None
    step.data = {"from_unit_id": rr.handling_unit_id, "to_unit_id": step.actor.unit_id}
    told = handlers_of(session, rr)
    rr.handling_unit_id, rr.handler_id = step.actor.unit_id, step.actor.id
    rr.signed_at = rr.signed_at or step.now
    _tell(session, rr, step, told, "提级接办", f"镇街干部已接办：{step.command.note}")


def supervise(session: Session, rr: ResidentRequest, step: Step) -> None:
    """A supervision note (督办意见) goes to whoever is handling the request."""
    _tell(session, rr, step, handlers_of(session, rr), "督办", step.command.note or "")


def _unanswered(session: Session, rr: ResidentRequest, department_id: int) -> Whistle | None:
    return session.exec(
        select(Whistle).where(
            Whistle.resident_request_id == rr.id,
            Whistle.department_id == department_id,
            col(Whistle.reported_at).is_(None),
        )
    ).first()


def whistle(session: Session, rr: ResidentRequest, step: Step) -> None:
    """吹哨: the department is told now and must report in by the deadline; it may read the request."""
    assert step.actor is not None
    department = department_for(session, step)
    assert department.id is not None
    if _unanswered(session, rr, department.id) is not None:
        raise Conflict("已向该部门吹哨，尚未报到", code="whistle_pending")
    hours = step.command.report_within_hours or get_settings().whistle_report_hours
    due = step.now + timedelta(hours=hours)
    session.add(
        Whistle(
            resident_request_id=rr.id,
            department_id=department.id,
            whistled_by_id=step.actor.id,
            instructions=step.command.note or "",
            report_due_at=due,
            at=step.now,
        )
    )
    step.data = {"department_id": department.id, "report_due_at": due.isoformat()}
    local = due.astimezone(get_settings().tz).strftime("%m月%d日 %H:%M")
    body = f"请于 {local} 前报到。{step.command.note}"
    _tell(session, rr, step, unit_people(session, department.id), "吹哨报到", body)


def report_in(session: Session, rr: ResidentRequest, step: Step) -> None:
    """报到: the whistled department answers; late answers are taken and marked late."""
    assert step.actor is not None
    called = _unanswered(session, rr, step.actor.unit_id)
    if called is None:
        raise Conflict("本部门没有待报到的吹哨", code="no_whistle")
    called.reported_at, called.reported_by_id = step.now, step.actor.id
    step.data = {"whistle_id": called.id, "late": step.now > called.report_due_at or called.overdue_at is not None}
    session.add(called)
    _tell(session, rr, step, [called.whistled_by_id], "部门已报到", step.command.note or "职能部门已报到")


def pending_extension(session: Session, rr: ResidentRequest) -> ExtensionRequest | None:
    return session.exec(
        select(ExtensionRequest).where(
            ExtensionRequest.resident_request_id == rr.id, ExtensionRequest.state == ExtensionState.pending
        )
    ).first()


def lapse_pending_extension(session: Session, rr: ResidentRequest, now: datetime) -> None:
    """An answer makes a waiting extension request moot; it stays on record as lapsed."""
    pending = pending_extension(session, rr)
    if pending is not None:
        pending.state, pending.decided_at = ExtensionState.lapsed, now
        session.add(pending)


def request_extension(session: Session, rr: ResidentRequest, step: Step) -> None:
    """A handler asks for a later feedback date; the desk decides."""
    assert step.actor is not None and step.command.due_at is not None
    if step.command.due_at <= rr.feedback_due_at:
        raise Invalid("申请的期限须晚于当前反馈期限", field="due_at", code="due_not_later")
    if pending_extension(session, rr) is not None:
        raise Conflict("已有待审批的延期申请", code="extension_pending")
    session.add(
        ExtensionRequest(
            resident_request_id=rr.id,
            cycle=rr.cycle,
            requested_by_id=step.actor.id,
            requested_unit_id=step.actor.unit_id,
            requested_due_at=step.command.due_at,
            reason=step.command.note or "",
            at=step.now,
        )
    )
    step.data = {"from_due_at": rr.feedback_due_at.isoformat(), "requested_due_at": step.command.due_at.isoformat()}
    _tell(session, rr, step, desk_cadres(session, rr), "延期申请", step.command.note or "")


def _decide(session: Session, rr: ResidentRequest, step: Step, state: ExtensionState) -> ExtensionRequest:
    assert step.actor is not None
    pending = pending_extension(session, rr)
    if pending is None:
        raise Conflict("没有待审批的延期申请", code="no_extension_request")
    pending.state, pending.decided_by_id = state, step.actor.id
    pending.decision_note, pending.decided_at = step.command.note, step.now
    session.add(pending)
    return pending


def approve_extension(session: Session, rr: ResidentRequest, step: Step) -> None:
    """The feedback clock moves to the date asked for (or the one the cadre sets); audited like 延期."""
    decided = _decide(session, rr, step, ExtensionState.approved)
    extend_to(session, rr, step, step.command.due_at or decided.requested_due_at)
    step.data["extension_id"] = decided.id
    _tell(session, rr, step, [decided.requested_by_id], "延期已同意", step.command.note or "")


def extend_to(session: Session, rr: ResidentRequest, step: Step, new_due: datetime) -> None:
    """Move the feedback clock (a cadre's 延期, or an approved request for one); audited."""
    before = rr.feedback_due_at
    sla.extend(session, rr, new_due, step.now)
    step.data = {"from_due_at": before.isoformat(), "to_due_at": rr.feedback_due_at.isoformat()}
    audit.record(
        session,
        action="request.extend",
        actor=step.actor,
        target_type="resident_request",
        target_id=str(rr.id),
        reason=step.command.note,
        detail=step.data,
        now=step.now,
    )


def deny_extension(session: Session, rr: ResidentRequest, step: Step) -> None:
    decided = _decide(session, rr, step, ExtensionState.denied)
    step.data = {"extension_id": decided.id}
    _tell(session, rr, step, [decided.requested_by_id], "延期未同意", step.command.note or "")


def may_act_here(session: Session, rr: ResidentRequest, actor: Actor, now: datetime) -> bool:
    """A town cadre stationed at some villages acts on other villages' requests only through the desk."""
    stationed = stationed_villages(session, actor.id)
    if not stationed:
        return True
    return may_act(
        stationed=stationed,
        request_village=village_of(session, rr.unit_id),
        with_me=rr.handling_unit_id == actor.unit_id or rr.handler_id == actor.id,
        at_desk=lambda: desk.on_desk(session, rr, actor, now),
    )


_EXTENSION_ACTIONS = frozenset({Action.request_extension, Action.approve_extension, Action.deny_extension})


def usable_actions(session: Session, rr: ResidentRequest, actor: Actor, now: datetime) -> list[Action]:
    """The table's actions for this role and status, less those this request's state rules out: a decision
    needs a pending extension request and a second request waits for it; reporting in needs a whistle to
    the actor's department; handler actions need the handler; escalation stops at the town; a stationed
    cadre outside their reach gets none."""
    allowed = lifecycle.allowed_actions(rr.status, actor.role)
    if not allowed or (actor.role == Role.town_cadre and not may_act_here(session, rr, actor, now)):
        return []
    unusable: set[Action] = set()
    if lifecycle.HANDLER_ACTIONS & set(allowed) and not handles(session, rr, actor):
        unusable |= lifecycle.HANDLER_ACTIONS
    if Action.escalate in allowed and next_escalation(session, rr) is None:
        unusable.add(Action.escalate)
    if _EXTENSION_ACTIONS & set(allowed) - unusable:
        pending = pending_extension(session, rr) is not None
        unusable |= {Action.request_extension} if pending else {Action.approve_extension, Action.deny_extension}
    if Action.report_in in allowed and _unanswered(session, rr, actor.unit_id) is None:
        unusable.add(Action.report_in)
    return [a for a in allowed if a not in unusable]
