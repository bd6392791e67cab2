from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from models.audit import AuditLog
from models.enums import Role, UnitKind
from models.resident_request import Category, RoutingRule
from services.people.org import add_unit
from services.requests.routing import route
from tests.factories import Town, auth_header, make_town, make_user

URL = "/api/v1/routing-rules"


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def admin(session: Session, town: Town) -> dict[str, str]:
    return auth_header(make_user(session, Role.admin, town.district))


def category(session: Session, name: str) -> int:
    found = session.exec(select(Category.id).where(Category.name == name)).first()
    assert found is not None
    return found


def rule(session: Session, category_id: int, unit_id: int | None, handling_unit_id: int | None) -> RoutingRule:
    assert unit_id is not None and handling_unit_id is not None
    row = RoutingRule(category_id=category_id, unit_id=unit_id, handling_unit_id=handling_unit_id)
    session.add(row)
    session.flush()
    return row


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "detail"} and error["code"] == code and error["message"]
    return dict(error)


def test_route_takes_the_nearest_active_rule(session: Session, town: Town) -> None:
    water, roads = category(session, "水电气"), category(session, "基础设施")
    rule(session, water, town.town.id, town.department.id)
    village_rule = rule(session, water, town.village_a.id, town.village_a.id)
    rule(session, roads, town.grid_b1.id, town.village_b.id)

    assert route(session, water, town.grid_a1) == town.village_a.id  # the village rule beats the town rule
    assert route(session, water, town.village_a) == town.village_a.id
    assert route(session, water, town.grid_b1) == town.department.id  # falls back to the town rule
    assert route(session, roads, town.grid_b1) == town.village_b.id
    assert route(session, roads, town.grid_a1) is None  # unrouted
    assert route(session, category(session, "其他"), town.grid_a1) is None

    village_rule.is_active = False
    session.flush()
    assert route(session, water, town.grid_a1) == town.department.id
    town.department.is_active = False  # a rule whose handler is gone does not apply
    session.flush()
    assert route(session, water, town.grid_a1) is None


