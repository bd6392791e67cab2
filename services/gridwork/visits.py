"""Recording a visit (走访) with the items raised on it; an item that became a request registers it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.crypto import get_cipher, normalize_phone
from models.enums import Channel
from models.grid import Attachment, Household, Visit, VisitItem
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.resident_request_schemas import ResidentRequestCreate
from models.sync_schemas import AttachmentDeclared, VisitFields, VisitItemFields
from services.actor import Actor
from services.errors import Conflict, Invalid, PermissionDenied
from services.gridwork import attachments, households
from services.gridwork.sync_log import record_change
from services.people.visibility import HOUSEHOLD_READERS
from services.requests import resident_requests

# Roles that work in grids and sync a phone — those who read households; anyone else is refused (fail closed).
SYNC_ROLES = HOUSEHOLD_READERS


def check_grid(session: Session, actor: Actor, grid_id: int) -> OrgUnit:
    """The grid if it is active and in the actor's subtree; PermissionDenied (`forbidden`) otherwise."""
    if actor.role not in SYNC_ROLES or not actor.unit_path:
        raise PermissionDenied("您的角色不能同步网格数据", code="forbidden")
    # A batch names the same few grids again and again: remember them for this session (a strong reference,
    # which the session's identity map does not keep).
    known: dict[tuple[str, int], OrgUnit] = session.info.setdefault("bandeng.scoped_grids", {})
    if (actor.unit_path, grid_id) in known:
        return known[(actor.unit_path, grid_id)]
    try:
        grid = households.grid_in_scope(session, actor, grid_id)
    except Invalid:
        raise PermissionDenied("该网格不在您的辖区内", code="forbidden") from None
    known[(actor.unit_path, grid_id)] = grid
    return grid


def scoped_household(session: Session, actor: Actor, household_id: uuid.UUID) -> Household:
    """The household if its grid is in the actor's subtree; an unknown one is refused the same way."""
    held: dict[uuid.UUID, Household] = session.info.setdefault("bandeng.households", {})
    household = held.get(household_id) or session.get(Household, household_id)
    if household is None:
        raise PermissionDenied("住户不存在或不在您的辖区内", code="forbidden")
    check_grid(session, actor, household.grid_id)
    held[household_id] = household
    return household


class VisitChanged(Conflict):
    """A visit id already recorded, sent again with other content; nothing is written."""

    code = "visit_changed"
    message = "这次走访已按第一次上传的内容记录，改动未保存；如需补充，请另记一次走访"

    def __init__(self, visit: Visit, fields: list[str]) -> None:
        super().__init__(detail=fields)
        self.visit = visit
        self.fields = fields


@dataclass(frozen=True)
class Recorded:
    visit: Visit
    created: bool  # False: this id was recorded before (a replayed create), nothing was written


def record(
    session: Session,
    actor: Actor,
    visit_id: uuid.UUID,
    data: VisitFields,
    attachments: list[AttachmentDeclared],
    *,
    now: datetime,
) -> Recorded:
    """Append a visit: the phone's `visited_at` kept for display, `received_at` the server's now. A visit id
    already recorded by the same person answers that visit (never a second row) when sent as recorded, and
    VisitChanged naming what differs when not: a recorded visit is never edited, nor a change dropped unsaid."""
    existing = session.get(Visit, visit_id)
    if existing is not None:
        if existing.visitor_id != actor.id:
            raise Conflict("该编号已被占用", code="id_taken")
        if changed := _differences(session, actor, existing, data, attachments):
            raise VisitChanged(existing, changed)
        return Recorded(existing, created=False)
    grid_id, location = _place(session, actor, data)
    visit = Visit(
        id=visit_id,
        grid_id=grid_id,
        household_id=data.household_id,
        place_text=data.place_text,
        visitor_id=actor.id,
        notes=data.notes,
        visited_at=data.visited_at,
        received_at=now,
    )
    session.add(visit)
    for item in data.items:
        session.add(_item(session, actor, visit, item, location, now))
    for declared in attachments:
        _declare(session, actor, visit, declared)
    record_change(session, grid_id=grid_id, entity="visit", entity_id=visit_id, version=1, now=now)
    session.flush()
    return Recorded(visit, created=True)


