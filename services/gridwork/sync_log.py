"""The change log phones pull from: every write a phone should see adds one row, in the same transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from models.grid import SyncChange


def record_change(
    session: Session, *, grid_id: int, entity: str, entity_id: uuid.UUID, version: int, now: datetime
) -> None:
    """Note that `entity` `entity_id` reached `version` in `grid_id`; pulls after this sequence will carry it.
    entity: household / resident / visit / ledger_enrolment."""
    session.add(SyncChange(grid_id=grid_id, entity=entity, entity_id=entity_id, version=version, at=now))
