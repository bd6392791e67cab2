"""What needs someone, as queries: the town's escalation desk (督办台) for town cadres, and the inbox of a
handling unit (a department's 待办). Each reason is one SQL condition, so the list filter, the per-row
reasons and the "is this request on the desk" check are the same piece of logic."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from models.enums import EXTENSION_STATE_LABELS, DeskReason, ExtensionState, RequestStatus, Supervision
from models.org import OrgUnit
from models.resident_request import ExtensionRequest, ResidentRequest, Transfer, Whistle
from models.resident_request_schemas import ExtensionRequestPublic, TransferPublic, WhistlePublic
from services.actor import Actor

R = ResidentRequest
OPEN = (RequestStatus.registered, RequestStatus.accepted, RequestStatus.dispatched, RequestStatus.in_progress)
FINISHED = (RequestStatus.closed, RequestStatus.not_accepted)


def overdue_clause(now: datetime) -> Any:
    return and_(
        col(R.feedback_met_at).is_(None),
        col(R.feedback_due_at) < now,
        col(R.status).not_in(FINISHED),
    )


def desk_reasons(actor: Actor, now: datetime) -> dict[DeskReason, Any]:
    """The town desk: escalated to the reader's unit, red cards, overdue, extension requests waiting for a
    decision, requests given back to the reader's unit, whistles not answered in time."""
    pending = select(ExtensionRequest.resident_request_id).where(ExtensionRequest.state == ExtensionState.pending)
    unanswered = select(Whistle.resident_request_id).where(
        col(Whistle.reported_at).is_(None),
        or_(col(Whistle.report_due_at) < now, col(Whistle.overdue_at).is_not(None)),
    )
    return {
        DeskReason.escalated: col(R.escalated_to_unit_id) == actor.unit_id,
        DeskReason.red_card: col(R.supervision) == Supervision.red,
        DeskReason.overdue: overdue_clause(now),
        DeskReason.extension_requested: col(R.id).in_(pending),
        DeskReason.returned: and_(col(R.handling_unit_id) == actor.unit_id, col(R.status) == RequestStatus.accepted),
        DeskReason.whistle_unanswered: col(R.id).in_(unanswered),
    }


def inbox_reasons(actor: Actor) -> dict[DeskReason, Any]:
    """A handling unit's own list: sent to it and not signed for, in its hands, or its department whistled."""
    mine = col(R.handling_unit_id) == actor.unit_id
    whistled = select(Whistle.resident_request_id).where(
        Whistle.department_id == actor.unit_id, col(Whistle.reported_at).is_(None)
    )
    return {
        DeskReason.to_sign: and_(mine, col(R.signed_at).is_(None), col(R.status) == RequestStatus.dispatched),
        DeskReason.handling: and_(mine, or_(col(R.signed_at).is_not(None), col(R.status) != RequestStatus.dispatched)),
        DeskReason.whistled: col(R.id).in_(whistled),
    }


def clause(reasons: dict[DeskReason, Any]) -> Any:
    """Open requests meeting any of the reasons."""
    return and_(col(R.status).in_(OPEN), or_(*reasons.values()))


def reasons_for(
    session: Session, ids: Iterable[uuid.UUID], reasons: dict[DeskReason, Any]
) -> dict[uuid.UUID, list[str]]:
    """Which reasons hold for each of these requests, in the vocabulary's order — one query."""
    wanted = list(ids)
    if not wanted:
        return {}
    names = list(reasons)
    columns = [condition.label(f"r{i}") for i, condition in enumerate(reasons.values())]
    rows = session.execute(select(col(R.id), *columns).where(col(R.id).in_(wanted))).all()
    return {row[0]: [str(names[i]) for i in range(len(names)) if row[i + 1]] for row in rows}


def on_desk(session: Session, rr: ResidentRequest, actor: Actor, now: datetime) -> bool:
    found = session.exec(select(R.id).where(R.id == rr.id, clause(desk_reasons(actor, now)))).first()
    return found is not None


def records(session: Session, rr: ResidentRequest, now: datetime) -> dict[str, list[Any]]:
    """The desk's paper trail on one request: transfers, whistles and extension requests, oldest first."""
    transfers = session.execute(
        select(Transfer, OrgUnit.name)
        .join(OrgUnit, col(OrgUnit.id) == Transfer.department_id)
        .where(Transfer.resident_request_id == rr.id)
        .order_by(col(Transfer.at), col(Transfer.id))
    ).all()
    whistles = session.execute(
        select(Whistle, OrgUnit.name)
        .join(OrgUnit, col(OrgUnit.id) == Whistle.department_id)
        .where(Whistle.resident_request_id == rr.id)
        .order_by(col(Whistle.at), col(Whistle.id))
    ).all()
    extensions = session.exec(
        select(ExtensionRequest)
        .where(ExtensionRequest.resident_request_id == rr.id)
        .order_by(col(ExtensionRequest.at), col(ExtensionRequest.id))
    ).all()
    return {
        "transfers": [
            TransferPublic.model_validate(t.model_dump(warnings=False) | {"department_name": name})
            for t, name in transfers
        ],
        "whistles": [
            WhistlePublic.model_validate(
                w.model_dump(warnings=False)
                | {
                    "department_name": name,
                    "late": w.overdue_at is not None or (w.reported_at or now) > w.report_due_at,
                }
            )
            for w, name in whistles
        ],
        "extension_requests": [
            ExtensionRequestPublic.model_validate(
                e.model_dump(warnings=False) | {"state_label": EXTENSION_STATE_LABELS[ExtensionState(e.state)]}
            )
            for e in extensions
        ],
    }
