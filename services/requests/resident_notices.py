"""Residents hear from us by SMS: when their request is registered (the case code, the promised date, how to check),
answered (the kind of answer and a line of the result, how to rate) and reopened (the new date), and once when a
reply waits unrated (`rate_reminders`). Only to a reporter who gave a mobile and did not tick 居民不接收短信; after
quiet hours like every SMS (`sla.pocket_after`: an emergency never waits). The words are `sms.TEMPLATES`.

Each message is one outbox row keyed by the request, its cycle and its kind, so a retried action, two workers or
a second reminder run cannot queue it twice. Queuing it, in the transaction of the change, writes a
`resident_notified` event with the text and the masked number, so staff see on the timeline what the resident
was told and when. Sending comes later, in the delivery job, which holds no request lock and does not write the
timeline: the request's detail shows each message's delivery from its outbox row (`messages_of`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from core.crypto import mask_phone
from core.settings import get_settings
from models.enums import (
    CLOSURE_TYPE_LABELS,
    Action,
    ClosureType,
    NotificationChannel,
    NotificationStatus,
    RequestStatus,
)
from models.notification import Notification
from models.resident_request import ResidentRequest
from models.resident_request_schemas import ActionCommand, ResidentMessagePublic
from services.actor import SYSTEM_ROLE
from services.clocks import sla
from services.notify import outbox, residents, sms
from services.requests.step import Step, append_event
from services.rules.case_code import format_case_code

# The actions the resident hears of; the reminder to rate is the scheduler's (`rate_reminders`).
KINDS: Mapping[Action, str] = {
    Action.register: sms.RESIDENT_REGISTERED,
    Action.reply: sms.RESIDENT_REPLIED,
    Action.reopen: sms.RESIDENT_REOPENED,
}


def tell(session: Session, rr: ResidentRequest, step: Step) -> int:
    """After the event of `step`: the resident's message of that action, if it has one (a reply's note is the
    result). Returns how many messages were new."""
    kind = KINDS.get(step.command.action)
    return notify(session, rr, kind, step.now, result=step.command.note or "") if kind else 0


def notify(session: Session, rr: ResidentRequest, kind: str, now: datetime, *, result: str = "") -> int:
    """Queue the resident's `kind` message of the current cycle and put it on the timeline, once; nothing for a
    reporter without a mobile or who opted out. Returns 1 when it is new, else 0."""
    phone = residents.mobile(rr.reporter_phone_ciphertext, rr.reporter_sms_opt_out)
    if phone is None:
        return 0
    settings = get_settings()
    values = _values(rr, result, settings.tz)
    params = sms.fill(kind, values, sign=settings.sms_sign_name, param_max=settings.sms_param_max_chars)
    text = sms.TEMPLATES[kind].text.format(**params)
    row = residents.row(
        resident_request_id=rr.id,
        kind=kind,
        text=text,
        params=params,
        dedupe_key=f"resident:{rr.id}:{rr.cycle}:{kind}",
        now=now,
        not_before=sla.pocket_after(rr, sla.feedback_policy(session, rr), now),
    )
    if not outbox.insert_rows(session, [row]):
        return 0
    _on_timeline(session, rr, kind, text, mask_phone(phone), now)
    return 1


def _values(rr: ResidentRequest, result: str, tz: ZoneInfo) -> dict[str, str]:
    closure = ClosureType(rr.closure_type) if rr.closure_type else None
    return {
        "code": format_case_code(rr.case_code),
        "due": promised(rr.feedback_due_at, tz),
        "closure": CLOSURE_TYPE_LABELS[closure] if closure else "",
        "result": first_line(result),
        "replied": day(rr.replied_at, tz) if rr.replied_at else "",
    }


def day(at: datetime, tz: ZoneInfo) -> str:
    """A local day as a resident reads it: 12月31日."""
    local = at.astimezone(tz)
    return f"{local.month}月{local.day}日"


def promised(at: datetime, tz: ZoneInfo) -> str:
    """The promised feedback time: its day when the promise runs to the end of a day (days-long policies), with
    the time when it does not (hours-long ones: 12月31日18:00)."""
    local = at.astimezone(tz)
    return day(at, tz) if local.time() >= time(23, 59) else f"{day(at, tz)}{local:%H:%M}"


def first_line(text: str) -> str:
    """The first line that says something: a reply's result in one line."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _on_timeline(session: Session, rr: ResidentRequest, kind: str, text: str, masked: str, now: datetime) -> None:
    """What the resident was told, on the staff timeline; the request itself did not change."""
    data = {"kind": kind, "label": sms.RESIDENT_LABELS[kind], "to": masked}
    step = Step(ActionCommand(action=Action.resident_notified, note=text), None, now, data, role=SYSTEM_ROLE)
    append_event(session, rr, step, RequestStatus(rr.status), touch=False)


def messages_of(session: Session, rr: ResidentRequest) -> list[ResidentMessagePublic]:
    """Every message to the request's resident, oldest first, with its delivery: waiting (and until when),
    sent, or failed and why (errors carry the number masked)."""
    rows = session.exec(
        select(Notification)
        .where(Notification.resident_request_id == rr.id)
        .where(col(Notification.channel) == NotificationChannel.resident_sms)
        .order_by(col(Notification.id))
    ).all()
    return [
        ResidentMessagePublic(
            kind=row.kind,
            kind_label=sms.RESIDENT_LABELS.get(row.kind, row.kind),
            text=row.title,
            status=NotificationStatus(row.status),
            queued_at=row.created_at,
            send_after=row.next_attempt_at if row.status == NotificationStatus.pending else None,
            sent_at=row.sent_at,
            error=row.last_error,
        )
        for row in rows
    ]