async def test_create_list_and_update_a_rule(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    water = category(session, "水电气")
    body = {"category_id": water, "unit_id": town.village_a.id, "handling_unit_id": town.department.id}
    response = await client.post(URL, json=body, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created | body == created
    assert created["category_name"] == "水电气" and created["unit_name"] == "甲村"
    assert created["handling_unit_name"] == "镇水务站" and created["is_active"] is True
    assert route(session, water, town.grid_a2) == town.department.id

    listed = await client.get(URL, params={"unit_id": town.village_a.id}, headers=admin)
    assert [r["id"] for r in listed.json()] == [created["id"]]
    assert (await client.get(URL, params={"category_id": category(session, "其他")}, headers=admin)).json() == []

    change = {"handling_unit_id": town.village_a.id, "is_active": False}
    updated = await client.patch(f"{URL}/{created['id']}", json=change, headers=admin)
    assert updated.status_code == 200, updated.text
    assert updated.json()["handling_unit_id"] == town.village_a.id and updated.json()["is_active"] is False
    actions = session.exec(select(AuditLog.action).where(AuditLog.target_type == "routing_rule")).all()
    assert sorted(actions) == ["routing_rule_create", "routing_rule_update"]


async def test_a_second_rule_for_the_same_category_and_unit_is_409(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    existing = rule(session, category(session, "水电气"), town.grid_a1.id, town.village_a.id)
    body = {"category_id": existing.category_id, "unit_id": town.grid_a1.id, "handling_unit_id": town.department.id}
    error = assert_error(await client.post(URL, json=body, headers=admin), 409, "rule_exists")
    assert error["detail"] == {"rule_id": existing.id}


@pytest.mark.parametrize(
    ("unit", "handler", "status", "code", "field"),
    [
        ("department", "village_a", 422, "unit_kind", "unit_id"),
        ("district", "village_a", 422, "unit_kind", "unit_id"),
        ("grid_a1", "inactive_grid", 422, "handling_unit_inactive", "handling_unit_id"),
        ("grid_a1", "foreign_village", 404, "not_found", "handling_unit_id"),
        ("foreign_village", "village_a", 404, "not_found", "unit_id"),
    ],
)
async def test_create_checks_both_units(
    client: httpx.AsyncClient,
    session: Session,
    town: Town,
    admin: dict[str, str],
    unit: str,
    handler: str,
    status: int,
    code: str,
    field: str,
) -> None:
    other = make_town(session, "990102")
    town.grid_a2.is_active = False
    session.flush()
    units = {"foreign_village": other.village_a, "inactive_grid": town.grid_a2}
    body = {
        "category_id": category(session, "水电气"),
        "unit_id": (units.get(unit) or getattr(town, unit)).id,
        "handling_unit_id": (units.get(handler) or getattr(town, handler)).id,
    }
    error = assert_error(await client.post(URL, json=body, headers=admin), status, code)
    if status == 404:
        assert error["detail"] == {"field": field}
    else:
        assert error["detail"][0]["loc"] == ["body", field]


async def test_a_village_admin_may_route_to_the_towns_departments_only(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    district_department = add_unit(session, UnitKind.department, "区水务局", "990101D01", town.district)
    village_admin = auth_header(make_user(session, Role.admin, town.village_a))
    water = category(session, "水电气")
    for grid, handler in ((town.grid_a1, town.department), (town.grid_a2, district_department)):
        body = {"category_id": water, "unit_id": grid.id, "handling_unit_id": handler.id}
        response = await client.post(URL, json=body, headers=village_admin)
        assert response.status_code == 201, response.text
        assert route(session, water, grid) == handler.id
    sideways = {"category_id": water, "unit_id": town.village_a.id, "handling_unit_id": town.village_b.id}
    error = assert_error(await client.post(URL, json=sideways, headers=village_admin), 404, "not_found")
    assert error["detail"] == {"field": "handling_unit_id"}


async def test_rules_outside_the_admins_subtree_are_invisible(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    other = make_town(session, "990102")
    foreign = rule(session, category(session, "水电气"), other.grid_a1.id, other.village_a.id)
    assert (await client.get(URL, headers=admin)).json() == []
    response = await client.patch(f"{URL}/{foreign.id}", json={"is_active": False}, headers=admin)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"unit_id": 1, "handling_unit_id": 1}, ["body", "category_id"]),
        ({"category_id": 1, "unit_id": 0, "handling_unit_id": 1}, ["body", "unit_id"]),
        ({"category_id": 1, "unit_id": 1, "handling_unit_id": "x"}, ["body", "handling_unit_id"]),
        ({"category_id": 2**40, "unit_id": 1, "handling_unit_id": 1}, ["body", "category_id"]),
    ],
)
async def test_malformed_input_is_422_with_the_field_path(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], loc: list[str]
) -> None:
    error = assert_error(await client.post(URL, json=body, headers=admin), 422, "validation_error")
    assert [item["loc"] for item in error["detail"]] == [loc]


async def test_unknown_category_is_404(client: httpx.AsyncClient, town: Town, admin: dict[str, str]) -> None:
    body = {"category_id": 999999, "unit_id": town.grid_a1.id, "handling_unit_id": town.village_a.id}
    assert assert_error(await client.post(URL, json=body, headers=admin), 404, "not_found")["detail"] == {
        "field": "category_id"
    }


async def test_only_admins(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    cadre = auth_header(make_user(session, Role.town_cadre, town.town))
    assert_error(await client.get(URL, headers=cadre), 403, "permission_denied")
    body = {"category_id": 1, "unit_id": town.grid_a1.id, "handling_unit_id": town.village_a.id}
    assert_error(await client.post(URL, json=body, headers=cadre), 403, "permission_denied")
    assert_error(await client.patch(f"{URL}/1", json={"is_active": False}, headers=cadre), 403, "permission_denied")
