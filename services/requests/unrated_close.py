"""未评价结案: a reply that nobody rated and no callback reached within BANDENG_UNRATED_CLOSE_DAYS is closed by
the system, as its own action (`close_unrated`), so it is counted apart and never as satisfied. Run by the
scheduler; safe to run twice at once (rows claimed with FOR UPDATE SKIP LOCKED, a closed request is no longer
replied) and after downtime (whatever waited too long is found on the next run)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import Action, RequestStatus
from models.resident_request import Callback, Rating, ResidentRequest
from models.resident_request_schemas import ActionCommand
from services.actor import SYSTEM_ROLE
from services.requests import request_actions
from services.requests.step import Step
from services.rules import callbacks as rules

R = ResidentRequest
BATCH = 200


def close_due(session: Session, now: datetime, *, limit: int = BATCH) -> int:
    """Close up to `limit` replies that waited out the days untouched, oldest first; returns how many. Requests
    someone else holds (a person acting, another worker) are skipped and found by the next run."""
    settings = get_settings()
    days = settings.unrated_close_days
    before = rules.unrated_close_before(now, days, settings.tz)
    rated = select(Rating.id).where(Rating.resident_request_id == R.id, Rating.cycle == R.cycle).exists()
    reached = (
        select(Callback.id)
        .where(Callback.resident_request_id == R.id, Callback.cycle == R.cycle, col(Callback.reached))
        .exists()
    )
    due = session.exec(
        select(R)
        .where(R.status == RequestStatus.replied, col(R.replied_at) < before, ~rated, ~reached)
        .order_by(col(R.replied_at), col(R.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    note = f"答复后 {days} 天内居民未评价、回访未接通，按未评价结案"
    for rr in due:
        command = ActionCommand(action=Action.close_unrated, note=note)
        step = Step(command, None, now, {"days": days, "cycle": rr.cycle}, role=SYSTEM_ROLE)
        request_actions.apply(session, rr, step, flush=False)
    session.flush()
    return len(due)
