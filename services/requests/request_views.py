"""Read models of resident requests: filtered keyset pages, the detail with its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from core.crypto import mask_last4
from models.enums import (
    ACTION_LABELS,
    DESK_REASON_LABELS,
    SLA_STAGE_LABELS,
    STATUS_LABELS,
    Action,
    DeskReason,
    RequestStatus,
    SlaClock,
    SlaStage,
)
from models.org import OrgUnit
from models.resident_request import Category, Rating, ResidentRequest, ResidentRequestEvent
from models.resident_request_schemas import (
    EventPublic,
    RatingPublic,
    ResidentRequestDetail,
    ResidentRequestPage,
    ResidentRequestSummary,
    SlaClockPublic,
)
from models.sla import SlaTimer
from models.user import User
from services import keyset
from services.actor import Actor
from services.people.visibility import readable_requests
from services.requests import callbacks, desk, desk_actions, resident_notices
from services.rules import callbacks as callback_rules
from services.rules.case_code import normalize_case_code
from services.rules.sla import is_overdue


@dataclass(frozen=True)
class RequestFilter:
    status: RequestStatus | None = None
    category_id: int | None = None
    unit_id: int | None = None
    overdue: bool | None = None
    q: str | None = None
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    desk: bool = False  # the town's escalation desk (services/requests/desk.py): what needs a town cadre
    inbox: bool = False  # what the actor's unit has to handle: sent to it, in its hands, whistled


def _overdue_clause(overdue: bool, now: datetime) -> Any:
    late = desk.overdue_clause(now)
    return late if overdue else ~late


def _reasons(actor: Actor, flt: RequestFilter, now: datetime) -> dict[DeskReason, Any]:
    """The desk's and the inbox's reasons asked for by the filter (none for a plain list)."""
    return {
        **(desk.desk_reasons(actor, now) if flt.desk else {}),
        **(desk.inbox_reasons(actor) if flt.inbox else {}),
    }


def _text_clause(q: str) -> Any:
    code = normalize_case_code(q)
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    matches = col(ResidentRequest.description).ilike(f"%{escaped}%", escape="\\")
    return or_(matches, col(ResidentRequest.case_code) == code) if code else matches


def _filtered(actor: Actor, flt: RequestFilter, now: datetime) -> Any:
    query = readable_requests(actor)
    conditions: list[Any] = []
    if flt.status is not None:
        conditions.append(ResidentRequest.status == flt.status)
    if flt.category_id is not None:
        conditions.append(ResidentRequest.category_id == flt.category_id)
    if flt.unit_id is not None:
        units = select(OrgUnit.id).where(col(OrgUnit.path).contains(f"/{flt.unit_id}/"))
        conditions.append(
            or_(col(ResidentRequest.unit_id).in_(units), col(ResidentRequest.handling_unit_id) == flt.unit_id)
        )
    if flt.overdue is not None:
        conditions.append(_overdue_clause(flt.overdue, now))
    if flt.q:
        conditions.append(_text_clause(flt.q))
    reasons = _reasons(actor, flt, now)
    if reasons:
        conditions.append(desk.clause(reasons))
    if flt.registered_from is not None:
        conditions.append(col(ResidentRequest.registered_at) >= flt.registered_from)
    if flt.registered_to is not None:
        conditions.append(col(ResidentRequest.registered_at) < flt.registered_to)
    return query.where(*conditions)


def summary(rr: ResidentRequest, category_name: str, unit_name: str, now: datetime) -> ResidentRequestSummary:
    """The list row of a request: labels resolved, overdue computed, the phone masked."""
    return ResidentRequestSummary.model_validate(_summary_fields(rr, category_name, unit_name, now))


def _summary_fields(rr: ResidentRequest, category_name: str, unit_name: str, now: datetime) -> dict[str, Any]:
    return {
        **rr.model_dump(warnings=False),
        "status_label": STATUS_LABELS[RequestStatus(rr.status)],
        "category_name": category_name,
        "unit_name": unit_name,
        "overdue": rr.status not in desk.FINISHED and is_overdue(rr.feedback_due_at, rr.feedback_met_at, now),
        "reporter_phone_masked": mask_last4(rr.reporter_phone_last4) if rr.reporter_phone_last4 else None,
        "uncallable": callback_rules.uncallable(rr.reporter_phone_last4),
    }


def list_page(
    session: Session, actor: Actor, flt: RequestFilter, *, limit: int, cursor: str | None, now: datetime
) -> ResidentRequestPage:
    """Newest first, `limit` at a time; the cursor is the last row's (registered_at, id)."""
    query = _filtered(actor, flt, now)
    if cursor:
        query = query.where(keyset.older_than(col(ResidentRequest.registered_at), col(ResidentRequest.id), cursor))
    query = (
        query.add_columns(Category.name, OrgUnit.name)
        .join(Category, col(Category.id) == ResidentRequest.category_id)
        .join(OrgUnit, col(OrgUnit.id) == ResidentRequest.unit_id)
        .order_by(col(ResidentRequest.registered_at).desc(), col(ResidentRequest.id).desc())
        .limit(limit + 1)
    )
    rows = session.execute(query).all()
    items = [summary(rr, cat, unit, now) for rr, cat, unit in rows[:limit]]
    reasons = _reasons(actor, flt, now)
    if reasons:
        found = desk.reasons_for(session, (item.id for item in items), reasons)
        for item in items:
            item.reasons = found.get(item.id, [])
            item.reason_labels = [DESK_REASON_LABELS[DeskReason(r)] for r in item.reasons]
    next_cursor = keyset.encode(rows[limit - 1][0].registered_at, rows[limit - 1][0].id) if len(rows) > limit else None
    return ResidentRequestPage(items=items, next_cursor=next_cursor)


