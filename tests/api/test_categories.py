from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import Session, func, select

from models.audit import AuditLog
from models.enums import RequestClass, Role
from models.resident_request import Category
from services.errors import Conflict
from services.people.org import unique_or_conflict
from tests.factories import Town, auth_header, make_town, make_user

URL = "/api/v1/categories"
SEEDED = ["基础设施", "水电气", "环境卫生", "邻里纠纷", "社会保障", "治安隐患", "土地房屋", "政策咨询", "其他"]


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def admin(session: Session, town: Town) -> dict[str, str]:
    return auth_header(make_user(session, Role.admin, town.district))


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "detail"} and error["code"] == code and error["message"]
    return dict(error)


async def test_any_staff_member_reads_the_seeded_categories_in_order(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    response = await client.get(URL, headers=auth_header(member))
    assert response.status_code == 200
    assert [c["name"] for c in response.json()] == SEEDED
    water = response.json()[1]
    assert water["request_class"] == "utilities" and water["is_active"] is True
    assert set(water) == {"id", "name", "request_class", "sort_order", "is_active"}
    assert_error(await client.get(URL), 401, "not_authenticated")


async def test_create_goes_last_and_is_audited(
    client: httpx.AsyncClient, session: Session, admin: dict[str, str]
) -> None:
    response = await client.post(URL, json={"name": " 农业生产 ", "request_class": "general"}, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["name"] == "农业生产" and created["is_active"] is True
    listed = (await client.get(URL, headers=admin)).json()
    assert listed[-1]["id"] == created["id"]
    assert created["sort_order"] > listed[-2]["sort_order"]
    entry = session.exec(select(AuditLog).where(AuditLog.action == "category_create")).one()
    assert entry.target_id == str(created["id"])


async def test_a_duplicate_name_is_409(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    response = await client.post(URL, json={"name": "水电气", "request_class": "general"}, headers=admin)
    assert assert_error(response, 409, "name_taken")["detail"]["field"] == "name"
    other = (await client.post(URL, json={"name": "农业生产", "request_class": "general"}, headers=admin)).json()
    assert_error(await client.patch(f"{URL}/{other['id']}", json={"name": "其他"}, headers=admin), 409, "name_taken")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "  ", "request_class": "general"}, ["body", "name"]),
        ({"name": "名" * 51, "request_class": "general"}, ["body", "name"]),
        ({"name": "农业生产", "request_class": "urgent"}, ["body", "request_class"]),
        ({"request_class": "general"}, ["body", "name"]),
        ({"name": "农业生产", "request_class": "general", "sort_order": -1}, ["body", "sort_order"]),
    ],
)
async def test_invalid_input_is_422_with_the_field_path(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], loc: list[str]
) -> None:
    error = assert_error(await client.post(URL, json=body, headers=admin), 422, "validation_error")
    assert [item["loc"] for item in error["detail"]] == [loc]


async def test_update_and_deactivate(client: httpx.AsyncClient, session: Session, admin: dict[str, str]) -> None:
    other = next(c for c in (await client.get(URL, headers=admin)).json() if c["name"] == "其他")
    body = {"name": "其他事项", "request_class": "consultation", "sort_order": 0, "is_active": False}
    response = await client.patch(f"{URL}/{other['id']}", json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"id": other["id"], **body}
    active = [c["id"] for c in (await client.get(URL, headers=admin)).json()]
    assert other["id"] not in active
    everything = (await client.get(URL, params={"include_inactive": True}, headers=admin)).json()
    assert everything[0]["id"] == other["id"]  # sort_order 0 puts it first
    entry = session.exec(select(AuditLog).where(AuditLog.action == "category_update")).one()
    assert entry.detail is not None and entry.detail["changes"]["name"] == ["其他", "其他事项"]


async def test_update_validation_and_missing(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    error = assert_error(await client.patch(f"{URL}/1", json={"name": ""}, headers=admin), 422, "validation_error")
    assert error["detail"][0]["loc"] == ["body", "name"]
    assert_error(await client.patch(f"{URL}/999999", json={"name": "新名"}, headers=admin), 404, "not_found")
    assert_error(await client.patch(f"{URL}/abc", json={}, headers=admin), 422, "validation_error")


async def test_only_admins_write(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    cadre = auth_header(make_user(session, Role.town_cadre, town.town))
    body = {"name": "农业生产", "request_class": "general"}
    assert_error(await client.post(URL, json=body, headers=cadre), 403, "permission_denied")
    assert_error(await client.patch(f"{URL}/1", json={"is_active": False}, headers=cadre), 403, "permission_denied")


def test_a_duplicate_that_slips_past_the_look_up_is_409_and_the_transaction_goes_on(session: Session) -> None:
    """What a concurrent writer would cause: the unique constraint, not the look-up, catches it."""
    with pytest.raises(Conflict) as caught, unique_or_conflict(session, Conflict(code="name_taken")):
        session.add(Category(name="水电气", request_class=RequestClass.general))
    assert caught.value.code == "name_taken"
    assert session.exec(select(func.count()).select_from(Category)).one() == len(SEEDED)
