"""SLA timers: started, met, paused and moved in the same transaction as the request change.

Each request has at most one timer per clock and cycle. A timer pins the policy version it started
under; `next_action_at` is the next instant the sweep must look at it (NULL once met or paused)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import Action, NotificationChannel, RequestClass, RequestStatus, Role, SlaClock, SlaStage
from models.resident_request import ResidentRequest
from models.sla import SlaPolicy, SlaTimer
from models.user import User
from services.clocks import calendar
from services.errors import Invalid
from services.notify import outbox
from services.rules import sla as rules


def current_policies(session: Session, category_id: int, request_class: RequestClass) -> dict[SlaClock, SlaPolicy]:
    """The policy of each clock for a category: its own if it has one, else its class's (one query)."""
    scopes = (f"category:{category_id}", f"class:{request_class}")
    rows = session.exec(select(SlaPolicy).where(col(SlaPolicy.is_current), col(SlaPolicy.scope).in_(scopes))).all()
    chosen: dict[SlaClock, SlaPolicy] = {}
    for policy in sorted(rows, key=lambda p: p.scope.startswith("category:")):  # the category's last: it wins
        chosen[SlaClock(policy.clock)] = policy
    return chosen


def pocket_after(rr: ResidentRequest, policy: SlaPolicy, now: datetime) -> datetime | None:
    """When a push or SMS about a request may go (None: now): an emergency's at once, any other's after the
    quiet hours of its policy. The inbox never waits. The SLA sweep and the hand-offs both ask here."""
    if rr.request_class == RequestClass.emergency:
        return None
    return rules.quiet_until(now, policy.quiet_start, policy.quiet_end, get_settings().tz)


def feedback_policy(session: Session, rr: ResidentRequest) -> SlaPolicy:
    """The policy of the request's feedback clock in this cycle, else its category's (or class's) current one."""
    pinned = session.exec(
        select(SlaPolicy)
        .join(SlaTimer, col(SlaTimer.policy_id) == SlaPolicy.id)
        .where(SlaTimer.resident_request_id == rr.id, SlaTimer.clock == SlaClock.feedback)
        .where(SlaTimer.cycle == rr.cycle)
    ).first()
    return pinned or current_policies(session, rr.category_id, RequestClass(rr.request_class))[SlaClock.feedback]


def schedule(session: Session, policy: SlaPolicy, started_at: datetime) -> tuple[rules.Due, datetime]:
    """Due and warning instants of a clock started at `started_at` under `policy`."""
    settings = get_settings()
    is_workday = calendar.load(session).is_workday if policy.unit == "working_days" else _no_calendar
    due = rules.due_at(started_at, policy.amount, policy.unit, is_workday=is_workday, tz=settings.tz)
    return due, rules.warn_at(started_at, due.at, policy.warn_percent)


def _no_calendar(_: object) -> bool | None:
    return None


def steps(timer: SlaTimer, policy: SlaPolicy) -> dict[SlaStage, datetime]:
    return dict(rules.thresholds(SlaClock(timer.clock), timer.warn_at, timer.due_at, policy.leadership_after_days))


def place(timer: SlaTimer, policy: SlaPolicy, due: rules.Due, warn: datetime) -> None:
    """Set the timer's due and warning instants and, unless it is met or paused, when to look again."""
    timer.due_at, timer.warn_at, timer.provisional = due.at, warn, due.provisional
    live = timer.met_at is None and timer.paused_at is None
    timer.next_action_at = rules.next_action(steps(timer, policy), SlaStage(timer.stage)) if live else None


def start(session: Session, rr: ResidentRequest, clock: SlaClock, policy: SlaPolicy, now: datetime) -> SlaTimer:
    """A new timer for this request's current cycle."""
    due, warn = schedule(session, policy, now)
    timer = SlaTimer(
        resident_request_id=rr.id,
        clock=clock,
        cycle=rr.cycle,
        policy_id=policy.id or 0,
        started_at=now,
        warn_at=warn,
        due_at=due.at,
        updated_at=now,
    )
    place(timer, policy, due, warn)
    session.add(timer)
    mirror(rr, timer, now)
    if due.provisional:
        alert_calendar_missing(session, due.unknown_years, now)
    return timer


def mirror(rr: ResidentRequest, timer: SlaTimer, now: datetime) -> None:
    """The request carries its current cycle's feedback due time, for the lists and the overdue filters."""
    if timer.clock == SlaClock.feedback and timer.cycle == rr.cycle and rr.feedback_due_at != timer.due_at:
        rr.feedback_due_at, rr.updated_at = timer.due_at, now


def live_timers(session: Session, rr: ResidentRequest) -> list[SlaTimer]:
    return list(
        session.exec(
            select(SlaTimer).where(
                SlaTimer.resident_request_id == rr.id, SlaTimer.cycle == rr.cycle, col(SlaTimer.met_at).is_(None)
            )
        ).all()
    )


def meet(timer: SlaTimer, now: datetime) -> None:
    timer.met_at, timer.next_action_at, timer.updated_at = now, None, now


