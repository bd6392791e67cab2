"""Whistles not answered in time (吹哨超时未报到): marked once, written on the request's timeline by the
system, and told to the cadre who whistled and to the department. Runs every minute from the scheduler."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from models.enums import Action, NotificationChannel
from models.org import OrgUnit
from models.resident_request import ResidentRequest, Whistle
from models.resident_request_schemas import ActionCommand
from services.actor import SYSTEM_ROLE
from services.clocks import sla
from services.notify import outbox
from services.people import reach
from services.requests import desk, request_actions
from services.requests.step import Step
from services.rules.case_code import format_case_code

log = logging.getLogger(__name__)
_WHISTLES = Whistle.__table__  # type: ignore[attr-defined]


def flag_unanswered(session: Session, now: datetime, *, limit: int = 200) -> int:
    """Mark whistles past their report deadline; each is flagged once, whoever else runs at the same time."""
    due = session.exec(
        select(Whistle)
        .where(col(Whistle.reported_at).is_(None), col(Whistle.overdue_at).is_(None))
        .where(col(Whistle.report_due_at) <= now)
        .order_by(col(Whistle.report_due_at))
        .limit(limit)
    ).all()
    flagged = 0
    for whistle in due:
        # The request first, as every action locks it; a request someone is acting on waits for the next run.
        rr = session.exec(
            select(ResidentRequest)
            .where(ResidentRequest.id == whistle.resident_request_id)
            .with_for_update(skip_locked=True)
        ).first()
        if rr is None:
            continue
        claimed = session.execute(
            update(_WHISTLES)
            .where(_WHISTLES.c.id == whistle.id, _WHISTLES.c.overdue_at.is_(None), _WHISTLES.c.reported_at.is_(None))
            .values(overdue_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        department = session.get(OrgUnit, whistle.department_id)
        name = department.name if department else "职能部门"
        if rr.status in desk.OPEN:
            command = ActionCommand(action=Action.whistle_overdue, note=f"{name}未在期限内报到")
            step = Step(command, None, now, {"whistle_id": whistle.id}, role=SYSTEM_ROLE)
            request_actions.apply(session, rr, step)
        outbox.enqueue(
            session,
            recipient_ids={whistle.whistled_by_id, *reach.handlers_at(session, whistle.department_id)},
            channels=(NotificationChannel.inbox, NotificationChannel.push),
            kind="whistle_overdue",
            title=f"【吹哨超时】诉求 {format_case_code(rr.case_code)}",
            body=f"{name}未在期限内报到，请尽快报到。",
            dedupe_key=f"whistle-overdue:{whistle.id}",
            now=now,
            not_before=sla.pocket_after(rr, sla.feedback_policy(session, rr), now),
            resident_request_id=rr.id,
        )
        flagged += 1
    if flagged:
        log.info("Whistles: %d not answered in time", flagged)
    return flagged
