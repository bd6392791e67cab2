"""The escalation desk's actions (督办台) and the departments' answers to them: take over, supervision notes,
whistles (吹哨) and reporting in (报到), extension requests and their decisions. Each is an effect that
`request_actions.apply` runs inside the request's transaction, before the event is appended; who is told of
it is the hand-offs' table (services/requests/handoffs.py), after the event."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import Action, ExtensionState, Role
from models.resident_request import ExtensionRequest, ResidentRequest, Whistle
from services import audit
from services.actor import Actor
from services.clocks import sla
from services.errors import Conflict, Invalid
from services.people import reach
from services.requests.step import Step
from services.rules import lifecycle


def take_over(session: Session, rr: ResidentRequest, step: Step) -> None:
    """提级接办: the town cadre becomes the handler; the first unit stays responsible."""
    assert step.actor is not None
    step.data = {
        "from_unit_id": rr.handling_unit_id,
        "from_handler_id": rr.handler_id,
        "to_unit_id": step.actor.unit_id,
    }
    rr.handling_unit_id, rr.handler_id = step.actor.unit_id, step.actor.id
    rr.signed_at = rr.signed_at or step.now


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
    department = reach.department_for(session, step.command.department_id, step.actor)
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


def report_in(session: Session, rr: ResidentRequest, step: Step) -> None:
    """报到: the whistled department answers; late answers are taken and marked late."""
    assert step.actor is not None
    called = _unanswered(session, rr, step.actor.unit_id)
    if called is None:
        raise Conflict("本部门没有待报到的吹哨", code="no_whistle")
    called.reported_at, called.reported_by_id = step.now, step.actor.id
    step.data = {"whistle_id": called.id, "late": step.now > called.report_due_at or called.overdue_at is not None}
    session.add(called)


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


_EXTENSION_ACTIONS = frozenset({Action.request_extension, Action.approve_extension, Action.deny_extension})


def usable_actions(session: Session, rr: ResidentRequest, actor: Actor, now: datetime) -> list[Action]:
    """The table's actions for this role and status, less those this request's state rules out: a decision
    needs a pending extension request and a second request waits for it; reporting in needs a whistle to
    the actor's department; handler actions need the handler; signing for and the first contact happen once
    a cycle; escalation stops at the town; a stationed cadre outside their reach gets none."""
    allowed = lifecycle.allowed_actions(rr.status, actor.role)
    if not allowed or (actor.role == Role.town_cadre and not reach.may_act_here(session, rr, actor, now)):
        return []
    unusable: set[Action] = set()
    if lifecycle.HANDLER_ACTIONS & set(allowed) and not reach.handles(session, rr, actor):
        unusable |= lifecycle.HANDLER_ACTIONS
    if rr.signed_at is not None:  # request_actions refuses a second one with a 409
        unusable.add(Action.sign_for)
    if rr.contacted_at is not None:
        unusable.add(Action.first_contact)
    if Action.escalate in allowed and reach.next_escalation(session, rr) is None:
        unusable.add(Action.escalate)
    if _EXTENSION_ACTIONS & set(allowed) - unusable:
        pending = pending_extension(session, rr) is not None
        unusable |= {Action.request_extension} if pending else {Action.approve_extension, Action.deny_extension}
    if Action.report_in in allowed and _unanswered(session, rr, actor.unit_id) is None:
        unusable.add(Action.report_in)
    return [a for a in allowed if a not in unusable]
