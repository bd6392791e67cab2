"""The sync routes over HTTP: batch answers, limits, envelope errors, resync, and what a pull never holds."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from core.crypto import get_cipher
from models.enums import Role
from models.grid import Household, Resident
from services.gridwork.sync_log import record_change
from tests.factories import auth_header, make_town, make_user

DEVICE = str(uuid.uuid4())


def visit_op(**fields: Any) -> dict[str, Any]:
    body = {"place_text": "村委会", "visited_at": "2026-11-25T09:30:00+08:00", **fields}
    return {
        "op_id": str(uuid.uuid4()),
        "entity": "visit",
        "action": "create",
        "entity_id": str(uuid.uuid4()),
        "fields": body,
    }


async def test_push_answers_one_result_per_op_in_order(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session, "990311")
    headers = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    ops = [visit_op(), visit_op(visited_at="yesterday"), visit_op()]
    response = await client.post("/api/v1/sync/push", json={"device_id": DEVICE, "ops": ops}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["applied", "rejected", "applied"]
    assert [r["op_id"] for r in body["results"]] == [op["op_id"] for op in ops]
    assert body["missing_attachments"] == [] and body["server_time"]


async def test_push_refuses_too_many_ops_and_malformed_envelopes(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session, "990312")
    headers = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    too_many = await client.post(
        "/api/v1/sync/push", json={"device_id": DEVICE, "ops": [visit_op() for _ in range(51)]}, headers=headers
    )
    assert too_many.status_code == 413
    assert too_many.json()["error"]["code"] == "payload_too_large"
    malformed = await client.post("/api/v1/sync/push", json={"device_id": "x", "ops": [{"op_id": 1}]}, headers=headers)
    assert malformed.status_code == 422
    paths = [err["loc"] for err in malformed.json()["error"]["detail"]]
    assert ["body", "device_id"] in paths and ["body", "ops", 0, "op_id"] in paths


@pytest.mark.parametrize("pending", [2**31, 2**63, 10**30])
async def test_a_pending_count_beyond_any_column_is_a_field_error(
    client: httpx.AsyncClient, session: Session, pending: int
) -> None:
    town = make_town(session, "990315")
    headers = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    body = {"device_id": DEVICE, "ops": [], "pending_count": pending}
    response = await client.post("/api/v1/sync/push", json=body, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["message"] == "输入有误，请检查标出的字段" and error["detail"][0]["loc"] == ["body", "pending_count"]
    fits = await client.post("/api/v1/sync/push", json=body | {"pending_count": 2**31 - 1}, headers=headers)
    assert fits.status_code == 200, fits.text


async def test_push_needs_a_grid_role(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session, "990313")
    headers = auth_header(make_user(session, Role.auditor, town.town))
    response = await client.post("/api/v1/sync/push", json={"device_id": DEVICE, "ops": [visit_op()]}, headers=headers)
    assert response.status_code == 403


async def test_an_unknown_cursor_answers_409_resync_required(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session, "990314")
    headers = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    for cursor in ("garbage", "999999999999"):
        response = await client.get("/api/v1/sync/pull", params={"cursor": cursor}, headers=headers)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "resync_required"


def keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


async def test_the_pull_never_contains_an_id_number(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session, "990315")
    user = make_user(session, Role.grid_member, town.grid_a1)
    assert town.grid_a1.id is not None
    phone = get_cipher().seal_phone("13912345678")
    household = Household(
        grid_id=town.grid_a1.id,
        head_name="李四",
        address_text="二组 3 号",
        phone_ciphertext=phone.ciphertext,
        phone_last4=phone.last4,
    )
    session.add(household)
    session.flush()
    id_number = get_cipher().encrypt("990100199001011235")
    resident = Resident(
        household_id=household.id,
        name="李小四",
        birth_year=1990,
        id_number_ciphertext=id_number,
        id_number_index="x" * 64,
        id_number_last4="1234",
    )
    session.add(resident)
    record_change(
        session,
        grid_id=town.grid_a1.id,
        entity="household",
        entity_id=household.id,
        version=1,
        now=household.created_at,
    )
    record_change(
        session, grid_id=town.grid_a1.id, entity="resident", entity_id=resident.id, version=1, now=household.created_at
    )
    session.flush()
    response = await client.get("/api/v1/sync/pull", params={"device_id": DEVICE}, headers=auth_header(user))
    assert response.status_code == 200
    body = response.json()
    assert {c["entity"] for c in body["changes"]} == {"household", "resident"}
    assert not [k for k in keys(body) if "id_number" in k]
    text = response.text
    assert "990100199001011235" not in text and id_number not in text and "13912345678" not in text
    assert body["next_cursor"] and body["has_more"] is False


async def test_a_changed_visit_under_a_recorded_id_is_a_conflict_never_a_silent_drop(
    client: httpx.AsyncClient, session: Session
) -> None:
    town = make_town(session, "990316")
    headers = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    first = visit_op(notes="入户走访")
    sent = await client.post("/api/v1/sync/push", json={"device_id": DEVICE, "ops": [first]}, headers=headers)
    assert sent.json()["results"][0]["status"] == "applied"
    changed = {
        **first,
        "op_id": str(uuid.uuid4()),
        "fields": {**first["fields"], "notes": "改过", "place_text": "村口"},
    }
    for _ in range(2):  # nothing is stored for a refused change: sent again, it is refused again
        response = await client.post("/api/v1/sync/push", json={"device_id": DEVICE, "ops": [changed]}, headers=headers)
        [result] = response.json()["results"]
        assert result["status"] == "conflict", result
        assert result["conflict"] == {"type": "hard", "fields": ["notes", "place_text"]}
        assert result["error"]["code"] == "visit_changed" and set(result["error"]["fields"]) == {"notes", "place_text"}
        assert result["server_record"]["notes"] == "入户走访" and result["server_record"]["place_text"] == "村委会"
    again = {**first, "op_id": str(uuid.uuid4())}
    response = await client.post("/api/v1/sync/push", json={"device_id": DEVICE, "ops": [again]}, headers=headers)
    assert response.json()["results"][0]["status"] == "duplicate"
