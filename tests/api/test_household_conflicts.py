"""Household sync conflicts over HTTP: made by a real stale push, listed for the grid's leaders (phones
masked), settled through the household edit path so phones pull the result, audited, and refused twice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from models.audit import AuditLog
from models.enums import Role
from models.grid import Household, HouseholdConflict
from tests.factories import Town, auth_header, make_town, make_user

URL = "/api/v1/households"
CONFLICTS = f"{URL}/conflicts"
DEVICE = str(uuid.uuid4())
ORIGINAL = {
    "head_name": "张三",
    "address_text": "一组 12 号",
    "phone": "13812345678",
    "member_count": 3,
    "notes": "低保户",
}
SERVER_PHONE, CLIENT_PHONE, TYPED_PHONE = "13700001111", "13911112222", "13622223333"


@dataclass
class Scene:
    town: Town
    household_id: str
    leader: dict[str, str]
    leader_id: int
    member: dict[str, str]
    op_id: str


@pytest.fixture
async def scene(client: httpx.AsyncClient, session: Session) -> Scene:
    """A household edited on the server (v1 → v2), then a phone's edit based on v1 pushed: three fields
    (address, member count, phone) changed on both sides."""
    town = make_town(session, "990321")
    leader = make_user(session, Role.grid_leader, town.grid_a1, name="网格长甲")
    member = make_user(session, Role.grid_member, town.grid_a1, name="网格员乙")
    leader_h, member_h = auth_header(leader), auth_header(member)
    created = await client.post(URL, json={"grid_id": town.grid_a1.id, **ORIGINAL}, headers=member_h)
    assert created.status_code == 201, created.text
    hid = created.json()["id"]
    edited = await client.patch(
        f"{URL}/{hid}",
        json={"base_version": 1, "address_text": "一组 14 号", "member_count": 4, "phone": SERVER_PHONE},
        headers=leader_h,
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    op = {
        "op_id": str(uuid.uuid4()),
        "entity": "household",
        "action": "update",
        "entity_id": hid,
        "base_version": 1,
        "base_fields": ORIGINAL,
        "fields": {"address_text": "一组 16 号", "member_count": 5, "phone": CLIENT_PHONE},
    }
    pushed = await client.post("/api/v1/sync/push", json={"device_id": DEVICE, "ops": [op]}, headers=member_h)
    [result] = pushed.json()["results"]
    assert result["status"] == "conflict", result
    assert result["conflict"]["fields"] == ["address_text", "member_count", "phone"]
    assert leader.id is not None
    return Scene(town, hid, leader_h, leader.id, member_h, op["op_id"])


async def _listed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> httpx.Response:
    return await client.get(CONFLICTS, params=params, headers=headers)


async def _resolve(client: httpx.AsyncClient, headers: dict[str, str], conflict_id: int, **body: Any) -> httpx.Response:
    return await client.post(f"{CONFLICTS}/{conflict_id}/resolve", json=body, headers=headers)


def _by_field(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["field_name"]: item for item in items}


async def test_the_grid_leader_lists_both_values_with_phones_masked(client: httpx.AsyncClient, scene: Scene) -> None:
    listed = await _listed(client, scene.leader, grid_id=scene.town.grid_a1.id)
    assert listed.status_code == 200, listed.text
    items = _by_field(listed.json()["items"])
    assert set(items) == {"address_text", "member_count", "phone"}
    count = items["member_count"]
    assert (count["field_label"], count["server_value"], count["client_value"], count["current_value"]) == (
        "家庭人数",
        4,
        5,
        5,
    )
    assert count["household_id"] == scene.household_id and count["head_name"] == "张三"
    assert count["address_text"] == "一组 16 号" and count["grid_name"] == "甲村第一网格"
    assert (count["op_id"], count["device_id"], count["pushed_by_name"]) == (scene.op_id, DEVICE, "网格员乙")
    assert count["created_at"] and count["resolved_at"] is None
    phone = items["phone"]
    assert (phone["field_label"], phone["server_value"], phone["client_value"]) == (
        "联系电话",
        "137****1111",
        "139****2222",
    )
    for full in (SERVER_PHONE, CLIENT_PHONE, ORIGINAL["phone"]):
        assert str(full) not in listed.text
    assert "ciphertext" not in listed.text


async def test_only_leaders_and_staff_above_the_grid_see_and_resolve(
    client: httpx.AsyncClient, session: Session, scene: Scene
) -> None:
    town = scene.town
    conflict_id = (await _listed(client, scene.leader)).json()["items"][0]["id"]
    for role, unit in [(Role.grid_member, town.grid_b1), (Role.grid_member, town.grid_a1), (Role.admin, town.district)]:
        refused = auth_header(make_user(session, role, unit))
        assert (await _listed(client, refused)).status_code == 403
        answer = await _resolve(client, refused, conflict_id, keep="server")
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    for role, unit in [(Role.grid_leader, town.grid_a2), (Role.village_staff, town.village_b)]:
        elsewhere = auth_header(make_user(session, role, unit))
        assert (await _listed(client, elsewhere)).json()["items"] == []
        answer = await _resolve(client, elsewhere, conflict_id, keep="server")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "conflict_not_found"
    for role, unit in [(Role.village_staff, town.village_a), (Role.town_cadre, town.town)]:
        above = auth_header(make_user(session, role, unit))
        assert len((await _listed(client, above)).json()["items"]) == 3
    assert (await _listed(client, scene.leader, grid_id=town.grid_a2.id)).json()["items"] == []
    household = session.get(Household, uuid.UUID(scene.household_id))
    assert household is not None and household.version == 3 and household.has_conflict


async def test_resolving_writes_the_household_that_phones_pull(
    client: httpx.AsyncClient, session: Session, scene: Scene
) -> None:
    start = (await client.get("/api/v1/sync/pull", headers=scene.member)).json()["next_cursor"]
    items = _by_field((await _listed(client, scene.leader)).json()["items"])

    kept_client = await _resolve(client, scene.leader, items["member_count"]["id"], keep="client", note="已电话核实")
    assert kept_client.status_code == 200, kept_client.text
    body = kept_client.json()
    assert body["household"]["member_count"] == 5 and body["household"]["version"] == 4
    assert body["household"]["has_conflict"] is True  # two fields still wait
    assert body["conflict"]["resolved_by_id"] == scene.leader_id and body["conflict"]["resolved_at"]

    kept_server = await _resolve(client, scene.leader, items["address_text"]["id"], keep="server", value=None)
    assert kept_server.status_code == 200
    assert kept_server.json()["household"]["address_text"] == "一组 14 号"
    assert kept_server.json()["household"]["version"] == 5

    typed = await _resolve(client, scene.leader, items["phone"]["id"], keep="other", value=TYPED_PHONE)
    assert typed.status_code == 200, typed.text
    household = typed.json()["household"]
    assert (household["phone_masked"], household["version"], household["has_conflict"]) == ("136****3333", 6, False)
    assert TYPED_PHONE not in typed.text

    pulled = await client.get("/api/v1/sync/pull", params={"cursor": start}, headers=scene.member)
    [change] = [c for c in pulled.json()["changes"] if c["id"] == scene.household_id]
    assert change["data"]["version"] == 6 and change["data"]["has_conflict"] is False
    assert (change["data"]["member_count"], change["data"]["address_text"]) == (5, "一组 14 号")
    assert change["data"]["phone_masked"].endswith("3333")

    stored = session.exec(select(HouseholdConflict).where(col(HouseholdConflict.op_id) == uuid.UUID(scene.op_id))).all()
    assert {(c.resolved_by_id, c.resolved_at is not None) for c in stored} == {(scene.leader_id, True)}
    audits = session.exec(
        select(AuditLog).where(AuditLog.action == "household_conflict_resolve").order_by(col(AuditLog.id))
    ).all()
    assert [(a.actor_id, a.target_id, a.detail and a.detail["keep"]) for a in audits] == [
        (scene.leader_id, str(items[name]["id"]), keep)
        for name, keep in [("member_count", "client"), ("address_text", "server"), ("phone", "other")]
    ]
    assert audits[0].reason == "已电话核实" and audits[2].detail and audits[2].detail["value"] == "136****3333"
    assert (await _listed(client, scene.leader)).json()["items"] == []
    assert len((await _listed(client, scene.leader, resolved="true")).json()["items"]) == 3


async def test_a_resolved_conflict_is_409(client: httpx.AsyncClient, scene: Scene) -> None:
    conflict_id = _by_field((await _listed(client, scene.leader)).json()["items"])["member_count"]["id"]
    assert (await _resolve(client, scene.leader, conflict_id, keep="server")).status_code == 200
    again = await _resolve(client, scene.leader, conflict_id, keep="client")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "already_resolved" and error["detail"]["resolved_by_id"] == scene.leader_id


async def test_an_invalid_value_is_422_naming_the_field_and_changes_nothing(
    client: httpx.AsyncClient, session: Session, scene: Scene
) -> None:
    items = _by_field((await _listed(client, scene.leader)).json()["items"])
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        ("phone", {"keep": "other", "value": "12ab"}, "value_invalid", "联系电话格式不正确"),
        ("member_count", {"keep": "other", "value": 60}, "value_invalid", "家庭人数不能大于 50"),
        ("member_count", {"keep": "other"}, "value_required", "其他值"),
        ("address_text", {"keep": "other", "value": " "}, "value_invalid", "地址不能为空"),
        ("address_text", {"keep": "other", "value": "组" * 201}, "value_invalid", "地址不能超过 200 个字"),
        ("address_text", {"keep": "client", "value": "二组"}, "value_not_allowed", "其他值"),
    ]
    for field, body, code, message in cases:
        answer = await _resolve(client, scene.leader, items[field]["id"], **body)
        assert answer.status_code == 422, (field, body, answer.text)
        error = answer.json()["error"]
        assert error["code"] == code and message in error["message"], error
        assert error["detail"][0]["loc"] == ["body", "value"]
    malformed = await _resolve(client, scene.leader, items["phone"]["id"], keep="x")
    assert malformed.status_code == 422 and malformed.json()["error"]["detail"][0]["loc"] == ["body", "keep"]
    household = session.get(Household, uuid.UUID(scene.household_id))
    assert household is not None and household.version == 3 and household.has_conflict
    assert len((await _listed(client, scene.leader)).json()["items"]) == 3
