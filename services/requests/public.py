"""What residents do without an account: report, check by case code + last 4 digits, rate."""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import ACTION_LABELS, ROLE_LABELS, STATUS_LABELS, Action, Channel, RequestStatus, Role, UnitKind
from models.org import OrgUnit
from models.public_schemas import (
    PublicReceipt,
    PublicReport,
    PublicStatus,
    PublicUnit,
    RatingInput,
    ResidentCategory,
    ResidentEvent,
    StatusQuery,
)
from models.resident_request import Category, ResidentRequest, ResidentRequestEvent
from models.resident_request_schemas import ResidentRequestCreate
from services.errors import NotFound
from services.people import rate_limit
from services.requests import request_actions, request_views
from services.requests.resident_requests import Registration, register
from services.rules import lifecycle
from services.rules.case_code import format_case_code, normalize_case_code

# Notes written for the resident; every other note is internal.
_PUBLIC_NOTES = frozenset({Action.reply, Action.resolve_on_spot, Action.reject})
_PLACEHOLDER_LAST4 = "\x00\x00\x00\x00"
_MISS = "案件码或电话后 4 位不正确"
_HOUR = 3600
# Once a code's wrong tries are spent, an address that missed this often on it waits for the next hour.
_MISSES_PER_ADDRESS = 3


def units(session: Session) -> list[PublicUnit]:
    rows = session.exec(
        select(OrgUnit)
        .where(col(OrgUnit.kind).in_([UnitKind.village, UnitKind.grid]), col(OrgUnit.is_active))
        .order_by(col(OrgUnit.path))
    ).all()
    return [PublicUnit.model_validate(row.model_dump(warnings=False)) for row in rows]


def categories(session: Session) -> list[ResidentCategory]:
    rows = session.exec(select(Category).where(col(Category.is_active)).order_by(col(Category.sort_order))).all()
    return [ResidentCategory.model_validate(row.model_dump(warnings=False)) for row in rows]


def report(session: Session, body: PublicReport, *, ip: str, now: datetime) -> PublicReceipt:
    """A resident's own report: limited per address, due for feedback like any other request."""
    settings = get_settings()
    rate_limit.hit(session, f"report:{ip}", limit=settings.public_report_limit_per_hour, seconds=3600, now=now)
    data = ResidentRequestCreate(
        channel=Channel.self_report,
        category_id=body.category_id,
        description=body.description,
        location_text=body.location_text,
        unit_id=body.unit_id,
        reporter_name=body.reporter_name,
        reporter_phone=body.phone,
        reporter_sms_opt_out=body.sms_opt_out,
    )
    rr = register(session, Registration(data, None), now=now).resident_request
    return PublicReceipt(
        case_code=format_case_code(rr.case_code),
        status=rr.status,
        status_label=STATUS_LABELS[RequestStatus(rr.status)],
        feedback_due_at=rr.feedback_due_at,
    )


def _heard(session: Session, code: str, ip: str, now: datetime) -> None:
    """Once a code's wrong tries for the hour are spent, an address that missed on it often enough is refused
    before its digits are compared, so guessing cannot go on past the limit; other addresses are heard."""
    spent = (
        rate_limit.used(session, f"code:{code}", seconds=_HOUR, now=now) >= get_settings().public_code_limit_per_hour
    )
    if spent and rate_limit.used(session, f"code:{code}:{ip}", seconds=_HOUR, now=now) >= _MISSES_PER_ADDRESS:
        raise rate_limit.refused(seconds=_HOUR, now=now)


def find(session: Session, query: StatusQuery, *, ip: str, now: datetime) -> ResidentRequest:
    """The request only when code and digits both match; one answer for every kind of miss. Wrong tries count
    per code (and per address); the right digits have a budget of their own, so whoever knows only the code
    cannot lock the resident out of their case."""
    settings = get_settings()
    rate_limit.hit(session, f"ip:{ip}", limit=settings.public_ip_limit_per_minute, seconds=60, now=now)
    code = normalize_case_code(query.case_code)
    if code is None:
        raise NotFound(_MISS, code="not_found")
    _heard(session, code, ip, now)
    rr = session.exec(select(ResidentRequest).where(ResidentRequest.case_code == code)).first()
    stored = rr.reporter_phone_last4 if rr is not None and rr.reporter_phone_last4 else _PLACEHOLDER_LAST4
    if rr is not None and hmac.compare_digest(stored.encode(), query.phone_last4.encode()):
        limit = settings.public_code_right_digits_per_hour
        rate_limit.hit(session, f"code-ok:{code}", limit=limit, seconds=_HOUR, now=now)
        return rr
    rate_limit.add(session, f"code:{code}", seconds=_HOUR, now=now)
    rate_limit.add(session, f"code:{code}:{ip}", seconds=_HOUR, now=now)
    raise NotFound(_MISS, code="not_found")


def _role_label(role: str) -> str:
    return ROLE_LABELS[Role(role)] if role in ROLE_LABELS else "居民"


def _timeline(session: Session, rr: ResidentRequest) -> list[ResidentEvent]:
    rows = session.execute(
        select(ResidentRequestEvent, OrgUnit.name)
        .outerjoin(OrgUnit, OrgUnit.id == ResidentRequestEvent.actor_unit_id)  # type: ignore[arg-type]
        .where(ResidentRequestEvent.resident_request_id == rr.id)
        .where(col(ResidentRequestEvent.action).not_in(lifecycle.INTERNAL_ACTIONS))
        .order_by(col(ResidentRequestEvent.seq))
    ).all()
    return [
        ResidentEvent(
            action=event.action,
            action_label=ACTION_LABELS[Action(event.action)],
            status_label=STATUS_LABELS[RequestStatus(event.to_status)],
            unit_name=unit_name,
            role_label=_role_label(event.actor_role),
            at=event.at,
            note=event.note if event.action in _PUBLIC_NOTES else None,
        )
        for event, unit_name in rows
    ]


def status_of(session: Session, rr: ResidentRequest) -> PublicStatus:
    """The resident's view: statuses, units and roles, the promised date; no staff names or phones."""
    category = session.get(Category, rr.category_id)
    ratings = request_views.ratings_of(session, rr)
    rated_this_cycle = any(r.cycle == rr.cycle for r in ratings)
    ratable = rr.status in (RequestStatus.replied, RequestStatus.closed)
    return PublicStatus(
        case_code=format_case_code(rr.case_code),
        status=rr.status,
        status_label=STATUS_LABELS[RequestStatus(rr.status)],
        category_name=category.name if category else "",
        registered_at=rr.registered_at,
        feedback_due_at=rr.feedback_due_at,
        timeline=_timeline(session, rr),
        can_rate=ratable and not rated_this_cycle,
        ratings=ratings,
    )


def rate(session: Session, body: RatingInput, *, ip: str, now: datetime) -> PublicStatus:
    """Rate after the reply, once per reply; 不满意 sends the request back for another cycle."""
    rr = find(session, body, ip=ip, now=now)
    request_actions.rate(session, rr, body.level, body.comment, now=now)
    return status_of(session, rr)
