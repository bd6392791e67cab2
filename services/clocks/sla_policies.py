"""SLA policies for admins: every change is a new version; running timers keep theirs until a re-pin.

Writers of one scope and clock are serialised by locking that scope's rows first (a brand-new category
scope has none: there the unique (scope, clock, version) catches the second writer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from models.enums import DurationUnit, RequestClass, SlaClock
from models.resident_request import Category
from models.sla import SlaPolicy, SlaTimer
from models.sla_schemas import (
    CLOCK_LABELS,
    DURATION_UNIT_LABELS,
    REQUEST_CLASS_LABELS,
    SlaPolicyChange,
    SlaPolicyPublic,
    SlaPolicyRepin,
    SlaRepinResult,
)
from services import audit
from services.actor import Actor
from services.clocks import deadlines
from services.errors import Conflict, Invalid, NotFound
from services.people.org import ensure_admin, unique_or_conflict

# The settings a version carries; two versions with the same terms are the same rule.
TERMS = ("amount", "unit", "warn_percent", "leadership_after_days", "quiet_start", "quiet_end", "pause_statuses")
_CLASS_ORDER = {request_class: i for i, request_class in enumerate(RequestClass)}
_CLOCK_ORDER = {SlaClock.feedback: 0, SlaClock.response: 1}  # the promise to the resident first


def list_policies(session: Session, *, history: bool = False) -> list[SlaPolicyPublic]:
    """The current version of every scope and clock (classes first, then categories); all versions,
    newest first, with history."""
    query = select(SlaPolicy)
    if not history:
        query = query.where(col(SlaPolicy.is_current))
    policies = session.exec(query).all()
    categories = _categories(session, {p.category_id for p in policies if p.category_id is not None})

    def order(p: SlaPolicy) -> tuple[int, int, int, int]:
        if p.category_id is None:
            place = _CLASS_ORDER[RequestClass(str(p.request_class))]
        else:
            found = categories.get(p.category_id or 0)
            place = len(_CLASS_ORDER) + (found.sort_order if found else 0)
        return place, p.category_id or 0, _CLOCK_ORDER[SlaClock(p.clock)], -p.version

    return [public(p, categories) for p in sorted(policies, key=order)]


def get_policy(session: Session, policy_id: int) -> SlaPolicyPublic:
    policy = _policy(session, policy_id)
    return public(policy, _categories(session, {policy.category_id} if policy.category_id else set()))


def change_policy(session: Session, actor: Actor, data: SlaPolicyChange, now: datetime) -> SlaPolicyPublic:
    """A new current version for the scope and clock; the previous one stops being current. No running timer
    moves: each keeps the version it started under."""
    ensure_admin(actor)
    category = _category(session, data.category_id) if data.category_id is not None else None
    scope = f"category:{data.category_id}" if category else f"class:{data.request_class}"
    versions = _versions(session, scope, data.clock)
    previous = next((p for p in versions if p.is_current), None)
    terms = data.model_dump(include=set(TERMS))
    terms["pause_statuses"] = [str(status) for status in data.pause_statuses]
    if previous is not None and _terms(previous) == terms:
        raise Conflict("与当前版本相同，无需新建版本", code="policy_unchanged", detail={"id": previous.id})
    if previous is not None:
        previous.is_current = False
    policy = SlaPolicy(
        scope=scope,
        request_class=None if category else data.request_class,
        category_id=data.category_id,
        clock=data.clock,
        version=max((p.version for p in versions), default=0) + 1,
        is_current=True,
        created_at=now,
        created_by_id=actor.id,
        **terms,
    )
    with unique_or_conflict(session, _changed_meanwhile()):
        session.add(policy)
    audit.record(
        session,
        "sla_policy.change",
        actor=actor,
        target_type="sla_policy",
        target_id=policy.id,
        reason=data.reason,
        detail={"scope": scope, "clock": str(data.clock), "before": _snapshot(previous), "after": _snapshot(policy)},
        now=now,
    )
    return public(policy, {category.id or 0: category} if category else {})


def repin(session: Session, actor: Actor, policy_id: int, data: SlaPolicyRepin, now: datetime) -> SlaRepinResult:
    """Move the live timers of the policy's scope and clock that are pinned to older versions onto this one
    (the current version) and recompute their due times; a preview only counts them."""
    ensure_admin(actor)
    policy = _current(session, policy_id)
    older = select(SlaPolicy.id).where(
        SlaPolicy.scope == policy.scope, SlaPolicy.clock == policy.clock, col(SlaPolicy.version) < policy.version
    )
    stale = col(SlaTimer.policy_id).in_(older)
    if data.preview:
        count = session.exec(select(func.count()).where(stale, col(SlaTimer.met_at).is_(None))).one()
        return SlaRepinResult(preview=True, timers=count, repinned=0, due_moved=0)
    done = deadlines.recount(session, stale, now, pin=policy)
    result = SlaRepinResult(preview=False, timers=done.timers, repinned=done.recounted, due_moved=done.moved)
    audit.record(
        session,
        "sla_policy.repin",
        actor=actor,
        target_type="sla_policy",
        target_id=policy.id,
        reason=data.reason,
        detail={"scope": policy.scope, "clock": str(policy.clock), "version": policy.version, **result.model_dump()},
        now=now,
    )
    return result


def retire(session: Session, actor: Actor, policy_id: int, reason: str, now: datetime) -> SlaPolicyPublic:
    """A category's own policy stops applying to new requests, which fall back to the class's policy;
    running timers stay pinned to it. A class always keeps a current policy."""
    ensure_admin(actor)
    policy = _current(session, policy_id)
    if policy.category_id is None:
        raise Conflict("类别的时限规则不能停用，只能修改", code="class_policy_required")
    policy.is_current = False
    audit.record(
        session,
        "sla_policy.retire",
        actor=actor,
        target_type="sla_policy",
        target_id=policy.id,
        reason=reason,
        detail={"scope": policy.scope, "clock": str(policy.clock), "version": policy.version},
        now=now,
    )
    return public(policy, _categories(session, {policy.category_id}))


def public(policy: SlaPolicy, categories: dict[int, Category]) -> SlaPolicyPublic:
    """A version with the labels people read."""
    unit = DurationUnit(policy.unit)
    if policy.category_id is not None:
        found = categories.get(policy.category_id)
        scope_label = found.name if found else policy.scope
    else:
        scope_label = REQUEST_CLASS_LABELS[RequestClass(str(policy.request_class))]
    unit_label = DURATION_UNIT_LABELS[unit]
    duration = f"{policy.amount} {unit_label}" if unit == DurationUnit.hours else f"{policy.amount} 个{unit_label}"
    return SlaPolicyPublic.model_validate(
        policy,
        update={
            "scope_label": scope_label,
            "clock_label": CLOCK_LABELS[SlaClock(policy.clock)],
            "unit_label": unit_label,
            "duration_label": duration,
        },
    )


def _policy(session: Session, policy_id: int) -> SlaPolicy:
    policy = session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound("时限规则不存在")
    return policy


def _current(session: Session, policy_id: int) -> SlaPolicy:
    """The policy, which must still be its scope's current version (read under the scope's lock)."""
    policy = _policy(session, policy_id)
    _versions(session, policy.scope, SlaClock(policy.clock))
    if not policy.is_current:
        raise Conflict("该版本已不是当前版本", code="policy_not_current", detail={"id": policy.id})
    return policy


def _versions(session: Session, scope: str, clock: SlaClock) -> list[SlaPolicy]:
    """Every version of a scope and clock, read after locking them so that writers take turns."""
    of_scope = (SlaPolicy.scope == scope, SlaPolicy.clock == clock)
    session.exec(select(SlaPolicy.id).where(*of_scope).with_for_update()).all()
    # A new statement: it sees what a writer we waited for committed, and refreshes loaded rows.
    return list(session.exec(select(SlaPolicy).where(*of_scope).execution_options(populate_existing=True)).all())


def _category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None or not category.is_active:
        raise Invalid("请选择有效的诉求分类", field="category_id", code="category_invalid")
    return category


def _categories(session: Session, ids: set[int]) -> dict[int, Category]:
    if not ids:
        return {}
    return {c.id or 0: c for c in session.exec(select(Category).where(col(Category.id).in_(ids))).all()}


def _terms(policy: SlaPolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in TERMS}


def _snapshot(policy: SlaPolicy | None) -> dict[str, Any] | None:
    if policy is None:
        return None
    quiet = {"quiet_start": policy.quiet_start.strftime("%H:%M"), "quiet_end": policy.quiet_end.strftime("%H:%M")}
    return {"id": policy.id, "version": policy.version, **_terms(policy), **quiet}


def _changed_meanwhile() -> Conflict:
    return Conflict("该时限规则刚被他人修改，请刷新后重试", code="policy_changed")
