from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from models.audit import AuditLog
from models.enums import Role, UnitKind
from models.org import OrgUnit
from services.people.org import add_unit
from tests.factories import Town, auth_header, make_town, make_user

URL = "/api/v1/org-units"


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def admin(session: Session, town: Town) -> dict[str, str]:
    return auth_header(make_user(session, Role.admin, town.district, name="区管理员"))


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "detail"}
    assert error["code"] == code
    assert error["message"]
    return dict(error)


def audit_actions(session: Session, unit_id: int) -> list[str]:
    query = select(AuditLog).where(AuditLog.target_type == "org_unit", AuditLog.target_id == str(unit_id))
    rows = session.exec(query.order_by(col(AuditLog.id)))
    return [row.action for row in rows]


async def test_a_grid_member_lists_their_subtree_and_the_chain_above_in_tree_order(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    make_town(session, "990102")  # another district: never visible
    member = make_user(session, Role.grid_member, town.grid_a1)
    response = await client.get(URL, headers=auth_header(member))
    assert response.status_code == 200
    ids = [unit["id"] for unit in response.json()]
    assert ids == [town.district.id, town.town.id, town.village_a.id, town.grid_a1.id]
    assert set(response.json()[0]) >= {"id", "kind", "name", "code", "parent_id", "is_active"}


async def test_list_filters_by_kind_parent_and_activity(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    town.grid_a2.is_active = False
    session.flush()
    grids = await client.get(URL, params={"kind": "grid"}, headers=admin)
    assert [u["id"] for u in grids.json()] == [town.grid_a1.id, town.grid_b1.id]
    children = await client.get(URL, params={"parent_id": town.village_a.id, "include_inactive": True}, headers=admin)
    assert [u["id"] for u in children.json()] == [town.grid_a1.id, town.grid_a2.id]
    assert_error(await client.get(URL, params={"kind": "planet"}, headers=admin), 422, "validation_error")


async def test_a_unit_out_of_sight_is_404(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    assert (await client.get(f"{URL}/{town.village_a.id}", headers=auth_header(member))).status_code == 200
    assert_error(await client.get(f"{URL}/{town.grid_b1.id}", headers=auth_header(member)), 404, "not_found")
    error = assert_error(await client.get(f"{URL}/0", headers=auth_header(member)), 422, "validation_error")
    assert error["detail"][0]["loc"] == ["path", "unit_id"]


async def test_create_a_grid_without_a_code_takes_the_next_free_sequence(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    body = {"kind": "grid", "name": " 甲村第三网格 ", "parent_id": town.village_a.id}
    response = await client.post(URL, json=body, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["code"] == f"{town.village_a.code}003"
    assert created["name"] == "甲村第三网格"
    assert created["parent_id"] == town.village_a.id and created["is_active"] is True
    unit = session.get(OrgUnit, created["id"])
    assert unit is not None and unit.path == f"{town.village_a.path}{unit.id}/"
    assert audit_actions(session, unit.id or 0) == ["org_unit_create"]


async def test_create_with_an_explicit_code(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    body = {"kind": "village", "name": "丙村", "code": f"{town.town.code}203", "parent_id": town.town.id}
    response = await client.post(URL, json=body, headers=admin)
    assert response.status_code == 201, response.text
    department = {
        "kind": "department",
        "name": "区民政局",
        "code": f"{town.district.code}D01",
        "parent_id": town.district.id,
    }
    assert (await client.post(URL, json=department, headers=admin)).status_code == 201


async def test_a_duplicate_code_is_409(client: httpx.AsyncClient, town: Town, admin: dict[str, str]) -> None:
    body = {"kind": "grid", "name": "重复网格", "code": town.grid_a1.code, "parent_id": town.village_a.id}
    error = assert_error(await client.post(URL, json=body, headers=admin), 409, "code_taken")
    assert error["detail"]["field"] == "code"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"kind": "grid", "name": "错挂网格", "parent": "town"}, "parent_id", "parent_kind"),
        ({"kind": "village", "name": "错挂村", "parent": "village_a"}, "parent_id", "parent_kind"),
        ({"kind": "village", "name": "无上级村", "code": "990101101209"}, "parent_id", "parent_required"),
        ({"kind": "village", "name": "无代码村", "parent": "town"}, "code", "code_required"),
        ({"kind": "village", "name": "错码村", "code": "990101102209", "parent": "town"}, "code", "code_format"),
        ({"kind": "grid", "name": "错码网格", "code": "990101101201000", "parent": "village_a"}, "code", "code_format"),
        ({"kind": "department", "name": "错码部门", "code": "990101101X01", "parent": "town"}, "code", "code_format"),
    ],
)
async def test_create_refuses_what_breaks_the_tree_rules(
    client: httpx.AsyncClient, town: Town, admin: dict[str, str], body: dict[str, Any], field: str, code: str
) -> None:
    payload = {key: value for key, value in body.items() if key != "parent"}
    if "parent" in body:
        payload["parent_id"] = getattr(town, body["parent"]).id
    error = assert_error(await client.post(URL, json=payload, headers=admin), 422, code)
    assert error["detail"][0]["loc"] == ["body", field]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"kind": "grid", "name": "   ", "parent_id": 1}, ["body", "name"]),
        ({"kind": "hamlet", "name": "某组", "parent_id": 1}, ["body", "kind"]),
        ({"kind": "grid", "name": "网格", "parent_id": 0}, ["body", "parent_id"]),
        ({"kind": "grid", "name": "网格\x00", "parent_id": 1}, ["body", "name"]),
        ({"kind": "grid", "name": "网格", "code": "1" * 21, "parent_id": 1}, ["body", "code"]),
    ],
)
async def test_malformed_input_is_422_with_the_field_path(
    client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any], loc: list[str]
) -> None:
    error = assert_error(await client.post(URL, json=body, headers=admin), 422, "validation_error")
    assert [item["loc"] for item in error["detail"]] == [loc]