def alert_calendar_missing(session: Session, years: Iterable[int], now: datetime) -> int:
    """One alert per missing year to every active admin, however many deadlines needed it."""
    admins = session.exec(select(User.id).where(User.role == Role.admin, col(User.is_active))).all()
    written = 0
    for year in sorted(set(years)):
        written += outbox.enqueue(
            session,
            recipient_ids=[admin for admin in admins if admin is not None],
            channels=[NotificationChannel.inbox],
            kind="calendar_missing",
            title=f"{year} 年工作日历尚未导入",
            body=(
                f"{year} 年的节假日和调休安排还没有导入，涉及该年的期限暂按周一至周五计算并标记为临时。"
                "请在国务院办公厅发布通知后导入该年日历。"
            ),
            dedupe_key=f"calendar-missing:{year}",
            now=now,
        )
    return written


def recompute(session: Session, timer: SlaTimer, policy: SlaPolicy, now: datetime) -> bool:
    """Due and warning instants again from the start (plus time paused), e.g. after a calendar import or a
    re-pin. A due time a town cadre set by hand stays. The stage never goes back. True if due_at moved."""
    if timer.extended_at is not None:
        return False
    due, warn = schedule(session, policy, timer.started_at)
    shift = timedelta(seconds=timer.paused_seconds)
    moved = due.at + shift != timer.due_at
    place(timer, policy, rules.Due(due.at + shift, due.provisional, due.unknown_years), warn + shift)
    timer.updated_at = now
    return moved


def follow_status(session: Session, timers: list[SlaTimer], status: RequestStatus, now: datetime) -> None:
    """Pause the live timers whose policy pauses in the request's new status; resume the others."""
    for timer in (t for t in timers if t.met_at is None):
        policy = session.get(SlaPolicy, timer.policy_id)
        assert policy is not None
        pausing = str(status) in policy.pause_statuses
        if pausing and timer.paused_at is None:
            timer.paused_at, timer.next_action_at, timer.updated_at = now, None, now
        elif not pausing and timer.paused_at is not None:
            held = now - timer.paused_at
            timer.paused_seconds += int(held.total_seconds())
            timer.paused_at = None
            place(timer, policy, rules.Due(timer.due_at + held, timer.provisional), timer.warn_at + held)
            timer.updated_at = now


def extend(session: Session, rr: ResidentRequest, new_due: datetime, now: datetime) -> SlaTimer:
    """A town cadre's approved extension (延期): the feedback clock runs to `new_due` instead."""
    timer = next((t for t in live_timers(session, rr) if t.clock == SlaClock.feedback), None)
    if timer is None:
        raise Invalid("该诉求当前没有进行中的反馈期限", field="due_at", code="no_running_clock")
    if new_due <= max(timer.due_at, now):
        raise Invalid("延期后的期限必须晚于原期限", field="due_at", code="due_not_later")
    policy = session.get(SlaPolicy, timer.policy_id)
    assert policy is not None
    timer.extended_at = now
    place(timer, policy, rules.Due(new_due, False), rules.warn_at(timer.started_at, new_due, policy.warn_percent))
    timer.updated_at = now
    mirror(rr, timer, now)
    return timer


SWEEP_ACTIONS = frozenset({Action.sla_warning, Action.sla_breach, Action.sla_leadership, Action.whistle_overdue})
_HANDED_OVER = frozenset({Action.dispatch, Action.transfer})
_ANSWERED = frozenset({Action.reply, Action.resolve_on_spot, Action.reject})


def after_action(session: Session, rr: ResidentRequest, action: Action, before: RequestStatus, now: datetime) -> None:
    """Keep the clocks in step with a request change, in the same transaction.

    Dispatch or transfer starts the response clock (once per cycle: the resident's wait does not restart
    when the request moves on); sign-for plus first contact, or an answer, meets it. An answer meets
    the feedback clock; a reopen starts the next cycle's."""
    timers = live_timers(session, rr)
    clocks = {SlaClock(t.clock) for t in timers}
    needs_response = action in _HANDED_OVER and SlaClock.response not in clocks
    needs_feedback = action == Action.reopen and SlaClock.feedback not in clocks
    if needs_response or needs_feedback:
        policies = current_policies(session, rr.category_id, RequestClass(rr.request_class))
        if needs_response and not _has_timer(session, rr, SlaClock.response):
            timers.append(start(session, rr, SlaClock.response, policies[SlaClock.response], now))
        if needs_feedback:
            timers.append(start(session, rr, SlaClock.feedback, policies[SlaClock.feedback], now))
    responded = rr.signed_at is not None and rr.contacted_at is not None
    met = {SlaClock.response: responded or action in _ANSWERED, SlaClock.feedback: rr.feedback_met_at is not None}
    for timer in timers:
        if met[SlaClock(timer.clock)]:
            meet(timer, now)
    if rr.status != before:
        follow_status(session, timers, RequestStatus(rr.status), now)


def _has_timer(session: Session, rr: ResidentRequest, clock: SlaClock) -> bool:
    """Met timers count too: a request handed on again keeps the response clock it already met."""
    found = session.exec(
        select(SlaTimer.id).where(
            SlaTimer.resident_request_id == rr.id, SlaTimer.clock == clock, SlaTimer.cycle == rr.cycle
        )
    ).first()
    return found is not None
