"""Households through the API: masking, visibility, stale versions, CSV import all or nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session, col, select

from models.enums import Role
from models.grid import Household, SyncChange
from services.rules.household_csv import HEADER
from tests.factories import Town, auth_header, make_town, make_user

URL = "/api/v1/households"
ID_NUMBER = "99010019491231003X"


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], grid_id: int | None, **extra: object
) -> httpx.Response:
    body = {"grid_id": grid_id, "head_name": "张三", "address_text": "一组 12 号", "phone": "13812345678"} | extra
    return await client.post(URL, json=body, headers=headers)


async def test_create_read_and_mask(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    created = await _create(client, member, town.grid_a1.id)
    assert created.status_code == 201, created.text
    hid = created.json()["id"]
    assert created.json()["phone_masked"] == "138****5678" and created.json()["version"] == 1
    added = await client.post(
        f"{URL}/{hid}/residents", json={"name": "张小三", "relation": "child", "id_number": ID_NUMBER}, headers=member
    )
    assert added.status_code == 201, added.text
    assert added.json()["id_number_masked"] == "**************003X"
    detail = await client.get(f"{URL}/{hid}", headers=member)
    assert detail.status_code == 200
    assert ID_NUMBER not in detail.text and "13812345678" not in detail.text
    assert [r["name"] for r in detail.json()["residents"]] == ["张小三"]
    changes = session.exec(select(SyncChange.entity).where(col(SyncChange.grid_id) == town.grid_a1.id)).all()
    assert sorted(changes) == ["household", "resident"]


async def test_bad_id_number_is_a_field_error(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    hid = (await _create(client, member, town.grid_a1.id)).json()["id"]
    bad = await client.post(
        f"{URL}/{hid}/residents", json={"name": "李四", "id_number": "990100194912310031"}, headers=member
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["detail"][0]["loc"] == ["body", "id_number"]


async def test_visibility_is_404_outside_the_subtree(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    hid = (await _create(client, member, town.grid_a1.id)).json()["id"]
    for role, unit in [
        (Role.grid_member, town.grid_b1),
        (Role.village_staff, town.village_b),
        (Role.department_handler, town.department),
        (Role.admin, town.district),
    ]:
        other = auth_header(make_user(session, role, unit))
        assert (await client.get(f"{URL}/{hid}", headers=other)).status_code == 404
        listed = await client.get(URL, headers=other)
        assert listed.status_code == 200 and listed.json()["items"] == []
    village = auth_header(make_user(session, Role.village_staff, town.village_a))
    assert (await client.get(f"{URL}/{hid}", headers=village)).status_code == 200
    wrong_grid = await _create(client, member, town.grid_b1.id)
    assert wrong_grid.status_code == 422 and wrong_grid.json()["error"]["detail"][0]["loc"] == ["body", "grid_id"]


async def test_stale_base_version_is_409(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    hid = (await _create(client, member, town.grid_a1.id)).json()["id"]
    first = await client.patch(f"{URL}/{hid}", json={"base_version": 1, "member_count": 4}, headers=member)
    assert first.status_code == 200 and first.json()["version"] == 2 and first.json()["member_count"] == 4
    stale = await client.patch(f"{URL}/{hid}", json={"base_version": 1, "head_name": "王五"}, headers=member)
    assert stale.status_code == 409
    assert stale.json()["error"]["detail"]["current_version"] == 2
    missing = await client.patch(f"{URL}/{hid}", json={"head_name": "王五"}, headers=member)
    assert missing.status_code == 422


async def test_list_search_and_keyset_pages(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    for i in range(5):
        await _create(client, member, town.grid_a1.id, head_name=f"户主{i}", address_text=f"二组 {i} 号")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"grid_id": town.grid_a1.id, "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(URL, params=params, headers=member)).json()
        seen += [h["head_name"] for h in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"户主{i}" for i in range(5)] and len(seen) == 5
    found = await client.get(URL, params={"q": "二组 3"}, headers=member)
    assert [h["head_name"] for h in found.json()["items"]] == ["户主3"]


def _csv(*lines: str) -> bytes:
    return ("\n".join([",".join(HEADER), *lines]) + "\n").encode()


async def test_import_all_or_nothing(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    leader = auth_header(make_user(session, Role.grid_leader, town.grid_a1))
    headers = leader | {"Content-Type": "text/csv"}
    url = f"{URL}/import?grid_id={town.grid_a1.id}"
    bad = await client.post(
        url, content=_csv("张三,一组 1 号,13812345678,2,", "李四,一组 2 号,12345,1,"), headers=headers
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["error"]["detail"][0]["loc"] == ["body", "row 3", "phone"]
    assert session.exec(select(Household).where(Household.grid_id == town.grid_a1.id)).all() == []
    good = await client.post(
        url, content=_csv("张三,一组 1 号,13812345678,2,", "李四,一组 2 号,,1,独居"), headers=headers
    )
    assert good.status_code == 201, good.text
    assert good.json() == {"grid_id": town.grid_a1.id, "imported": 2}
    listed = (await client.get(URL, headers=leader)).json()["items"]
    assert {h["phone_masked"] for h in listed} == {"138****5678", None}


async def test_import_limits(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    leader = auth_header(make_user(session, Role.grid_leader, town.grid_a1))
    url = f"{URL}/import?grid_id={town.grid_a1.id}"
    big = _csv(*["张三,一组 1 号,,1," + "x" * 400] * 3000)
    assert (await client.post(url, content=big, headers=leader | {"Content-Type": "text/csv"})).status_code == 413
    assert (
        await client.post(url, content=_csv(), headers=leader | {"Content-Type": "application/json"})
    ).status_code == 415
    elsewhere = f"{URL}/import?grid_id={town.grid_b1.id}"
    refused = await client.post(elsewhere, content=_csv("张三,一组,,1,"), headers=leader | {"Content-Type": "text/csv"})
    assert refused.status_code == 422
