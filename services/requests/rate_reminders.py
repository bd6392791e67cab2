"""评价提醒: a reply that waited BANDENG_RATE_REMINDER_DAYS with nobody rating it or reaching the resident by a
callback (it is still `replied`: either would have settled it) sends its resident one SMS asking them to rate it.
Run by the scheduler; safe to run twice at once (rows claimed with FOR UPDATE SKIP LOCKED, one message per reply
cycle under its outbox key) and after downtime (every reply still waiting is found on the next run)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import RequestStatus
from models.notification import Notification
from models.resident_request import ResidentRequest
from services.notify import sms
from services.requests import resident_notices

R = ResidentRequest
BATCH = 200

Position = tuple[datetime, uuid.UUID]  # (replied_at, id) of the last reply a batch looked at


@dataclass(frozen=True)
class Batch:
    queued: int
    last: Position | None  # where the next batch starts; None when this one was the last


def remind_due(session: Session, now: datetime, *, after: Position | None = None, limit: int = BATCH) -> Batch:
    """Queue the reminder of up to `limit` replies due one, oldest first, after `after`. Replies whose reporter
    left a landline get none and are passed over by the position; requests someone holds (a person acting,
    another worker) are skipped and found by the next run."""
    N = Notification
    reminded = (
        select(N.id)
        .where(N.resident_request_id == R.id, N.kind == sms.RESIDENT_RATE_REMINDER, N.created_at >= col(R.replied_at))
        .exists()
    )
    query = select(R).where(
        R.status == RequestStatus.replied,
        col(R.replied_at) <= now - timedelta(days=get_settings().rate_reminder_days),
        col(R.reporter_phone_ciphertext).is_not(None),
        ~col(R.reporter_sms_opt_out),
        ~reminded,
    )
    if after is not None:
        replied = col(R.replied_at)
        query = query.where(or_(replied > after[0], and_(replied == after[0], col(R.id) > after[1])))
    due = session.exec(query.order_by(col(R.replied_at), col(R.id)).limit(limit).with_for_update(skip_locked=True))
    rows = list(due.all())
    queued = sum(resident_notices.notify(session, rr, sms.RESIDENT_RATE_REMINDER, now) for rr in rows)
    session.flush()
    last = rows[-1] if len(rows) == limit else None
    return Batch(queued, (last.replied_at, last.id) if last and last.replied_at else None)
