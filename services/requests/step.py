"""One action in progress: what `request_actions.apply` and the desk's effects read and fill in before the
event is written, and the one way an event joins a request's timeline. Its own module so the actions, the desk's
effects and the residents' notices all import it, none of them another."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from models.enums import RequestStatus
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.resident_request_schemas import ActionCommand
from services.actor import RESIDENT_ROLE, Actor


@dataclass
class Step:
    """What one action does to a request, collected before the event is written."""

    command: ActionCommand
    actor: Actor | None
    now: datetime
    data: dict[str, Any] = field(default_factory=dict)
    role: str | None = None  # who wrote the event when there is no actor: the resident (default) or the system


def append_event(
    session: Session, rr: ResidentRequest, step: Step, before: RequestStatus, *, touch: bool = True
) -> None:
    """The step's event, next in the request's sequence; `touch=False` leaves `updated_at` (nothing changed)."""
    rr.event_count += 1
    if touch:
        rr.updated_at = step.now
    session.add(
        ResidentRequestEvent(
            resident_request_id=rr.id,
            seq=rr.event_count,
            action=step.command.action,
            from_status=before,
            to_status=rr.status,
            actor_id=step.actor.id if step.actor else None,
            actor_role=step.actor.role if step.actor else step.role or RESIDENT_ROLE,
            actor_unit_id=step.actor.unit_id if step.actor else None,
            note=step.command.note,
            data=step.data or None,
            at=step.now,
        )
    )
