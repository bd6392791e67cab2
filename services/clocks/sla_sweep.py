"""The SLA sweep: find the timers whose next stage has come, move them forward once, and tell people.

Safe to run in two processes at once and after any crash: requests are claimed with
`FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has one writer), the stage moves with a compare-and-set,
and notifications go to the outbox under unique keys. After downtime a timer jumps to the highest stage
reached: every stage crossed is on the timeline, only the highest is notified."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, bindparam, func, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from core.db import session_scope
from core.settings import get_settings
from models.base import UTCDateTime
from models.enums import (
    Action,
    NotificationChannel,
    RequestStatus,
    Role,
    SlaClock,
    SlaStage,
    Supervision,
)
from models.org import OrgUnit
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.sla import SlaPolicy, SlaTimer
from models.user import User
from services.actor import SYSTEM_ROLE
from services.clocks import sla
from services.notify import outbox
from services.people import reach
from services.rules import lifecycle
from services.rules import sla as rules
from services.rules.case_code import format_case_code

log = logging.getLogger("bandeng.sla")

STAGE_ACTIONS = {SlaStage.warning: Action.sla_warning, SlaStage.breached: Action.sla_breach}
STAGE_ACTIONS[SlaStage.leadership] = Action.sla_leadership
_CARDS = [Supervision.normal, Supervision.yellow, Supervision.red]


@dataclass
class SweepReport:
    timers: int = 0  # due timers looked at
    advanced: int = 0  # moved to a later stage by this sweep
    events: int = 0
    notifications: int = 0
    batches: int = 0


@dataclass
class _Batch:
    """What one batch looks up once (units and the people to tell in them) and writes once."""

    session: Session
    now: datetime
    report: SweepReport
    policies: dict[int, SlaPolicy] = field(default_factory=dict)
    people: dict[tuple[int, tuple[str, ...]], list[int]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    units: dict[int, OrgUnit | None] = field(default_factory=dict)
    # Written once each, at the end of the batch: one statement per table, not one per item.
    events: list[dict[str, object]] = field(default_factory=list)
    changed: dict[uuid.UUID, ResidentRequest] = field(default_factory=dict)
    outbox: list[dict[str, object]] = field(default_factory=list)

    def change(self, rr: ResidentRequest, **values: object) -> None:
        """Change the request in memory as already written: the batch's one UPDATE writes it, not a flush."""
        for key, value in values.items():
            set_committed_value(rr, key, value)
        self.changed[rr.id] = rr

    def policy(self, policy_id: int) -> SlaPolicy:
        if policy_id not in self.policies:
            found = self.session.get(SlaPolicy, policy_id)
            assert found is not None
            self.policies[policy_id] = found
        return self.policies[policy_id]

    def unit(self, unit_id: int | None) -> OrgUnit | None:
        # A dict, not the identity map: the session holds objects weakly and would select them again.
        if not unit_id:
            return None
        if unit_id not in self.units:
            self.units[unit_id] = self.session.get(OrgUnit, unit_id)
        return self.units[unit_id]

    def town_cadres(self, user_ids: set[int]) -> set[int]:
        unknown = user_ids - set(self.roles)
        if unknown:
            rows = self.session.exec(select(User.id, User.role).where(col(User.id).in_(unknown))).all()
            self.roles.update({user_id: str(role) for user_id, role in rows if user_id is not None})
        return {user_id for user_id in user_ids if self.roles.get(user_id) == Role.town_cadre}

    def team(self, village_id: int) -> list[int]:
        """The village's stationed team (the stationed cadre and stationed members with accounts)."""
        key = (village_id, ("stationed",))
        if key not in self.people:
            self.people[key] = reach.stationed_at(self.session, village_id)
        return self.people[key]

    def users(self, unit_id: int, roles: tuple[Role, ...]) -> list[int]:
        key = (unit_id, roles)
        if key not in self.people:
            self.people[key] = reach.unit_people(self.session, unit_id, roles)
        return self.people[key]


SessionScope = Callable[[], AbstractContextManager[Session]]


def sweep(
    now: datetime, engine: Engine | None = None, batch: int = 500, scope: SessionScope | None = None
) -> SweepReport:
    """Process every timer due at `now`, one transaction per batch (`scope` opens one; by default a new
    session on `engine` that commits)."""
    report = SweepReport()
    open_scope = scope or (lambda: session_scope(engine))
    while True:
        with open_scope() as session:
            claimed, processed = _sweep_batch(_Batch(session, now, report), batch)
        report.batches += 1
        if claimed < batch or processed == 0:
            break
    if report.advanced:
        log.info("SLA sweep: %d timers moved on, %d notifications queued", report.advanced, report.notifications)
    return report


