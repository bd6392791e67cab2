"""Stationing through the API: arranged by admins and town cadres, sessions generated once, attendance, the
duty log and matters recorded by the stationed team."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from core.clock import utc_now
from models.enums import Role
from models.stationing import ReceptionSession
from models.user import User
from services.clocks.calendar import local_today
from tests.factories import Town, auth_header, category_id, make_town, make_user, stationing_body

BASE = "/api/v1/stationings"


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def cadre(session: Session, town: Town) -> User:
    return make_user(session, Role.town_cadre, town.town, name="李驻点")


def _body(town: Town, cadre: User, **extra: Any) -> dict[str, Any]:
    fortnightly = {"start_time": "14:30", "end_time": "17:30", "place": "甲村村委会", "every_weeks": 2}
    return stationing_body(town, cadre, **fortnightly, starts_on="2026-01-06") | extra


async def _create(client: httpx.AsyncClient, town: Town, cadre: User) -> dict[str, Any]:
    created = await client.post(BASE, json=_body(town, cadre), headers=auth_header(cadre))
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_arrange_edit_and_teams(client: httpx.AsyncClient, session: Session, town: Town, cadre: User) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    refused = await client.post(BASE, json=_body(town, cadre), headers=auth_header(member))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    st = await _create(client, town, cadre)
    headers = auth_header(cadre)
    patched = await client.patch(f"{BASE}/{st['id']}", json={"place": "甲村党群服务中心"}, headers=headers)
    assert patched.status_code == 200 and patched.json()["place"] == "甲村党群服务中心"
    bad = await client.patch(f"{BASE}/{st['id']}", json={"end_time": "09:00"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["detail"][0]["loc"] == ["body", "end_time"]
    added = await client.post(
        f"{BASE}/{st['id']}/members", json={"name": "王代表", "team": "stationed"}, headers=headers
    )
    assert added.status_code == 201, added.text
    ended = await client.post(f"{BASE}/{st['id']}/members/{added.json()['id']}/end", headers=headers)
    assert ended.json()["is_active"] is False
    read = (await client.get(f"{BASE}/{st['id']}", headers=auth_header(member))).json()
    assert [m["name"] for m in read["members"]] == ["王代表"]


@pytest.mark.parametrize(
    ("extra", "loc"),
    [
        ({"work_phone": "13812345678"}, ["body", "work_phone"]),  # a personal mobile never goes on a board
        ({"weekday": 6}, ["body", "weekday"]),
        ({"every_weeks": 3}, ["body", "every_weeks"]),
        ({"end_time": "14:00"}, ["body"]),
    ],
)
async def test_invalid_slots_name_their_field(
    client: httpx.AsyncClient, town: Town, cadre: User, extra: dict[str, Any], loc: list[str]
) -> None:
    response = await client.post(BASE, json=_body(town, cadre, **extra), headers=auth_header(cadre))
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["loc"][: len(loc)] == loc


async def test_generate_is_idempotent(client: httpx.AsyncClient, town: Town, cadre: User) -> None:
    st = await _create(client, town, cadre)
    url, headers = f"{BASE}/{st['id']}/sessions", auth_header(cadre)
    first = await client.post(f"{url}/generate", json={"weeks": 8}, headers=headers)
    assert first.status_code == 200 and len(first.json()) in (4, 5)  # fortnightly over 8 weeks
    again = await client.post(f"{url}/generate", json={"weeks": 8}, headers=headers)
    assert again.json() == []
    listed = (await client.get(url, headers=headers)).json()
    assert [s["slot_on"] for s in listed] == [s["slot_on"] for s in first.json()]
    assert all(date.fromisoformat(s["held_on"]) >= local_today(utc_now()) for s in listed)


async def test_attendance_duty_log_and_matters(
    client: httpx.AsyncClient, session: Session, town: Town, cadre: User
) -> None:
    st = await _create(client, town, cadre)
    yesterday = local_today(utc_now()) - timedelta(days=1)
    reception = ReceptionSession(
        stationing_id=st["id"],
        slot_on=yesterday,
        held_on=yesterday,
        start_time=time(14, 30),
        end_time=time(17, 30),
        place="甲村村委会",
    )
    session.add(reception)
    session.flush()
    url, headers = f"/api/v1/reception-sessions/{reception.id}", auth_header(cadre)
    outsider = auth_header(make_user(session, Role.town_cadre, town.town))
    assert (await client.post(f"{url}/attendance", json={"status": "held"}, headers=outsider)).status_code == 403
    missing = await client.post(f"{url}/attendance", json={"status": "rescheduled", "reason": "开会"}, headers=headers)
    assert missing.status_code == 422 and missing.json()["error"]["detail"][0]["loc"] == ["body", "held_on"]
    early = await client.put(f"{url}/duty-log", json={"duty_log": "接待群众 3 人"}, headers=headers)
    assert early.status_code == 409
    held = await client.post(f"{url}/attendance", json={"status": "held"}, headers=headers)
    assert held.status_code == 200 and held.json()["status"] == "held"
    again = await client.post(f"{url}/attendance", json={"status": "missed", "reason": "x"}, headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    logged = await client.put(f"{url}/duty-log", json={"duty_log": "接待群众 3 人，当场解决 1 件"}, headers=headers)
    assert logged.json()["duty_log"] == "接待群众 3 人，当场解决 1 件"
    matter = {"outcome": "solved_on_spot", "category_id": category_id(session), "description": "医保咨询"}
    no_note = await client.post(f"{url}/matters", json=matter, headers=headers)
    assert no_note.status_code == 422 and no_note.json()["error"]["detail"][0]["loc"] == ["body", "note"]
    solved = await client.post(f"{url}/matters", json=matter | {"note": "当场解答"}, headers=headers)
    assert solved.status_code == 201 and solved.json()["status"] == "closed", solved.text
    registered = await client.post(
        f"{url}/matters",
        json={"outcome": "registered", "category_id": category_id(session), "description": "路灯坏"},
        headers=headers,
    )
    assert registered.status_code == 201 and registered.json()["status"] == "registered"
    assert len(registered.json()["case_code"]) > 4


async def test_list_shows_the_villages_in_reach_with_names_and_next_day(
    client: httpx.AsyncClient, session: Session, town: Town, cadre: User
) -> None:
    st = await _create(client, town, cadre)
    generated = await client.post(f"{BASE}/{st['id']}/sessions/generate", json={"weeks": 4}, headers=auth_header(cadre))
    first_day = min(row["held_on"] for row in generated.json())
    in_a = make_user(session, Role.grid_member, town.grid_a1)
    in_b = make_user(session, Role.grid_member, town.grid_b1)
    mine = (await client.get(BASE, headers=auth_header(in_a))).json()
    assert [(row["id"], row["village_name"], row["cadre_name"]) for row in mine] == [(st["id"], "甲村", "李驻点")]
    assert mine[0]["next_session_on"] == first_day
    assert (await client.get(BASE, headers=auth_header(in_b))).json() == []  # village B's worker: not theirs
    by_cadre = await client.get(BASE, params={"cadre_id": cadre.id}, headers=auth_header(cadre))
    assert [row["id"] for row in by_cadre.json()] == [st["id"]]
    bad = await client.get(BASE, params={"village_id": "x"}, headers=auth_header(cadre))
    assert bad.status_code == 422 and bad.json()["error"]["detail"][0]["loc"] == ["query", "village_id"]


async def test_a_stationing_is_read_where_the_list_shows_it(
    client: httpx.AsyncClient, session: Session, town: Town, cadre: User
) -> None:
    st = await _create(client, town, cadre)
    handler = make_user(session, Role.department_handler, town.department)
    on_team = {"name": "水务站张", "team": "support", "user_id": handler.id}
    assert (
        await client.post(f"{BASE}/{st['id']}/members", json=on_team, headers=auth_header(cadre))
    ).status_code == 201
    elsewhere = make_town(session, prefix="990202")
    readers = [make_user(session, Role.grid_member, town.grid_a1), cadre, handler]
    readers.append(make_user(session, Role.admin, town.district))
    outsiders = [
        make_user(session, Role.grid_member, town.grid_b1),  # the other village of the same town
        make_user(session, Role.department_handler, town.department),  # the handler's colleague, not on the team
        make_user(session, Role.town_cadre, elsewhere.town),
        make_user(session, Role.admin, elsewhere.district),
        make_user(session, Role.auditor, town.district),
    ]
    missing = (await client.get(f"{BASE}/999999", headers=auth_header(cadre))).json()
    for path in (f"{BASE}/{st['id']}", f"{BASE}/{st['id']}/sessions"):
        for user in readers:
            assert (await client.get(path, headers=auth_header(user))).status_code == 200, (path, user.role)
        for user in outsiders:
            response = await client.get(path, headers=auth_header(user))
            assert (response.status_code, response.json()) == (404, missing), (path, user.role)
    for user, expected in [(handler, [st["id"]]), (outsiders[1], []), (outsiders[3], [])]:
        assert [row["id"] for row in (await client.get(BASE, headers=auth_header(user))).json()] == expected


async def test_admins_arrange_only_in_their_own_district(
    client: httpx.AsyncClient, session: Session, town: Town, cadre: User
) -> None:
    st = await _create(client, town, cadre)
    url, elsewhere = f"{BASE}/{st['id']}", make_town(session, prefix="990202")
    stranger = auth_header(make_user(session, Role.admin, elsewhere.district))
    attempts = [
        await client.patch(url, json={"place": "外区指定地点"}, headers=stranger),
        await client.post(f"{url}/members", json={"name": "外区干部", "team": "stationed"}, headers=stranger),
        await client.post(f"{url}/sessions/generate", json={"weeks": 2}, headers=stranger),
    ]
    assert [response.status_code for response in attempts] == [404, 404, 404]
    created = await client.post(BASE, json=_body(town, cadre), headers=stranger)
    assert (created.status_code, created.json()["error"]["code"]) == (403, "forbidden")
    yesterday = local_today(utc_now()) - timedelta(days=1)
    reception = ReceptionSession(
        stationing_id=st["id"], slot_on=yesterday, held_on=yesterday, start_time=time(9), end_time=time(11), place="x"
    )
    session.add(reception)
    session.flush()
    held = await client.post(
        f"/api/v1/reception-sessions/{reception.id}/attendance", json={"status": "held"}, headers=stranger
    )
    assert held.status_code == 403
    own = auth_header(make_user(session, Role.admin, town.district))
    assert (await client.patch(url, json={"place": "甲村党群服务中心"}, headers=own)).status_code == 200
    assert (await client.post(BASE, json=_body(town, cadre), headers=own)).status_code == 201


@pytest.mark.parametrize(
    "change",
    [
        {"start_time": "14:30+08:00"},
        {"end_time": "17:30Z"},
        {"start_time": None},
        {"end_time": None},
        {"place": None},
        {"weekday": None},
        {"is_active": None},
    ],
)
async def test_a_time_with_an_offset_or_a_cleared_field_is_a_field_error(
    client: httpx.AsyncClient, town: Town, cadre: User, change: dict[str, Any]
) -> None:
    st = await _create(client, town, cadre)
    (name,) = change
    response = await client.patch(f"{BASE}/{st['id']}", json=change, headers=auth_header(cadre))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error" and error["detail"][0]["loc"] == ["body", name]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["detail"][0]["msg"])  # said in Chinese


async def test_times_are_local_clock_times_everywhere(client: httpx.AsyncClient, town: Town, cadre: User) -> None:
    offset = await client.post(BASE, json=_body(town, cadre, start_time="09:00+08:00"), headers=auth_header(cadre))
    assert offset.status_code == 422 and offset.json()["error"]["detail"][0]["loc"] == ["body", "start_time"]
    st = await _create(client, town, cadre)
    cleared = await client.patch(f"{BASE}/{st['id']}", json={"work_phone": None}, headers=auth_header(cadre))
    assert cleared.status_code == 200 and cleared.json()["work_phone"] is None  # the one field that may be empty
    moved = await client.patch(f"{BASE}/{st['id']}", json={"start_time": "14:00"}, headers=auth_header(cadre))
    assert moved.status_code == 200 and moved.json()["start_time"] == "14:00"  # answered as it is asked
    with_seconds = await client.patch(f"{BASE}/{st['id']}", json={"start_time": "14:00:00"}, headers=auth_header(cadre))
    assert with_seconds.status_code == 422  # HH:MM, as the SLA policies' quiet hours


async def test_clock_times_are_answered_as_they_are_asked(client: httpx.AsyncClient, town: Town, cadre: User) -> None:
    st = await _create(client, town, cadre)
    assert (st["start_time"], st["end_time"]) == ("14:30", "17:30")
    headers = auth_header(cadre)
    await client.post(f"{BASE}/{st['id']}/sessions/generate", json={"weeks": 2}, headers=headers)
    sessions = (await client.get(f"{BASE}/{st['id']}/sessions", headers=headers)).json()
    assert sessions and {(s["start_time"], s["end_time"]) for s in sessions} == {("14:30", "17:30")}
    board = (await client.get(f"/api/v1/public/board/{town.village_a.id}")).json()
    assert [(c["start_time"], c["end_time"]) for c in board["cadres"]] == [("14:30", "17:30")]
