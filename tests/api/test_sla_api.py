"""The SLA as people meet it through the API: clocks on the detail, cards after the sweep, extensions."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlmodel import Session

from core.clock import utc_now
from models.enums import Role
from services.clocks.sla_sweep import sweep
from tests.factories import auth_header, category_id, make_town, make_user
from tests.services.clocks.test_sla_sweep import in_session


async def test_a_request_left_alone_turns_yellow_then_red_and_residents_see_no_cards(
    client: httpx.AsyncClient, session: Session
) -> None:
    town = make_town(session)
    member = make_user(session, Role.grid_member, town.grid_a1)
    cadre = make_user(session, Role.town_cadre, town.town)
    body = {
        "channel": "visit",
        "category_id": category_id(session),
        "unit_id": town.grid_a1.id,
        "description": "村口路灯不亮",
        "reporter_phone": "13800004321",
    }
    created = await client.post("/api/v1/requests", json=body, headers=auth_header(member))
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    detail = (await client.get(f"/api/v1/requests/{request_id}", headers=auth_header(member))).json()
    [feedback] = detail["sla"]
    assert (feedback["clock"], feedback["stage_label"], feedback["provisional"]) == ("feedback", "正常", False)
    assert feedback["due_at"] == detail["feedback_due_at"]

    registered = utc_now()
    sweep(registered + timedelta(days=6), scope=in_session(session))
    yellow = (await client.get(f"/api/v1/requests/{request_id}", headers=auth_header(member))).json()
    assert yellow["supervision"] == "yellow" and yellow["sla"][0]["stage_label"] == "黄牌预警"
    sweep(registered + timedelta(days=9), scope=in_session(session))
    red = (await client.get(f"/api/v1/requests/{request_id}", headers=auth_header(cadre))).json()
    assert red["supervision"] == "red" and red["sla"][0]["breached_at"] is not None
    assert [e["action_label"] for e in red["events"]][-2:] == ["黄牌预警", "红牌超期"]
    assert red["events"][-1]["actor_role"] == "system"

    status = await client.post("/api/v1/public/status", json={"case_code": detail["case_code"], "phone_last4": "4321"})
    assert [e["action"] for e in status.json()["timeline"]] == ["register"]


async def test_only_a_town_cadre_extends(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    leader = make_user(session, Role.grid_leader, town.grid_a1)
    cadre = make_user(session, Role.town_cadre, town.town)
    body = {"channel": "visit", "category_id": category_id(session), "unit_id": town.grid_a1.id, "description": "路灯"}
    request_id = (await client.post("/api/v1/requests", json=body, headers=auth_header(leader))).json()["id"]
    await client.post(f"/api/v1/requests/{request_id}/actions", json={"action": "accept"}, headers=auth_header(leader))
    later = (utc_now() + timedelta(days=20)).isoformat()
    extend = {"action": "extend", "due_at": later, "note": "需协调水务站"}
    refused = await client.post(f"/api/v1/requests/{request_id}/actions", json=extend, headers=auth_header(leader))
    assert refused.status_code == 403
    missing = await client.post(
        f"/api/v1/requests/{request_id}/actions", json={"action": "extend", "note": "x"}, headers=auth_header(cadre)
    )
    assert missing.status_code == 422 and missing.json()["error"]["detail"][0]["loc"] == ["body", "due_at"]
    done = await client.post(f"/api/v1/requests/{request_id}/actions", json=extend, headers=auth_header(cadre))
    assert done.status_code == 200, done.text
    view = done.json()
    assert view["sla"][0]["extended"] is True and view["events"][-1]["action_label"] == "延期"
    assert view["events"][-1]["data"]["to_due_at"].startswith(later[:10])


async def test_the_escalation_desk_lists_what_needs_the_town(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    member = make_user(session, Role.grid_member, town.grid_a1)
    cadre = make_user(session, Role.town_cadre, town.town)
    body = {"channel": "visit", "category_id": category_id(session), "unit_id": town.grid_a1.id, "description": "路灯"}
    late = (await client.post("/api/v1/requests", json=body, headers=auth_header(member))).json()["id"]
    fresh = (await client.post("/api/v1/requests", json=body, headers=auth_header(member))).json()["id"]
    desk = (await client.get("/api/v1/requests?desk=true", headers=auth_header(cadre))).json()["items"]
    assert desk == []
    sweep(utc_now() + timedelta(days=9), scope=in_session(session))  # both breach: red cards, escalated to the town
    listed = {
        r["id"] for r in (await client.get("/api/v1/requests?desk=true", headers=auth_header(cadre))).json()["items"]
    }
    assert listed == {late, fresh}
    # A reply takes a request off the desk even with its red card.
    leader = make_user(session, Role.grid_leader, town.grid_a1)
    for action in (
        {"action": "accept"},
        {"action": "dispatch", "handling_unit_id": town.grid_a1.id},
        {"action": "start"},
        {"action": "reply", "closure_type": "substantive", "note": "已修好"},
    ):
        answer = await client.post(f"/api/v1/requests/{fresh}/actions", json=action, headers=auth_header(leader))
        assert answer.status_code == 200, answer.text
    left = {
        r["id"] for r in (await client.get("/api/v1/requests?desk=true", headers=auth_header(cadre))).json()["items"]
    }
    assert left == {late}
