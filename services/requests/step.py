"""One action in progress: what `request_actions.apply` and the desk's effects read and fill in before the
event is written. Its own module so the actions and the desk's effects both import it, neither the other."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.resident_request_schemas import ActionCommand
from services.actor import Actor


@dataclass
class Step:
    """What one action does to a request, collected before the event is written."""

    command: ActionCommand
    actor: Actor | None
    now: datetime
    data: dict[str, Any] = field(default_factory=dict)
    role: str | None = None  # who wrote the event when there is no actor: the resident (default) or the system