def _sweep_batch(ctx: _Batch, size: int) -> tuple[int, int]:
    session, now = ctx.session, ctx.now
    due = session.exec(
        select(SlaTimer.id, SlaTimer.resident_request_id)
        .where(col(SlaTimer.next_action_at) <= now)
        .order_by(col(SlaTimer.next_action_at))
        .limit(size)
    ).all()
    if not due:
        return 0, 0
    # Lock the requests first, as request actions do, so a sweep and a person never deadlock.
    requests = {
        rr.id: rr
        for rr in session.exec(
            select(ResidentRequest)
            .where(col(ResidentRequest.id).in_({rr_id for _, rr_id in due}))
            .order_by(col(ResidentRequest.id))
            .with_for_update(skip_locked=True)
        ).all()
    }
    timers = session.exec(
        select(SlaTimer)
        .where(col(SlaTimer.id).in_([timer_id for timer_id, _ in due]))
        .where(col(SlaTimer.resident_request_id).in_(list(requests)))
        .where(col(SlaTimer.next_action_at) <= now)  # read again under the lock: a person may have met it
        .order_by(col(SlaTimer.next_action_at))
    ).all()
    for move in _move_stages(session, [_plan(ctx, timer) for timer in timers], now):
        _advance(ctx, requests[move.timer.resident_request_id], move)
    _write(ctx)
    ctx.report.timers += len(timers)
    return len(due), len(timers)


_TIMERS = SlaTimer.__table__  # type: ignore[attr-defined]
# Compare-and-set: the stage moves only from the stage this sweep read. Built once; run on the connection
# (no ORM bookkeeping per row).
_MOVE_STAGE = (
    update(_TIMERS)
    .where(_TIMERS.c.id == bindparam("timer_id"), _TIMERS.c.stage == bindparam("old_stage"))
    .values(
        stage=bindparam("new_stage"),
        next_action_at=bindparam("next_at", type_=UTCDateTime()),
        breached_at=func.coalesce(_TIMERS.c.breached_at, bindparam("breached", type_=UTCDateTime())),
        updated_at=bindparam("now", type_=UTCDateTime()),
    )
)


@dataclass
class _Move:
    """One due timer: the stage it was read at, the highest stage reached, and when to look at it again."""

    timer: SlaTimer
    policy: SlaPolicy
    current: SlaStage
    target: SlaStage
    next_at: datetime | None


def _plan(ctx: _Batch, timer: SlaTimer) -> _Move:
    policy = ctx.policy(timer.policy_id)
    current = SlaStage(timer.stage)
    steps = sla.steps(timer, policy)
    target = rules.reached(steps, ctx.now, current)
    return _Move(timer, policy, current, target, rules.next_action(steps, target))


def _move_stages(session: Session, moves: list[_Move], now: datetime) -> list[_Move]:
    """The moves whose compare-and-set took, all tried in one executemany. Under the request locks every one
    takes; should one not (another writer moved that timer), undo them and try them one at a time."""
    if not moves:
        return []
    rows = [
        {"timer_id": move.timer.id, "old_stage": move.current, "new_stage": move.target, "next_at": move.next_at}
        | {"breached": now if move.target >= SlaStage.breached else None, "now": now}
        for move in moves
    ]
    connection = session.connection()
    savepoint = connection.begin_nested()
    if connection.execute(_MOVE_STAGE, rows).rowcount == len(rows):
        savepoint.commit()
        return moves
    savepoint.rollback()
    return [move for move, row in zip(moves, rows, strict=True) if connection.execute(_MOVE_STAGE, row).rowcount == 1]


def _advance(ctx: _Batch, rr: ResidentRequest, move: _Move) -> None:
    timer, current, target = move.timer, move.current, move.target
    # The row is already written; keep the loaded object in step without a second UPDATE or a reload.
    set_committed_value(timer, "stage", target)
    set_committed_value(timer, "next_action_at", move.next_at)
    if target == current:
        return  # nothing to do but look again later
    ctx.report.advanced += 1
    clock = SlaClock(timer.clock)
    for stage in (s for s in SlaStage if current < s <= target):
        _mark(ctx, rr, clock, stage, timer)
    _notify(ctx, rr, clock, target, timer, move.policy)


_REQUESTS = ResidentRequest.__table__  # type: ignore[attr-defined]
_CHANGED = ("status", "supervision", "escalated_to_unit_id", "event_count", "updated_at")  # all a sweep changes
_UPDATE_REQUEST = (
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("request_id"))
    .values({name: bindparam(name, type_=_REQUESTS.c[name].type) for name in _CHANGED})
)
_INSERT_EVENT = insert(ResidentRequestEvent.__table__)  # type: ignore[attr-defined]


def _write(ctx: _Batch) -> None:
    """The batch's request changes, events and notifications: one executemany each, nothing read back."""
    connection = ctx.session.connection()
    if ctx.changed:
        rows = [{"request_id": rr.id} | {name: getattr(rr, name) for name in _CHANGED} for rr in ctx.changed.values()]
        connection.execute(_UPDATE_REQUEST, rows)
    if ctx.events:
        connection.execute(_INSERT_EVENT, ctx.events)
    ctx.report.notifications += outbox.insert_rows(ctx.session, ctx.outbox)


