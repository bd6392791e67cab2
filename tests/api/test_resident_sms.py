"""Residents' SMS through the API: the self-report form's opt-out, the request's detail (what the resident was sent and
whether it went out, and whether they can be called back), the 待回访 list's mark, the resident's own status page
(no record of the SMS), and staff inboxes, which never list a resident's message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from core.clock import utc_now
from models.enums import NotificationChannel, Role
from models.notification import Notification
from models.resident_request import ResidentRequest
from models.user import User
from tests.factories import Town, auth_header, category_id, make_replied_request, make_town, make_user


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def people(session: Session, town: Town) -> dict[str, User]:
    return {
        "member": make_user(session, Role.grid_member, town.grid_a1),
        "leader": make_user(session, Role.grid_leader, town.grid_a1),
        "staff": make_user(session, Role.village_staff, town.village_a),
    }


async def _report(client: httpx.AsyncClient, session: Session, town: Town, **extra: Any) -> ResidentRequest:
    body = {
        "category_id": category_id(session, "环境卫生"),
        "unit_id": town.grid_a1.id,
        "description": "村后小河里漂着很多垃圾",
        "phone": "138 0000 4321",
        **extra,
    }
    receipt = await client.post("/api/v1/public/requests", json=body)
    assert receipt.status_code == 201, receipt.text
    code = receipt.json()["case_code"].replace("-", "")
    return session.exec(select(ResidentRequest).where(ResidentRequest.case_code == code)).one()


def _resident_rows(session: Session, rr: ResidentRequest) -> list[Notification]:
    rows = session.exec(
        select(Notification).where(
            Notification.resident_request_id == rr.id, Notification.channel == NotificationChannel.resident_sms
        )
    )
    return list(rows.all())


async def test_the_self_report_form_may_opt_out(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    texted = await _report(client, session, town)
    quiet = await _report(client, session, town, sms_opt_out=True)
    assert [row.kind for row in _resident_rows(session, texted)] == ["resident_registered"]
    assert (quiet.reporter_sms_opt_out, _resident_rows(session, quiet)) == (True, [])


async def test_the_detail_shows_what_the_resident_was_sent_and_the_status_page_does_not(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = await _report(client, session, town)
    detail = (await client.get(f"/api/v1/requests/{rr.id}", headers=auth_header(people["staff"]))).json()
    [message] = detail["resident_messages"]
    assert (message["kind"], message["kind_label"], message["status"]) == ("resident_registered", "登记回执", "pending")
    assert message["text"].startswith("您的诉求已登记，编号") and message["sent_at"] is None
    event = detail["events"][-1]
    assert (event["action"], event["action_label"], event["note"]) == (
        "resident_notified",
        "短信告知居民",
        message["text"],
    )
    assert event["data"]["to"] == "138****4321" and "13800004321" not in str(detail)
    assert detail["uncallable"] is False
    status = await client.post("/api/v1/public/status", json={"case_code": rr.case_code, "phone_last4": "4321"})
    assert [e["action"] for e in status.json()["timeline"]] == ["register"]


async def test_no_phone_is_allowed_and_marked_uncallable_on_the_detail_and_in_the_callback_list(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    now = utc_now() - timedelta(hours=3)
    rr = make_replied_request(session, people["staff"], people["member"], town.grid_a1, now=now, phone=None)
    called = make_replied_request(session, people["staff"], people["member"], town.grid_a1, now=now)
    detail = (await client.get(f"/api/v1/requests/{rr.id}", headers=auth_header(people["staff"]))).json()
    assert (detail["uncallable"], detail["reporter_phone_masked"], detail["resident_messages"]) == (True, None, [])
    due = (await client.get("/api/v1/callbacks", headers=auth_header(people["staff"]))).json()["items"]
    assert {item["id"]: item["uncallable"] for item in due} == {str(rr.id): True, str(called.id): False}
    listed = (await client.get("/api/v1/requests", headers=auth_header(people["staff"]))).json()["items"]
    assert {item["id"]: item["uncallable"] for item in listed} == {str(rr.id): True, str(called.id): False}


async def test_staff_inboxes_never_list_a_residents_message(
    client: httpx.AsyncClient, session: Session, town: Town, people: dict[str, User]
) -> None:
    rr = await _report(client, session, town)  # tells the village staff and the grid leader, and texts the resident
    [resident] = _resident_rows(session, rr)
    for user in (people["staff"], people["leader"], people["member"]):
        headers = auth_header(user)
        items = (await client.get("/api/v1/notifications?limit=100", headers=headers)).json()["items"]
        assert all(not item["kind"].startswith("resident_") for item in items)
        assert resident.id not in {item["id"] for item in items}
        unread = (await client.get("/api/v1/notifications/unread-count", headers=headers)).json()["unread"]
        assert unread == len(items)
        read = await client.post(f"/api/v1/notifications/{resident.id}/read", headers=headers)
        assert read.status_code == 404 and read.json()["error"]["code"] == "notification_not_found"
    staff_rows = session.exec(
        select(Notification.kind).where(
            Notification.recipient_id == people["staff"].id, col(Notification.kind).startswith("resident_")
        )
    ).all()
    assert staff_rows == []