def _events(session: Session, rr: ResidentRequest) -> list[EventPublic]:
    actor_unit = aliased(OrgUnit)
    rows = session.execute(
        select(ResidentRequestEvent, User.name, actor_unit.name)
        .outerjoin(User, User.id == ResidentRequestEvent.actor_id)  # type: ignore[arg-type]
        .outerjoin(actor_unit, actor_unit.id == ResidentRequestEvent.actor_unit_id)  # type: ignore[arg-type]
        .where(ResidentRequestEvent.resident_request_id == rr.id)
        .order_by(col(ResidentRequestEvent.seq))
    ).all()
    return [
        EventPublic.model_validate(
            {
                **event.model_dump(warnings=False),
                "action_label": ACTION_LABELS[Action(event.action)],
                "actor_name": name,
                "actor_unit_name": unit_name,
            }
        )
        for event, name, unit_name in rows
    ]


_CLOCK_LABELS = {SlaClock.response: "签收与首次联系", SlaClock.feedback: "向居民反馈"}


def _clocks(session: Session, rr: ResidentRequest) -> list[SlaClockPublic]:
    timers = session.exec(
        select(SlaTimer)
        .where(SlaTimer.resident_request_id == rr.id, SlaTimer.cycle == rr.cycle)
        .order_by(col(SlaTimer.clock).desc())
    ).all()
    return [
        SlaClockPublic.model_validate(
            {
                **timer.model_dump(warnings=False),
                "clock_label": _CLOCK_LABELS[SlaClock(timer.clock)],
                "stage_label": SLA_STAGE_LABELS[SlaStage(timer.stage)],
                "paused": timer.paused_at is not None,
                "extended": timer.extended_at is not None,
            }
        )
        for timer in timers
    ]


def ratings_of(session: Session, rr: ResidentRequest) -> list[RatingPublic]:
    rows = session.exec(select(Rating).where(Rating.resident_request_id == rr.id).order_by(col(Rating.cycle))).all()
    return [RatingPublic.model_validate(r.model_dump(warnings=False)) for r in rows]


def _offered(session: Session, rr: ResidentRequest, actor: Actor, now: datetime) -> list[Action]:
    """What the actor may do now: the desk's usable actions, and 回访 when a callback would be taken (it is
    recorded through POST /requests/{id}/callbacks, not /actions)."""
    usable = desk_actions.usable_actions(session, rr, actor, now)
    return [*usable, Action.callback] if callbacks.refusal(session, rr, actor) is None else usable


def detail(session: Session, rr: ResidentRequest, actor: Actor, now: datetime) -> ResidentRequestDetail:
    """Everything a staff member may see of one request; the phone stays masked."""
    names = dict(
        session.execute(
            select(OrgUnit.id, OrgUnit.name).where(
                col(OrgUnit.id).in_({rr.unit_id, rr.first_unit_id, rr.handling_unit_id})
            )
        ).all()
    )
    category = session.get(Category, rr.category_id)
    return ResidentRequestDetail.model_validate(
        {
            **_summary_fields(rr, category.name if category else "", names.get(rr.unit_id, ""), now),
            "first_unit_name": names.get(rr.first_unit_id, ""),
            "handling_unit_name": names.get(rr.handling_unit_id, ""),
            "allowed_actions": _offered(session, rr, actor, now),
            "sla": _clocks(session, rr),
            "events": _events(session, rr),
            "ratings": ratings_of(session, rr),
            "callbacks": callbacks.of_request(session, rr),
            "resident_messages": resident_notices.messages_of(session, rr),
            **desk.records(session, rr, now),
        }
    )