def _mark(ctx: _Batch, rr: ResidentRequest, clock: SlaClock, stage: SlaStage, timer: SlaTimer) -> None:
    """The stage on the request: a card for the feedback clock, escalation on breach, an event always."""
    data: dict[str, object] = {"clock": str(clock), "cycle": timer.cycle, "due_at": timer.due_at.isoformat()}
    if clock == SlaClock.feedback:
        card = Supervision.yellow if stage == SlaStage.warning else Supervision.red
        if _CARDS.index(card) > _CARDS.index(Supervision(rr.supervision)):
            ctx.change(rr, supervision=card)
        if stage >= SlaStage.breached:
            level = reach.breach_escalation(ctx.session, rr, stage, ctx.unit)
            if level is not None and level.id is not None:
                ctx.change(rr, escalated_to_unit_id=level.id)
                data["to_unit_id"] = level.id
    action = STAGE_ACTIONS[stage]
    if (rr.status, action) not in lifecycle.TRANSITIONS:
        return
    _append_event(ctx, rr, action, _NOTES[(clock, stage)], data)
    ctx.report.events += 1


def _append_event(ctx: _Batch, rr: ResidentRequest, action: Action, note: str, data: dict[str, object]) -> None:
    """What `request_actions.apply` does for a sweep action (no effects; the sweep keeps the clocks), with the
    event as a row of the batch's one INSERT instead of an ORM object each."""
    before = RequestStatus(rr.status)
    after = lifecycle.transition(before, action)
    ctx.change(rr, status=after, event_count=rr.event_count + 1, updated_at=ctx.now)
    ctx.events.append(
        {
            "resident_request_id": rr.id,
            "seq": rr.event_count,
            "action": action,
            "from_status": before,
            "to_status": after,
            "actor_role": SYSTEM_ROLE,
            "note": note,
            "data": data,
            "at": ctx.now,
        }
    )


_NOTES = {
    (SlaClock.feedback, SlaStage.warning): "反馈期限将到，亮黄牌提醒承办人",
    (SlaClock.feedback, SlaStage.breached): "已超过反馈期限，亮红牌并提级督办",
    (SlaClock.feedback, SlaStage.leadership): "超期未反馈，升级至镇街领导督办",
    (SlaClock.response, SlaStage.warning): "签收和首次联系期限将到",
    (SlaClock.response, SlaStage.breached): "未按时签收并联系居民",
}


def _notify(
    ctx: _Batch, rr: ResidentRequest, clock: SlaClock, stage: SlaStage, timer: SlaTimer, policy: SlaPolicy
) -> None:
    """Tell the people of the highest stage reached: the handler always, the next level on breach.
    Town cadres get the item in their inbox and in one daily digest, not a message each."""
    handlers = reach.handlers_of(ctx.session, rr, ctx.users)
    upper: list[int] = []
    if clock == SlaClock.feedback and stage >= SlaStage.breached:
        level = reach.breach_escalation(ctx.session, rr, stage, ctx.unit)
        if level is not None and level.id is not None:
            leadership = stage == SlaStage.leadership
            upper = reach.answerable_at(
                ctx.session, rr, level, leadership=leadership, people=ctx.users, unit=ctx.unit, team=ctx.team
            )
    everyone = set(handlers) | set(upper)
    cadres = ctx.town_cadres(everyone)
    settings = get_settings()
    label = rules_label(clock, stage)
    due_local = timer.due_at.astimezone(settings.tz).strftime("%m月%d日 %H:%M")
    title = f"【{label}】诉求 {format_case_code(rr.case_code)}"
    body = f"{_NOTES[(clock, stage)]}。期限：{due_local}。{rr.description[:60]}"
    quiet = sla.pocket_after(rr, policy, ctx.now)
    pocket = [NotificationChannel.push] + ([NotificationChannel.sms] if stage >= SlaStage.breached else [])
    plan = [
        (everyone, [NotificationChannel.inbox]),
        (everyone - cadres, pocket),
        (everyone & cadres, [NotificationChannel.digest]),
    ]
    for recipients, channels in plan:
        ctx.outbox += outbox.rows_for(
            recipient_ids=recipients,
            channels=channels,
            kind=f"sla_{stage.name}",
            title=title,
            body=body,
            dedupe_key=f"sla:{timer.id}:{int(stage)}",
            now=ctx.now,
            not_before=quiet,
            resident_request_id=rr.id,
        )


def rules_label(clock: SlaClock, stage: SlaStage) -> str:
    if clock == SlaClock.response:
        return "签收提醒" if stage == SlaStage.warning else "签收超时"
    return {SlaStage.warning: "黄牌预警", SlaStage.breached: "红牌超期", SlaStage.leadership: "升级督办"}[stage]