async def test_an_inactive_parent_takes_no_new_units(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    town.village_b.is_active = False
    session.flush()
    body = {"kind": "grid", "name": "新网格", "parent_id": town.village_b.id}
    error = assert_error(await client.post(URL, json=body, headers=admin), 422, "parent_inactive")
    assert error["detail"][0]["loc"] == ["body", "parent_id"]


async def test_only_admins_write(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    cadre = auth_header(make_user(session, Role.town_cadre, town.town))
    body = {"kind": "grid", "name": "新网格", "parent_id": town.village_a.id}
    assert_error(await client.post(URL, json=body, headers=cadre), 403, "permission_denied")
    assert_error(
        await client.patch(f"{URL}/{town.grid_a1.id}", json={"name": "改"}, headers=cadre), 403, "permission_denied"
    )
    assert_error(await client.post(f"{URL}/{town.grid_a1.id}/deactivate", headers=cadre), 403, "permission_denied")
    assert_error(await client.post(URL, json=body), 401, "not_authenticated")


async def test_an_admin_cannot_reach_into_another_district_or_above_their_unit(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    other = make_town(session, "990102")
    body = {"kind": "grid", "name": "越界网格", "parent_id": other.village_a.id}
    error = assert_error(await client.post(URL, json=body, headers=admin), 404, "not_found")
    assert error["detail"] == {"field": "parent_id"}
    assert_error(await client.patch(f"{URL}/{other.grid_a1.id}", json={"name": "改"}, headers=admin), 404, "not_found")
    town_admin = auth_header(make_user(session, Role.admin, town.town))
    department = {"kind": "department", "name": "区直部门", "code": "990101D02", "parent_id": town.district.id}
    assert_error(await client.post(URL, json=department, headers=town_admin), 403, "out_of_scope")
    root = {"kind": "district", "name": "新区", "code": "990103"}
    assert_error(await client.post(URL, json=root, headers=admin), 403, "out_of_scope")


async def test_rename(client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]) -> None:
    response = await client.patch(f"{URL}/{town.grid_a1.id}", json={"name": "甲村东网格"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "甲村东网格"
    assert response.json()["code"] == town.grid_a1.code
    assert audit_actions(session, town.grid_a1.id or 0) == ["org_unit_update"]


async def test_move_a_grid_to_another_village_renumbers_it_and_fixes_its_path(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    grid = town.grid_a2
    response = await client.patch(f"{URL}/{grid.id}", json={"parent_id": town.village_b.id}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["parent_id"] == town.village_b.id
    assert response.json()["code"] == f"{town.village_b.code}002"
    session.refresh(grid)
    assert grid.path == f"{town.village_b.path}{grid.id}/"
    entry = session.exec(select(AuditLog).where(AuditLog.action == "org_unit_update")).one()
    assert entry.detail is not None and entry.detail["changes"]["parent_id"] == [town.village_a.id, town.village_b.id]


async def test_move_a_grid_with_a_given_code(client: httpx.AsyncClient, town: Town, admin: dict[str, str]) -> None:
    body = {"parent_id": town.village_b.id, "code": f"{town.village_b.code}007"}
    response = await client.patch(f"{URL}/{town.grid_a2.id}", json=body, headers=admin)
    assert response.json()["code"] == f"{town.village_b.code}007"
    wrong = {"parent_id": town.village_a.id, "code": f"{town.village_b.code}008"}
    assert_error(await client.patch(f"{URL}/{town.grid_a2.id}", json=wrong, headers=admin), 422, "code_format")


async def test_move_a_village_with_its_grids_rewrites_every_descendant_path(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    second = add_unit(session, UnitKind.town, "第二镇", "990101102", town.district)
    village = town.village_a
    no_code = await client.patch(f"{URL}/{village.id}", json={"parent_id": second.id}, headers=admin)
    error = assert_error(no_code, 422, "code_required")
    assert error["detail"][0]["loc"] == ["body", "code"]

    body = {"parent_id": second.id, "code": "990101102201"}
    response = await client.patch(f"{URL}/{village.id}", json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["code"] == "990101102201"
    new_path = f"{second.path}{village.id}/"
    paths = {unit.id: unit.path for unit in session.exec(select(OrgUnit)).all()}
    assert paths[village.id] == new_path
    assert paths[town.grid_a1.id] == f"{new_path}{town.grid_a1.id}/"
    assert paths[town.grid_a2.id] == f"{new_path}{town.grid_a2.id}/"
    assert paths[town.grid_b1.id] == f"{town.village_b.path}{town.grid_b1.id}/"  # untouched
    entry = session.exec(select(AuditLog).where(AuditLog.action == "org_unit_update")).one()
    assert entry.detail is not None and entry.detail["subtree_size"] == 3
    session.expire_all()
    assert session.get(OrgUnit, town.grid_a1.id).path == f"{new_path}{town.grid_a1.id}/"  # type: ignore[union-attr]
    assert session.get(OrgUnit, town.grid_a1.id).code == "990101101201001"  # type: ignore[union-attr]


@pytest.mark.parametrize(("unit", "new_parent"), [("village_a", "grid_a1"), ("town", "village_b"), ("town", "town")])
async def test_a_unit_never_moves_under_itself_or_a_descendant(
    client: httpx.AsyncClient, town: Town, admin: dict[str, str], unit: str, new_parent: str
) -> None:
    body = {"parent_id": getattr(town, new_parent).id}
    response = await client.patch(f"{URL}/{getattr(town, unit).id}", json=body, headers=admin)
    assert_error(response, 409, "cycle")


async def test_move_must_fit_the_kind_rules(client: httpx.AsyncClient, town: Town, admin: dict[str, str]) -> None:
    body = {"parent_id": town.town.id}
    error = assert_error(await client.patch(f"{URL}/{town.grid_a1.id}", json=body, headers=admin), 422, "parent_kind")
    assert error["detail"][0]["loc"] == ["body", "parent_id"]


async def test_deactivate_refuses_units_with_active_children_or_accounts(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    error = assert_error(
        await client.post(f"{URL}/{town.village_b.id}/deactivate", headers=admin), 409, "has_active_children"
    )
    assert error["detail"] == {"count": 1}
    make_user(session, Role.grid_member, town.grid_b1)
    assert_error(await client.post(f"{URL}/{town.grid_b1.id}/deactivate", headers=admin), 409, "has_active_users")


async def test_deactivate_then_reactivate(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    grid, village = town.grid_b1, town.village_b
    response = await client.post(f"{URL}/{grid.id}/deactivate", headers=admin)
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert (await client.post(f"{URL}/{village.id}/deactivate", headers=admin)).json()["is_active"] is False
    # An inactive village keeps its inactive grid down until the village comes back.
    assert_error(await client.post(f"{URL}/{grid.id}/reactivate", headers=admin), 409, "parent_inactive")
    assert (await client.post(f"{URL}/{village.id}/reactivate", headers=admin)).json()["is_active"] is True
    assert (await client.post(f"{URL}/{grid.id}/reactivate", headers=admin)).json()["is_active"] is True
    assert audit_actions(session, grid.id or 0) == ["org_unit_deactivate", "org_unit_reactivate"]
    listed = await client.get(URL, params={"kind": "grid"}, headers=admin)
    assert grid.id in [unit["id"] for unit in listed.json()]
