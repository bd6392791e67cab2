"""Hand-offs: every action that gives a request to someone tells the people who must act next, at once and
once. One table says who (asked of `reach`, the one home of the org tree's questions), the message's kind
and its words; one fan-out writes the outbox rows after the event, in the action's transaction.

The event's seq makes the dedupe key: an action refused writes no event and so tells nobody, two workers
racing on one request write one event (the request's row lock) and so one set of messages, and a row written
twice is one row. The inbox row is there at once; push and SMS wait for the end of quiet hours
(`sla.pocket_after`: an emergency never waits). Whoever acted is not told of their own action."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.settings import get_settings
from models.enums import Action, NotificationChannel
from models.org import OrgUnit
from models.resident_request import ExtensionRequest, ResidentRequest, Whistle
from services.clocks import sla
from services.notify import outbox
from services.people import reach
from services.requests.step import Step
from services.rules.case_code import format_case_code

Who = Callable[[Session, ResidentRequest, Step], Iterable[int]]

CHANNELS = (NotificationChannel.inbox, NotificationChannel.push, NotificationChannel.sms)
_DETAIL_CHARS = 80


@dataclass(frozen=True)
class Handoff:
    kind: str  # the outbox kind; the desk's keep the names the PWA labels
    label: str  # the title: 【label】诉求 <case code>
    lead: str  # what the message asks, before the note; "{due}" is the deadline the action set
    who: Who  # who must act next, after the action


def _handlers(session: Session, rr: ResidentRequest, _: Step) -> list[int]:
    return reach.handlers_of(session, rr)


def _self_reported(session: Session, rr: ResidentRequest, step: Step) -> list[int]:
    """A resident's own report (no account behind it) goes to where it happened; staff register their own."""
    return reach.place_staff(session, rr) if step.actor is None else []


def _escalated_to(session: Session, rr: ResidentRequest, step: Step) -> list[int]:
    level = session.get(OrgUnit, step.data["to_unit_id"])
    return reach.answerable_at(session, rr, level) if level is not None else []


def _taken_from(session: Session, rr: ResidentRequest, step: Step) -> list[int]:
    """The first unit stays responsible (首接负责); whoever was handling it has it no more."""
    before = reach.handlers_at(session, step.data["from_unit_id"], step.data.get("from_handler_id"))
    return [*reach.handlers_at(session, rr.first_unit_id), *before]


def _whistled(session: Session, _: ResidentRequest, step: Step) -> list[int]:
    return reach.handlers_at(session, step.data["department_id"])


def _whistler(session: Session, _: ResidentRequest, step: Step) -> list[int]:
    called = session.get(Whistle, step.data["whistle_id"])
    return [called.whistled_by_id] if called is not None else []


def _desk(session: Session, rr: ResidentRequest, _: Step) -> list[int]:
    return reach.desk_cadres(session, rr)


def _requester(session: Session, _: ResidentRequest, step: Step) -> list[int]:
    asked = session.get(ExtensionRequest, step.data["extension_id"])
    return [asked.requested_by_id] if asked is not None else []


def _reopened(session: Session, rr: ResidentRequest, _: Step) -> list[int]:
    return [*reach.handlers_of(session, rr), *reach.handlers_at(session, rr.first_unit_id)]


def _replied(session: Session, rr: ResidentRequest, step: Step) -> list[int]:
    """Another unit's reply goes to the first unit, which stays responsible and calls the resident back."""
    if step.actor is None or step.actor.unit_id == rr.first_unit_id:
        return []
    return reach.handlers_at(session, rr.first_unit_id)


HANDOFFS: Mapping[Action, Handoff] = {
    Action.register: Handoff("handoff_register", "居民自报", "新诉求待受理", _self_reported),
    Action.dispatch: Handoff("handoff_dispatch", "派单", "请签收并联系居民", _handlers),
    Action.return_: Handoff("handoff_return", "退单", "诉求已退回，请重新派单", _handlers),
    Action.transfer: Handoff("handoff_transfer", "转办", "请签收办理", _handlers),
    Action.escalate: Handoff("handoff_escalate", "上报", "下级上报，请督办", _escalated_to),
    Action.take_over: Handoff("desk_take_over", "提级接办", "镇街干部已接办", _taken_from),
    Action.supervise: Handoff("desk_supervise", "督办", "督办意见", _handlers),
    Action.whistle: Handoff("desk_whistle", "吹哨报到", "请于 {due} 前报到", _whistled),
    Action.report_in: Handoff("desk_report_in", "部门已报到", "职能部门已报到", _whistler),
    Action.request_extension: Handoff("desk_request_extension", "延期申请", "请审批延期", _desk),
    Action.approve_extension: Handoff("desk_approve_extension", "延期已同意", "反馈期限延至 {due}", _requester),
    Action.deny_extension: Handoff("desk_deny_extension", "延期未同意", "请按原期限反馈", _requester),
    Action.reopen: Handoff("handoff_reopen", "重办", "请重新办理", _reopened),
    Action.reply: Handoff("handoff_reply", "已答复", "承办单位已答复，请回访", _replied),
}


def _body(handoff: Handoff, rr: ResidentRequest, step: Step) -> str:
    due = step.data.get("report_due_at") or step.data.get("to_due_at")
    local = datetime.fromisoformat(due).astimezone(get_settings().tz).strftime("%m月%d日 %H:%M") if due else ""
    detail = step.command.note or rr.description
    return f"{handoff.lead.format(due=local)}：{detail[:_DETAIL_CHARS]}"


def tell(session: Session, rr: ResidentRequest, step: Step) -> int:
    """After the event of `step`: tell the people the hand-off gives the request to (never the one who acted),
    in the inbox now and by push and SMS when quiet hours allow. Returns how many rows were new."""
    handoff = HANDOFFS.get(step.command.action)
    if handoff is None:
        return 0
    me = step.actor.id if step.actor else None
    people = {person for person in handoff.who(session, rr, step) if person != me}
    if not people:
        return 0
    return outbox.enqueue(
        session,
        recipient_ids=people,
        channels=CHANNELS,
        kind=handoff.kind,
        title=f"【{handoff.label}】诉求 {format_case_code(rr.case_code)}",
        body=_body(handoff, rr, step),
        dedupe_key=f"handoff:{rr.id}:{rr.event_count}",
        now=step.now,
        not_before=sla.pocket_after(rr, sla.feedback_policy(session, rr), step.now),
        resident_request_id=rr.id,
    )
