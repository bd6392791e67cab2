"""Resident requests through the API: the whole loop, the 409 table, visibility and masking."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from models.audit import AuditLog
from models.enums import Role
from models.resident_request import ResidentRequest, ResidentRequestEvent
from tests.factories import Town, actor_of, auth_header, category_id, make_resident_request, make_town, make_user


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


def _create_body(session: Session, town: Town, **overrides: Any) -> dict[str, Any]:
    body = {
        "channel": "visit",
        "category_id": category_id(session),
        "description": "村口路灯坏了三天",
        "location_text": "甲村村口",
        "unit_id": town.grid_a1.id,
        "reporter_name": "张某",
        "reporter_phone": "13812345678",
    }
    return body | overrides


async def _act(client: httpx.AsyncClient, headers: dict[str, str], rid: str, **body: Any) -> httpx.Response:
    return await client.post(f"/api/v1/requests/{rid}/actions", json=body, headers=headers)


async def test_walk_from_registered_to_closed(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    leader = auth_header(make_user(session, Role.village_staff, town.village_a))
    created = await client.post("/api/v1/requests", json=_create_body(session, town), headers=member)
    assert created.status_code == 201, created.text
    rr = created.json()
    assert rr["status"] == "registered"
    assert rr["reporter_phone_masked"] == "*******5678"
    assert "13812345678" not in created.text
    assert rr["feedback_due_at"].endswith("+00:00") or rr["feedback_due_at"].endswith("Z")
    rid = rr["id"]

    steps: list[tuple[dict[str, str], dict[str, Any], str]] = [
        (leader, {"action": "accept"}, "accepted"),
        (leader, {"action": "dispatch", "handling_unit_id": town.grid_a1.id}, "dispatched"),
        (member, {"action": "sign_for"}, "dispatched"),
        (member, {"action": "first_contact", "note": "已电话联系"}, "dispatched"),
        (member, {"action": "start"}, "in_progress"),
        (member, {"action": "reply", "closure_type": "substantive", "note": "路灯已更换"}, "replied"),
        (leader, {"action": "close"}, "closed"),
    ]
    for headers, body, expected in steps:
        response = await _act(client, headers, rid, **body)
        assert response.status_code == 200, (body, response.text)
        assert response.json()["status"] == expected

    detail = (await client.get(f"/api/v1/requests/{rid}", headers=leader)).json()
    assert [e["action"] for e in detail["events"]] == [
        "register",
        "resident_notified",  # the case code and the promised date, by SMS
        "accept",
        "dispatch",
        "sign_for",
        "first_contact",
        "start",
        "reply",
        "resident_notified",  # the result and how to rate
        "close",
    ]
    assert [e["seq"] for e in detail["events"]] == list(range(1, 11))
    assert detail["closure_type"] == "substantive"
    assert detail["replied_at"] is not None and detail["overdue"] is False


async def test_action_not_allowed_now_answers_409_with_allowed_actions(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    leader = make_user(session, Role.grid_leader, town.grid_a1)
    rr = make_resident_request(session, actor_of(session, leader), town.grid_a1)
    response = await _act(client, auth_header(leader), str(rr.id), action="close")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    assert error["detail"]["allowed_actions"] == ["accept", "reject", "resolve_on_spot", "escalate"]
    events = session.exec(select(ResidentRequestEvent).where(ResidentRequestEvent.resident_request_id == rr.id)).all()
    assert [e.action for e in events] == ["register", "resident_notified"]  # nothing written


async def test_missing_inputs_name_the_field(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    leader = make_user(session, Role.grid_leader, town.grid_a1)
    rr = make_resident_request(session, actor_of(session, leader), town.grid_a1)
    response = await _act(client, auth_header(leader), str(rr.id), action="reject")
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["loc"] == ["body", "reject_reason"]
    bad = await _act(client, auth_header(leader), str(rr.id), action="fly")
    assert bad.status_code == 422
    assert bad.json()["error"]["detail"][0]["loc"] == ["body", "action"]


async def test_role_that_may_not_act_gets_403(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    rr = make_resident_request(session, actor_of(session, member), town.grid_a1)
    response = await _act(client, auth_header(member), str(rr.id), action="accept")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


async def test_reject_and_resolve_on_spot_meet_the_feedback_clock(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    leader = make_user(session, Role.grid_leader, town.grid_a1)
    actor = actor_of(session, leader)
    first = make_resident_request(session, actor, town.grid_a1)
    second = make_resident_request(session, actor, town.grid_a1)
    rejected = await _act(client, auth_header(leader), str(first.id), action="reject", reject_reason="duplicate")
    assert rejected.json()["status"] == "not_accepted"
    solved = await _act(client, auth_header(leader), str(second.id), action="resolve_on_spot", note="当场修好")
    assert solved.json()["status"] == "closed"
    assert solved.json()["closure_type"] == "on_spot"
    for rr in (first, second):
        session.refresh(rr)
        assert rr.feedback_met_at is not None


async def test_visibility_is_the_subtree_and_404_outside(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    inside = make_user(session, Role.grid_member, town.grid_a1)
    neighbour = make_user(session, Role.grid_member, town.grid_a2)
    cadre = make_user(session, Role.town_cadre, town.town)
    admin = make_user(session, Role.admin, town.district)
    rr = make_resident_request(session, actor_of(session, inside), town.grid_a1)
    for user, code in ((inside, 200), (cadre, 200), (neighbour, 404), (admin, 404)):
        response = await client.get(f"/api/v1/requests/{rr.id}", headers=auth_header(user))
        assert response.status_code == code, user.role
    listed = await client.get("/api/v1/requests", headers=auth_header(neighbour))
    assert all(item["id"] != str(rr.id) for item in listed.json()["items"])


async def test_department_sees_only_what_was_transferred(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    cadre = make_user(session, Role.town_cadre, town.town)
    handler = make_user(session, Role.department_handler, town.department)
    kept = make_resident_request(session, actor_of(session, member), town.grid_a1)
    sent = make_resident_request(session, actor_of(session, member), town.grid_a1)
    code_before = sent.case_code
    response = await _act(
        client,
        auth_header(cadre),
        str(sent.id),
        action="transfer",
        department_id=town.department.id,
        note="请水务站处理",
    )
    assert response.status_code == 200, response.text
    assert response.json()["case_code"] == code_before
    assert response.json()["first_unit_id"] == town.grid_a1.id
    dept = auth_header(handler)
    assert (await client.get(f"/api/v1/requests/{kept.id}", headers=dept)).status_code == 404
    assert (await client.get(f"/api/v1/requests/{sent.id}", headers=dept)).status_code == 200
    for body in ({"action": "sign_for"}, {"action": "start"}):
        assert (await _act(client, dept, str(sent.id), **body)).status_code == 200
    replied = await _act(client, dept, str(sent.id), action="reply", closure_type="phased", note="已安排检修")
    assert replied.json()["status"] == "replied"


async def test_list_filters_and_keyset_pages(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    actor = actor_of(session, member)
    made = [make_resident_request(session, actor, town.grid_a1, description=f"第{i}号 排水沟堵塞") for i in range(5)]
    headers = auth_header(member)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "q": "排水沟"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/requests", params=params, headers=headers)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(str(rr.id) for rr in made)
    assert len(seen) == len(set(seen))
    by_code = await client.get("/api/v1/requests", params={"q": made[0].case_code.lower()}, headers=headers)
    assert [item["id"] for item in by_code.json()["items"]] == [str(made[0].id)]
    overdue = await client.get("/api/v1/requests", params={"overdue": "true"}, headers=headers)
    assert overdue.json()["items"] == []
    bad = await client.get("/api/v1/requests", params={"cursor": "!!nope"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["detail"][0]["loc"] == ["query", "cursor"]


async def test_same_client_id_twice_registers_once(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    body = _create_body(session, town, id="6f1c7e2a-4a51-4d0e-9b7c-0d7a3b8a9c11")
    first = await client.post("/api/v1/requests", json=body, headers=member)
    again = await client.post("/api/v1/requests", json=body, headers=member)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["case_code"] == again.json()["case_code"]
    count = session.exec(select(ResidentRequest).where(ResidentRequest.id == uuid.UUID(first.json()["id"]))).all()
    assert len(count) == 1


async def test_register_outside_scope_names_the_field(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    response = await client.post(
        "/api/v1/requests", json=_create_body(session, town, unit_id=town.grid_b1.id), headers=member
    )
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["loc"] == ["body", "unit_id"]


async def test_reveal_phone_is_audited(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    rr = make_resident_request(session, actor_of(session, member), town.grid_a1, phone="13900001111")
    response = await client.post(
        f"/api/v1/requests/{rr.id}/reveal-phone", json={"reason": "回访居民"}, headers=auth_header(member)
    )
    assert response.json() == {"phone": "13900001111"}
    entry = session.exec(select(AuditLog).where(AuditLog.action == "reveal_phone")).one()
    assert entry.actor_id == member.id and entry.reason == "回访居民" and entry.target_id == str(rr.id)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/requests/not-a-uuid", None),
        ("/api/v1/requests?limit=0", None),
        ("/api/v1/requests?status=flying", None),
        ("/api/v1/requests?category_id=99999999999999999999", None),
        ("/api/v1/requests", "{not json"),
        ("/api/v1/requests", {"channel": "visit", "category_id": 1, "description": "a\u0000b", "unit_id": 1}),
    ],
)
async def test_malformed_input_is_a_clean_error(
    client: httpx.AsyncClient, session: Session, town: Town, path: str, body: Any
) -> None:
    headers = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    if body is None:
        response = await client.get(path, headers=headers)
    elif isinstance(body, str):
        response = await client.post(path, content=body, headers=headers | {"Content-Type": "application/json"})
    else:
        response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]) == {"code", "message", "detail"}
