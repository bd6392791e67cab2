"""Acting on a request: check the table, apply the action's effects, append the event — one flush — and tell
whom the action hands the request to (services/requests/handoffs.py) and the resident (resident_notices.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from models.enums import Action, ClosureType, RatingLevel, RequestStatus, Role, Supervision, UnitKind
from models.resident_request import Rating, ResidentRequest, ResidentRequestEvent, Transfer
from models.resident_request_schemas import ActionCommand
from models.user import User
from services.actor import Actor
from services.clocks import sla
from services.errors import Conflict, Invalid, InvalidTransition, PermissionDenied
from services.people import reach
from services.requests import desk_actions, handoffs, resident_notices
from services.requests.step import Step, append_event
from services.rules import lifecycle

_DISPATCH_KINDS = frozenset({UnitKind.grid, UnitKind.village, UnitKind.town})


def _invalid_transition(resident_request: ResidentRequest, action: Action, role: Role | None, reason: str) -> None:
    allowed = lifecycle.allowed_actions(resident_request.status, role) if role else []
    raise InvalidTransition(
        reason,
        detail={"status": resident_request.status, "action": action, "allowed_actions": allowed},
    )


def _new_cycle(resident_request: ResidentRequest, now: datetime) -> None:
    """A 不满意 reopen: a new cycle, whose feedback clock `sla.after_action` starts."""
    resident_request.cycle += 1
    resident_request.supervision = Supervision.normal
    resident_request.feedback_met_at = None
    resident_request.signed_at = resident_request.contacted_at = resident_request.replied_at = None
    resident_request.closed_at = None
    resident_request.closure_type = None


def _meet_feedback(session: Session, resident_request: ResidentRequest, now: datetime) -> None:
    """The resident has an answer: the feedback promise is kept, and a waiting extension request lapses."""
    if resident_request.feedback_met_at is None:
        resident_request.feedback_met_at = now
    desk_actions.lapse_pending_extension(session, resident_request, now)


def _dispatch(session: Session, rr: ResidentRequest, step: Step) -> None:
    assert step.actor is not None
    unit = reach.active_unit(session, step.command.handling_unit_id, "handling_unit_id")
    if unit.kind not in _DISPATCH_KINDS or not reach.within(unit.path, step.actor.unit_path):
        raise Invalid("只能派给本辖区内的网格、村或镇街", field="handling_unit_id", code="unit_out_of_scope")
    if step.command.handler_id is not None:
        handler = session.get(User, step.command.handler_id)
        if handler is None or not handler.is_active or handler.org_unit_id != unit.id:
            raise Invalid("承办人必须是目标单位的在岗人员", field="handler_id", code="handler_invalid")
    step.data = {
        "from_unit_id": rr.handling_unit_id,
        "to_unit_id": unit.id,
        "handler_id": step.command.handler_id,
    }
    rr.handling_unit_id, rr.handler_id = unit.id or 0, step.command.handler_id
    rr.signed_at = rr.contacted_at = None


def _transfer(session: Session, rr: ResidentRequest, step: Step) -> None:
    assert step.actor is not None
    department = reach.department_for(session, step.command.department_id, step.actor)
    session.add(
        Transfer(
            resident_request_id=rr.id,
            department_id=department.id or 0,
            transferred_by_id=step.actor.id,
            instructions=step.command.note,
            due_at=step.command.due_at,
            at=step.now,
        )
    )
    # A department's return goes to the desk that transferred it, not to the unit that held it before.
    step.data = {
        "from_unit_id": rr.handling_unit_id,
        "to_unit_id": department.id,
        "return_to_unit_id": step.actor.unit_id,
    }
    rr.handling_unit_id, rr.handler_id = department.id or 0, None
    rr.signed_at = rr.contacted_at = None


def _return(session: Session, rr: ResidentRequest, step: Step) -> None:
    """A returned request goes back to the unit that sent it (for a transfer, the transferring desk)."""
    sent = session.exec(
        select(ResidentRequestEvent)
        .where(ResidentRequestEvent.resident_request_id == rr.id)
        .where(col(ResidentRequestEvent.action).in_([Action.dispatch, Action.transfer]))
        .order_by(col(ResidentRequestEvent.seq).desc())
    ).first()
    data = (sent.data or {}) if sent else {}
    back_to = data.get("return_to_unit_id") or data.get("from_unit_id")
    step.data = {"from_unit_id": rr.handling_unit_id, "to_unit_id": back_to or rr.first_unit_id}
    rr.handling_unit_id, rr.handler_id = back_to or rr.first_unit_id, None


def _escalate(session: Session, rr: ResidentRequest, step: Step) -> None:
    """上报 one rung up from where the request stands (grid → village → town); the first unit stays responsible."""
    parent = reach.next_escalation(session, rr)
    if parent is None:
        _invalid_transition(rr, Action.escalate, step.actor.role if step.actor else None, "已上报至镇街，不能再上报")
    assert parent is not None
    step.data = {"to_unit_id": parent.id}
    rr.escalated_to_unit_id = parent.id


def _sign_for(_: Session, rr: ResidentRequest, step: Step) -> None:
    if rr.signed_at is not None:
        _invalid_transition(rr, Action.sign_for, step.actor.role if step.actor else None, "已签收")
    rr.signed_at = step.now


def _first_contact(_: Session, rr: ResidentRequest, step: Step) -> None:
    if rr.contacted_at is not None:
        _invalid_transition(rr, Action.first_contact, step.actor.role if step.actor else None, "已记录首次联系")
    rr.contacted_at = step.now


def _start(_: Session, rr: ResidentRequest, step: Step) -> None:
    if rr.signed_at is None:  # starting work is also signing for it
        rr.signed_at = step.now


def _reply(session: Session, rr: ResidentRequest, step: Step) -> None:
    if step.command.closure_type == ClosureType.on_spot:
        raise Invalid("答复的办结类型应为实质解决、阶段性或程序性", field="closure_type", code="closure_type_invalid")
    rr.closure_type = step.command.closure_type
    rr.replied_at = step.now
    _meet_feedback(session, rr, step.now)


def _resolve_on_spot(session: Session, rr: ResidentRequest, step: Step) -> None:
    rr.closure_type = ClosureType.on_spot
    rr.closed_at = step.now
    _meet_feedback(session, rr, step.now)


def _reject(session: Session, rr: ResidentRequest, step: Step) -> None:
    rr.reject_reason = step.command.reject_reason
    _meet_feedback(session, rr, step.now)


def _extend(session: Session, rr: ResidentRequest, step: Step) -> None:
    assert step.command.due_at is not None
    desk_actions.extend_to(session, rr, step, step.command.due_at)


def _close(_: Session, rr: ResidentRequest, step: Step) -> None:
    rr.closed_at = step.now


def _reopen(_: Session, rr: ResidentRequest, step: Step) -> None:
    _new_cycle(rr, step.now)


EFFECTS: dict[Action, Callable[[Session, ResidentRequest, Step], None]] = {
    Action.dispatch: _dispatch,
    Action.transfer: _transfer,
    Action.return_: _return,
    Action.escalate: _escalate,
    Action.sign_for: _sign_for,
    Action.first_contact: _first_contact,
    Action.start: _start,
    Action.reply: _reply,
    Action.resolve_on_spot: _resolve_on_spot,
    Action.reject: _reject,
    Action.close: _close,
    Action.close_unrated: _close,
    Action.reopen: _reopen,
    Action.extend: _extend,
    Action.take_over: desk_actions.take_over,
    Action.whistle: desk_actions.whistle,
    Action.report_in: desk_actions.report_in,
    Action.request_extension: desk_actions.request_extension,
    Action.approve_extension: desk_actions.approve_extension,
    Action.deny_extension: desk_actions.deny_extension,
}


def apply(session: Session, rr: ResidentRequest, step: Step, *, flush: bool = True) -> ResidentRequest:
    """Move the request by the table, run the action's effects, append its event, tell whom it hands the request
    to and the resident what they hear of, or refuse untouched. `flush=False` leaves the writing to the caller."""
    action = step.command.action
    role = step.actor.role if step.actor else None
    if (RequestStatus(rr.status), action) not in lifecycle.TRANSITIONS:
        _invalid_transition(rr, action, role, "当前状态下不能执行此操作")
    before = RequestStatus(rr.status)
    new_status = lifecycle.transition(before, action)
    effect = EFFECTS.get(action)
    if effect is not None:
        effect(session, rr, step)
    rr.status = new_status
    if action not in sla.SWEEP_ACTIONS:
        sla.after_action(session, rr, action, before, step.now)
    append_event(session, rr, step, before)
    if flush:
        session.flush()
    handoffs.tell(session, rr, step)
    resident_notices.tell(session, rr, step)
    return rr


def lock(session: Session, rr: ResidentRequest) -> None:
    """Hold the request's row until commit, so people and the SLA sweep take turns (and always in the same
    order: the request first, then its timers). SQLite has a single writer already."""
    if session.get_bind().dialect.name == "postgresql":
        session.flush()  # a refresh reloads the row: changes not yet written would be lost, not locked
        session.refresh(rr, with_for_update=True)


def act(
    session: Session, rr: ResidentRequest, command: ActionCommand, *, actor: Actor, now: datetime
) -> ResidentRequest:
    """A staff action: role first, then the inputs it needs, then the transition table."""
    lock(session, rr)
    if not lifecycle.may_take(actor.role, command.action):
        raise PermissionDenied(
            "您的角色不能执行此操作",
            detail={
                "action": command.action,
                "allowed_actions": lifecycle.allowed_actions(rr.status, actor.role),
            },
        )
    missing = lifecycle.missing_inputs(command.action, command.model_dump())
    if missing:
        raise Invalid("缺少必填项", field=missing[0], code="missing_input")
    if command.action in lifecycle.HANDLER_ACTIONS and not reach.handles(session, rr, actor):
        raise PermissionDenied("只有承办单位可以执行此操作", code="not_handler")
    if actor.role == Role.town_cadre and not reach.may_act_here(session, rr, actor, now):
        raise PermissionDenied("该诉求不在您驻点的村，也未进入镇街督办台，请由驻点干部办理", code="outside_stationing")
    return apply(session, rr, Step(command=command, actor=actor, now=now))


def rate(session: Session, rr: ResidentRequest, level: RatingLevel, comment: str | None, *, now: datetime) -> None:
    """A resident rates the current cycle's outcome (a reply, or a problem solved on the spot) once;
    不满意 reopens, the other two close a replied request."""
    lock(session, rr)
    if rr.status not in (RequestStatus.replied, RequestStatus.closed):
        raise InvalidTransition("答复或办结后才能评价", code="not_ratable", detail={"status": rr.status})
    already = session.exec(
        select(Rating.id).where(Rating.resident_request_id == rr.id, Rating.cycle == rr.cycle)
    ).first()
    if already is not None:
        raise Conflict("本次答复已评价过", code="already_rated")
    session.add(Rating(resident_request_id=rr.id, cycle=rr.cycle, level=level, comment=comment, rated_at=now))
    apply(session, rr, Step(ActionCommand(action=Action.rate, note=comment), None, now, {"level": str(level)}))
    settle(session, rr, level, now=now)


_SETTLE_NOTES = {
    (Action.reopen, False): "居民不满意，重新办理",
    (Action.close, False): "居民评价后办结",
    (Action.reopen, True): "回访居民不满意，重新办理",
    (Action.close, True): "回访后办结",
}


def settle(
    session: Session,
    rr: ResidentRequest,
    level: RatingLevel,
    *,
    now: datetime,
    actor: Actor | None = None,
    by_callback: bool = False,
) -> None:
    """The satisfaction that counts for the cycle (a resident's rating, or a callback's) settles it: 不满意
    reopens it (a new cycle, whose feedback clock starts), the other two close a replied request."""
    follow_up = Action.reopen if level == RatingLevel.unsatisfied else Action.close
    if follow_up == Action.reopen or rr.status == RequestStatus.replied:
        command = ActionCommand(action=follow_up, note=_SETTLE_NOTES[(follow_up, by_callback)])
        # A microsecond later, so the timeline keeps the rating (or callback) before what it caused.
        apply(session, rr, Step(command, actor, now + timedelta(microseconds=1)))
