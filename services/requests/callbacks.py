"""回访 (callbacks), as 12345 does them: after a reply, staff of the first unit (or above it) call the resident,
record whether they got through, whether it is solved and how satisfied the resident is. Each attempt is a row
and an event on the timeline; a reached one settles the cycle as a rating does, unless the resident rated it
themselves. The 待回访 list is what is still waiting for a callback that reaches someone."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.crypto import mask_last4
from models.callback_schemas import CallbackCreate, CallbackDue, CallbackDuePage
from models.enums import (
    RATING_LEVEL_LABELS,
    RESOLUTION_LABELS,
    STATUS_LABELS,
    Action,
    RatingLevel,
    RequestStatus,
    Resolution,
    SatisfactionSource,
)
from models.org import OrgUnit
from models.resident_request import Callback, Category, Rating, ResidentRequest
from models.resident_request_schemas import ActionCommand, CallbackPublic
from models.user import User
from services import audit, keyset
from services.actor import Actor
from services.errors import Conflict, DomainError, Invalid, InvalidTransition, PermissionDenied
from services.people.visibility import readable_requests, subtree_ids
from services.requests import request_actions
from services.requests.step import Step
from services.rules import callbacks as rules
from services.rules import lifecycle

R = ResidentRequest
ANSWERED = (RequestStatus.replied, RequestStatus.closed)


def callable_by(actor: Actor) -> ColumnElement[bool]:
    """Requests this actor may call back: first received in their subtree (the first unit's own staff, its
    village, the town's callback desk), for the calling roles; nobody else."""
    if actor.role not in rules.CALLERS or not actor.unit_path:
        return false()
    return col(R.first_unit_id).in_(subtree_ids(actor))


def record(session: Session, rr: ResidentRequest, body: CallbackCreate, *, actor: Actor, now: datetime) -> Callback:
    """One attempt on the current cycle, once it is answered, until one reaches the resident. A reached one
    settles the cycle (不满意 reopens it, otherwise a replied request closes), unless the resident rated it
    themselves: their own word counts. Audited: a satisfaction recorded on someone's behalf counts in 满意率."""
    request_actions.lock(session, rr)
    refused = refusal(session, rr, actor)
    if refused is not None:
        raise refused
    problem = rules.outcome_problem(body.reached, body.resolution, body.satisfaction)
    if problem is not None:
        raise Invalid(problem[1], field=problem[0], code="callback_outcome_invalid")
    earlier = session.exec(select(Callback).where(Callback.resident_request_id == rr.id, Callback.cycle == rr.cycle))
    attempts = list(earlier.all())
    rated = session.exec(select(Rating.id).where(Rating.resident_request_id == rr.id, Rating.cycle == rr.cycle))
    source = rules.counting_source(rated.first() is not None, body.reached)
    callback = Callback(
        resident_request_id=rr.id,
        cycle=rr.cycle,
        attempt=len(attempts) + 1,
        **body.model_dump(include={"reached", "resolution", "satisfaction", "note"}),
        called_by_id=actor.id,
        called_unit_id=actor.unit_id,
        called_at=now,
    )
    session.add(callback)
    data = _event_data(callback, counts=source == SatisfactionSource.callback)
    request_actions.apply(session, rr, Step(ActionCommand(action=Action.callback, note=body.note), actor, now, data))
    if source == SatisfactionSource.callback and body.satisfaction is not None:
        request_actions.settle(session, rr, body.satisfaction, now=now, actor=actor, by_callback=True)
    audit.record(
        session, "request.callback", actor=actor, target_type="resident_request", target_id=rr.id, detail=data, now=now
    )
    return callback


def refusal(session: Session, rr: ResidentRequest, actor: Actor) -> DomainError | None:
    """Why this actor may not record a callback on the request now, or None when they may: a caller within
    reach, a cycle answered, and no callback of this cycle that reached the resident. `record` raises it; the
    request's detail offers 回访 only when there is none."""
    if session.exec(select(R.id).where(R.id == rr.id, callable_by(actor))).first() is None:
        return PermissionDenied("只有首接单位及其上级单位的工作人员可以回访", code="not_caller")
    if (RequestStatus(rr.status), Action.callback) not in lifecycle.TRANSITIONS:
        return InvalidTransition("答复或办结后才能回访", code="not_callable", detail={"status": rr.status})
    reached = select(Callback.id).where(
        Callback.resident_request_id == rr.id, Callback.cycle == rr.cycle, col(Callback.reached)
    )
    if session.exec(reached).first() is not None:
        return Conflict("本轮答复已回访过", code="already_called_back")
    return None


def _event_data(callback: Callback, *, counts: bool) -> dict[str, Any]:
    return {
        "cycle": callback.cycle,
        "attempt": callback.attempt,
        "reached": callback.reached,
        "resolution": callback.resolution and str(callback.resolution),
        "satisfaction": callback.satisfaction and str(callback.satisfaction),
        "counts": counts,
    }


def of_request(session: Session, rr: ResidentRequest) -> list[CallbackPublic]:
    """Every attempt on the request, every cycle, in order; which reached one counts for its cycle."""
    unit = aliased(OrgUnit)
    rows = session.execute(
        select(Callback, User.name, unit.name)
        .outerjoin(User, col(User.id) == Callback.called_by_id)
        .outerjoin(unit, col(unit.id) == Callback.called_unit_id)
        .where(Callback.resident_request_id == rr.id)
        .order_by(col(Callback.cycle), col(Callback.attempt))
    ).all()
    rated = set(session.exec(select(Rating.cycle).where(Rating.resident_request_id == rr.id)).all())
    return [_public(callback, name, unit_name, rated) for callback, name, unit_name in rows]


def _public(callback: Callback, name: str | None, unit_name: str | None, rated: set[int]) -> CallbackPublic:
    source = rules.counting_source(callback.cycle in rated, callback.reached)
    return CallbackPublic.model_validate(
        {
            **callback.model_dump(warnings=False),
            "resolution_label": RESOLUTION_LABELS[Resolution(callback.resolution)] if callback.resolution else None,
            "satisfaction_label": (
                RATING_LEVEL_LABELS[RatingLevel(callback.satisfaction)] if callback.satisfaction else None
            ),
            "counts": source == SatisfactionSource.callback,
            "called_by_name": name,
            "called_unit_name": unit_name,
        }
    )


def _due(actor: Actor, unit_id: int | None) -> Any:
    """Answered in the current cycle (replied, or closed after a reply), in the actor's reach as a caller, and
    no callback of this cycle reached the resident yet."""
    reached = (
        select(Callback.id)
        .where(Callback.resident_request_id == R.id, Callback.cycle == R.cycle, col(Callback.reached))
        .exists()
    )
    query = readable_requests(actor).where(
        callable_by(actor), col(R.status).in_(ANSWERED), col(R.replied_at).is_not(None), ~reached
    )
    if unit_id is not None:
        units = select(OrgUnit.id).where(col(OrgUnit.path).contains(f"/{unit_id}/"))
        query = query.where(col(R.first_unit_id).in_(units))
    return query


def due_page(session: Session, actor: Actor, *, unit_id: int | None, limit: int, cursor: str | None) -> CallbackDuePage:
    """待回访, oldest reply first (the longest wait first), `limit` at a time; the cursor is the last row's
    (replied_at, id)."""
    query = _due(actor, unit_id)
    if cursor:
        query = query.where(keyset.newer_than(col(R.replied_at), col(R.id), cursor))
    rows = session.execute(
        query.add_columns(Category.name, OrgUnit.name)
        .join(Category, col(Category.id) == R.category_id)
        .join(OrgUnit, col(OrgUnit.id) == R.unit_id)
        .order_by(col(R.replied_at), col(R.id))
        .limit(limit + 1)
    ).all()
    page = rows[:limit]
    attempts, ratings = _attempts(session, page), _ratings(session, page)
    items = [_due_item(rr, cat, unit, attempts.get(rr.id), ratings.get(rr.id)) for rr, cat, unit in page]
    last = page[-1][0] if len(rows) > limit else None
    return CallbackDuePage(items=items, next_cursor=keyset.encode(last.replied_at, last.id) if last else None)


def _attempts(session: Session, rows: Iterable[Any]) -> dict[uuid.UUID, tuple[int, datetime]]:
    """Attempts of each request's current cycle (none reached them yet: they are on the list): how many, last."""
    cycles = {rr.id: rr.cycle for rr, *_ in rows}
    found = session.execute(
        select(Callback.resident_request_id, Callback.cycle, func.count(), func.max(Callback.called_at))
        .where(col(Callback.resident_request_id).in_(list(cycles)))
        .group_by(col(Callback.resident_request_id), col(Callback.cycle))
    ).all()
    return {rr_id: (n, last) for rr_id, cycle, n, last in found if cycles[rr_id] == cycle}


def _ratings(session: Session, rows: Iterable[Any]) -> dict[uuid.UUID, RatingLevel]:
    cycles = {rr.id: rr.cycle for rr, *_ in rows}
    found = session.execute(
        select(Rating.resident_request_id, Rating.cycle, Rating.level).where(
            col(Rating.resident_request_id).in_(list(cycles))
        )
    ).all()
    return {rr_id: RatingLevel(level) for rr_id, cycle, level in found if cycles[rr_id] == cycle}


def _due_item(
    rr: ResidentRequest,
    category_name: str,
    unit_name: str,
    attempts: tuple[int, datetime] | None,
    rating: RatingLevel | None,
) -> CallbackDue:
    assert rr.replied_at is not None  # the list holds replies only
    return CallbackDue.model_validate(
        {
            **rr.model_dump(warnings=False),
            "status_label": STATUS_LABELS[RequestStatus(rr.status)],
            "category_name": category_name,
            "unit_name": unit_name,
            "rating": rating,
            "attempts": attempts[0] if attempts else 0,
            "last_attempt_at": attempts[1] if attempts else None,
            "reporter_phone_masked": mask_last4(rr.reporter_phone_last4) if rr.reporter_phone_last4 else None,
            "uncallable": rules.uncallable(rr.reporter_phone_last4),
        }
    )
