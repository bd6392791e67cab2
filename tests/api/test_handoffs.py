"""A resident's own report is in the village's inbox as soon as the registration commits: no sweep, no job."""

from __future__ import annotations

import httpx
from sqlmodel import Session

from models.enums import Role
from tests.factories import auth_header, category_id, make_town, make_user

INBOX = "/api/v1/notifications"


async def test_a_public_self_report_is_in_the_village_inbox_at_once(
    client: httpx.AsyncClient, session: Session
) -> None:
    town = make_town(session)
    staff = make_user(session, Role.village_staff, town.village_a)
    leader = make_user(session, Role.grid_leader, town.grid_a1)
    member = make_user(session, Role.grid_member, town.grid_a1)
    elsewhere = make_user(session, Role.village_staff, town.village_b)
    body = {
        "category_id": category_id(session),
        "unit_id": town.grid_a1.id,
        "description": "村口路灯不亮，晚上看不见路",
        "phone": "13812341234",
    }
    receipt = await client.post("/api/v1/public/requests", json=body)
    assert receipt.status_code == 201, receipt.text
    code = receipt.json()["case_code"]

    for user in (staff, leader):
        inbox = (await client.get(INBOX, headers=auth_header(user))).json()["items"]
        assert [(item["title"], item["kind"]) for item in inbox] == [(f"【居民自报】诉求 {code}", "handoff_register")]
        assert inbox[0]["resident_request_id"] and inbox[0]["read_at"] is None
        unread = await client.get(f"{INBOX}/unread-count", headers=auth_header(user))
        assert unread.json() == {"unread": 1}
    for user in (member, elsewhere):
        assert (await client.get(INBOX, headers=auth_header(user))).json()["items"] == []
