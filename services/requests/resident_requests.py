"""Registering resident requests and reading them back (lists, detail, timeline)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col

from core.crypto import get_cipher
from models.enums import Action, RequestStatus, Role, SlaClock, UnitKind
from models.org import OrgUnit
from models.resident_request import Category, ResidentRequest, ResidentRequestEvent
from models.resident_request_schemas import ActionCommand, ResidentRequestCreate
from services.actor import RESIDENT_ROLE, Actor
from services.clocks import sla
from services.errors import Conflict, Invalid, NotFound, PermissionDenied
from services.people import reach
from services.people.visibility import readable_requests
from services.requests import handoffs, resident_notices, routing
from services.requests.step import Step
from services.rules.case_code import new_case_code

_REGISTRARS = frozenset({Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre})
_LOCATION_KINDS = frozenset({UnitKind.grid, UnitKind.village})


@dataclass(frozen=True)
class Registered:
    """The new request with the names its summary shows, so answering needs no more queries."""

    resident_request: ResidentRequest
    category_name: str
    unit_name: str


@dataclass(frozen=True)
class Registration:
    data: ResidentRequestCreate
    actor: Actor | None  # None: a resident reporting through the public endpoint


def _location(session: Session, unit_id: int, actor: Actor | None) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is None or not unit.is_active or unit.kind not in _LOCATION_KINDS:
        raise Invalid("请选择有效的网格或村（社区）", field="unit_id", code="unit_invalid")
    if actor is not None and not reach.within(unit.path, actor.unit_path):
        raise Invalid("只能登记本辖区内的诉求", field="unit_id", code="unit_out_of_scope")
    return unit


def _category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None or not category.is_active:
        raise Invalid("请选择有效的诉求分类", field="category_id", code="category_invalid")
    return category


def _existing(session: Session, request_id: uuid.UUID, actor: Actor | None) -> ResidentRequest:
    """A resent registration from a phone answers the request it already created."""
    existing = session.get(ResidentRequest, request_id)
    assert existing is not None
    if actor is None or existing.created_by_id != actor.id:
        raise Conflict("该编号已被占用", code="id_taken")
    return existing


def register(session: Session, registration: Registration, *, now: datetime) -> Registered:
    """Record a new request: routed by category and place, its feedback clock started under the policy
    of its category (or class); a resident's own report is told to the place at once, and the resident gets
    the case code and the promised date by SMS."""
    data, actor = registration.data, registration.actor
    if actor is not None and actor.role not in _REGISTRARS:
        raise PermissionDenied()
    if data.id is not None and session.get(ResidentRequest, data.id) is not None:
        existing = _existing(session, data.id, actor)
        category, unit = session.get(Category, existing.category_id), session.get(OrgUnit, existing.unit_id)
        return Registered(existing, category.name if category else "", unit.name if unit else "")
    category = _category(session, data.category_id)
    unit = _location(session, data.unit_id, actor)
    village_id = unit.parent_id if unit.kind == UnitKind.grid else unit.id
    assert village_id is not None and unit.id is not None
    routed_to = routing.route(session, category.id or 0, unit)
    feedback_policy = sla.current_policies(session, category.id or 0, category.request_class)[SlaClock.feedback]
    phone = get_cipher().seal_phone(data.reporter_phone) if data.reporter_phone else None
    resident_request = ResidentRequest(
        id=data.id or uuid.uuid4(),
        case_code=new_case_code(),
        channel=data.channel,
        category_id=data.category_id,
        request_class=category.request_class,
        description=data.description,
        location_text=data.location_text,
        reporter_name=data.reporter_name,
        reporter_phone_ciphertext=phone.ciphertext if phone else None,
        reporter_phone_index=phone.blind_index if phone else None,
        reporter_phone_last4=phone.last4 if phone else None,
        reporter_sms_opt_out=data.reporter_sms_opt_out,
        unit_id=unit.id,
        first_unit_id=actor.unit_id if actor else village_id,
        handling_unit_id=routed_to or village_id,
        routed=routed_to is not None,
        status=RequestStatus.registered,
        feedback_due_at=now,  # set by the feedback timer below
        registered_at=now,
        created_by_id=actor.id if actor else None,
        event_count=1,
        updated_at=now,
    )
    session.add(resident_request)
    sla.start(session, resident_request, SlaClock.feedback, feedback_policy, now)
    session.add(
        ResidentRequestEvent(
            resident_request_id=resident_request.id,
            seq=1,
            action=Action.register,
            to_status=RequestStatus.registered,
            actor_id=actor.id if actor else None,
            actor_role=actor.role if actor else RESIDENT_ROLE,
            actor_unit_id=actor.unit_id if actor else None,
            data={
                "channel": str(data.channel),
                "routed": routed_to is not None,
                "handling_unit_id": resident_request.handling_unit_id,
            },
            at=now,
        )
    )
    session.flush()
    registered = Step(ActionCommand(action=Action.register), actor, now)
    handoffs.tell(session, resident_request, registered)
    resident_notices.tell(session, resident_request, registered)
    return Registered(resident_request, category.name, unit.name)


def get_readable(session: Session, actor: Actor, request_id: uuid.UUID) -> ResidentRequest:
    """The request if this actor may read it; NotFound otherwise (never 'forbidden', which would leak it)."""
    found = session.exec(readable_requests(actor).where(col(ResidentRequest.id) == request_id)).first()
    if found is None:
        raise NotFound()
    return found