def _differences(
    session: Session, actor: Actor, visit: Visit, data: VisitFields, declared: list[AttachmentDeclared]
) -> list[str]:
    """The fields in which a resent visit differs from the one recorded (instants compared as instants)."""
    sent: dict[str, Any] = {
        "household_id": data.household_id,
        "place_text": data.place_text,
        "notes": data.notes,
        "visited_at": data.visited_at,
        "items": sorted(_sent_item(item) for item in data.items),
        "attachments": sorted((a.attachment_id, a.sha256.lower()) for a in declared),
    }
    if data.household_id is None:
        sent["grid_id"] = data.grid_id or actor.unit_id
    kept = {**visit.model_dump(), "items": _kept_items(session, visit), "attachments": _kept_photos(session, visit)}
    return sorted(name for name, value in sent.items() if value != kept[name])


def _sent_item(item: VisitItemFields) -> tuple[Any, ...]:
    rr = item.resident_request
    request = None
    if rr is not None:
        phone = get_cipher().blind_index(normalize_phone(rr.reporter_phone)) if rr.reporter_phone else None
        request = (rr.category_id, rr.description, phone, rr.reporter_sms_opt_out)
    return (str(item.id), item.kind, item.description, item.outcome, request)


def _kept_items(session: Session, visit: Visit) -> list[tuple[Any, ...]]:
    rows = session.exec(
        select(VisitItem, ResidentRequest)
        .outerjoin(ResidentRequest, col(ResidentRequest.id) == col(VisitItem.resident_request_id))
        .where(col(VisitItem.visit_id) == visit.id)
    ).all()
    kept = []
    for item, rr in rows:
        request = None
        if rr is not None:
            request = (rr.category_id, rr.description, rr.reporter_phone_index, rr.reporter_sms_opt_out)
        kept.append((str(item.id), item.kind, item.description, item.outcome, request))
    return sorted(kept)


def _kept_photos(session: Session, visit: Visit) -> list[tuple[uuid.UUID, str]]:
    rows = session.exec(select(Attachment.id, Attachment.sha256).where(col(Attachment.visit_id) == visit.id)).all()
    return sorted((row[0], row[1]) for row in rows)


def _place(session: Session, actor: Actor, data: VisitFields) -> tuple[int, str | None]:
    if data.household_id is not None:
        household = scoped_household(session, actor, data.household_id)
        return household.grid_id, data.place_text or household.address_text
    if not data.place_text:
        raise Invalid("请选择住户或填写走访地点", field="household_id", code="place_required")
    grid = check_grid(session, actor, data.grid_id or actor.unit_id)
    assert grid.id is not None
    return grid.id, data.place_text


def _item(
    session: Session, actor: Actor, visit: Visit, item: VisitItemFields, location: str | None, now: datetime
) -> VisitItem:
    request_id = None
    if item.outcome == "became_request":
        if item.resident_request is None:
            raise Invalid("转为诉求的事项需填写诉求内容", field="items.resident_request", code="request_required")
        wanted = item.resident_request
        data = ResidentRequestCreate(
            id=wanted.id,
            channel=Channel.visit,
            category_id=wanted.category_id,
            description=wanted.description,
            location_text=location[:200] if location else None,
            unit_id=visit.grid_id,
            reporter_phone=wanted.reporter_phone,
            reporter_sms_opt_out=wanted.reporter_sms_opt_out,
        )
        registered = resident_requests.register(session, resident_requests.Registration(data, actor), now=now)
        request_id = registered.resident_request.id
    return VisitItem(
        id=item.id,
        visit_id=visit.id,
        kind=item.kind,
        description=item.description,
        outcome=item.outcome,
        resident_request_id=request_id,
    )


def _declare(session: Session, actor: Actor, visit: Visit, declared: AttachmentDeclared) -> None:
    """An expected photo slot; the upload fills it later — or already did (photo first, record second)."""
    attachments.declare(session, actor, visit, declared.attachment_id, declared.sha256, declared.mime, declared.bytes)
