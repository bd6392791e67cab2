"""The README's reception-day walk (驻点直联), request by request: the next reception day on the public board,
a session held with one matter solved on the spot and one registered, the registered one transferred to a
department whose reply closes the loop within the 7-day clock, and the board and weekly summary counting it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from core.clock import utc_now
from core.settings import get_settings
from models.enums import Role
from models.resident_request import ResidentRequest
from models.user import User
from services.clocks.calendar import local_today
from services.rules.case_code import format_case_code
from services.rules.sla import end_of_day
from services.stationing import stationing_summary
from tests.factories import Town, auth_header, category_id, make_town, make_user, stationing_body

API = "/api/v1"
PHONE = "13912345678"


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


async def _ok(client: httpx.AsyncClient, method: str, url: str, user: User | None, **kw: Any) -> Any:
    """One request of the walk; every step must succeed (2xx)."""
    headers = auth_header(user) if user is not None else {}
    response = await client.request(method, f"{API}{url}", headers=headers, **kw)
    assert response.is_success, f"{method} {url}: {response.status_code} {response.text}"
    return response.json()


async def _act(client: httpx.AsyncClient, user: User, request_id: str, **body: Any) -> dict[str, Any]:
    return dict(await _ok(client, "POST", f"/requests/{request_id}/actions", user, json=body))


async def _arrange(client: httpx.AsyncClient, town: Town, cadre: User) -> tuple[int, list[dict[str, Any]]]:
    """The stationing of village A and its generated sessions (what the demo data already has)."""
    body = stationing_body(town, cadre, starts_on=(local_today(utc_now()) - timedelta(days=21)).isoformat())
    stationing = await _ok(client, "POST", "/stationings", cadre, json=body)
    url = f"/stationings/{stationing['id']}/sessions/generate"
    generated = await _ok(client, "POST", url, cadre, json={"weeks": 4})
    return stationing["id"], generated


async def _hold_today(client: httpx.AsyncClient, cadre: User, reception: dict[str, Any]) -> str:
    """Step 3: a session is recorded on its day; the walk moves the next one to today when it is later."""
    today = local_today(utc_now()).isoformat()
    url = f"/reception-sessions/{reception['id']}"
    if reception["held_on"] != today:
        early = await client.post(f"{API}{url}/attendance", json={"status": "held"}, headers=auth_header(cadre))
        assert early.status_code == 422 and early.json()["error"]["code"] == "not_yet"
        body = {"status": "rescheduled", "reason": "提前到今天接待", "held_on": today}
        moved = await _ok(client, "POST", f"{url}/attendance", cadre, json=body)
        assert (moved["status"], moved["held_on"]) == ("rescheduled", today)
    held = await _ok(client, "POST", f"{url}/attendance", cadre, json={"status": "held"})
    assert held["status"] == "held"
    log = "接待 2 人次，当场解答 1 件，登记 1 件"
    logged = await _ok(client, "PUT", f"{url}/duty-log", cadre, json={"duty_log": log})
    assert logged["duty_log"] == log
    return url


async def test_a_reception_day_from_the_board_to_a_closed_request(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    cadre = make_user(session, Role.town_cadre, town.town, name="李驻点")
    dept = make_user(session, Role.department_handler, town.department, name="王水务")
    stationing_id, generated = await _arrange(client, town, cadre)
    first = generated[0]

    # 1. The next reception day, on the public board (no login) and in the cadre's list of stationings.
    board = await _ok(client, "GET", f"/public/board/{town.village_a.id}", None)
    assert [c["next_session_on"] for c in board["cadres"]] == [first["held_on"]]
    page = await client.get(f"{API}/public/board/{town.village_a.id}.html")
    assert f"{datetime.fromisoformat(first['held_on']):%Y年%m月%d日}" in page.text
    listed = await _ok(client, "GET", "/stationings", cadre, params={"village_id": town.village_a.id})
    assert [(s["id"], s["next_session_on"]) for s in listed] == [(stationing_id, first["held_on"])]
    today = local_today(utc_now()).isoformat()
    sessions = await _ok(client, "GET", f"/stationings/{stationing_id}/sessions", cadre, params={"since": today})
    assert sessions[0]["id"] == first["id"] and sessions[0]["status"] == "scheduled"

    # 2–4. Hold it, write the duty log, record one matter solved on the spot and one registered.
    url = await _hold_today(client, cadre, sessions[0])
    solved = await _ok(
        client,
        "POST",
        f"{url}/matters",
        cadre,
        json={
            "outcome": "solved_on_spot",
            "category_id": category_id(session, "政策咨询"),
            "description": "咨询新农合缴费标准",
            "reporter_phone": PHONE,
            "note": "当场讲解缴费标准和线上缴费渠道",
        },
    )
    assert solved["status"] == "closed"
    registered = await _ok(
        client,
        "POST",
        f"{url}/matters",
        cadre,
        json={
            "outcome": "registered",
            "category_id": category_id(session, "基础设施"),
            "description": "村口排水沟堵塞，雨天积水",
            "unit_id": town.grid_a1.id,
            "reporter_phone": PHONE,
        },
    )
    assert registered["status"] == "registered"
    request_id = registered["resident_request_id"]

    # 5. A request with channel reception and its 7-day feedback clock running.
    detail = await _ok(client, "GET", f"/requests/{request_id}", cadre)
    assert (detail["channel"], detail["case_code"]) == ("reception", registered["case_code"])
    registered_on = local_today(datetime.fromisoformat(detail["registered_at"]))
    due = end_of_day(registered_on + timedelta(days=7), get_settings().tz)
    assert datetime.fromisoformat(detail["feedback_due_at"]) == due

    # 6. The stationed cadre transfers it to the department.
    sent = await _act(client, cadre, request_id, action="transfer", department_id=town.department.id, note="请尽快疏通")
    assert (sent["status"], sent["handling_unit_id"]) == ("dispatched", town.department.id)

    # 7. The department finds it in its inbox, signs for it, contacts the resident, works on it and replies.
    inbox = await _ok(client, "GET", "/requests", dept, params={"inbox": "true"})
    assert [(i["id"], i["reasons"]) for i in inbox["items"]] == [(request_id, ["to_sign"])]
    await _act(client, dept, request_id, action="sign_for")
    await _act(client, dept, request_id, action="first_contact", note="已电话联系居民，约定下午查看")
    await _act(client, dept, request_id, action="start")
    replied = await _act(client, dept, request_id, action="reply", closure_type="substantive", note="排水沟已疏通")
    assert replied["status"] == "replied"
    feedback = next(clock for clock in replied["sla"] if clock["clock"] == "feedback")
    assert datetime.fromisoformat(feedback["met_at"]) <= datetime.fromisoformat(feedback["due_at"]) == due
    stored = session.get(ResidentRequest, uuid.UUID(request_id))
    assert stored is not None and stored.feedback_met_at is not None
    assert stored.feedback_met_at <= stored.feedback_due_at

    # 8. The resident checks it with the case code and rates it: satisfied closes it.
    query = {"case_code": registered["case_code"], "phone_last4": PHONE[-4:]}
    status = await _ok(client, "POST", "/public/status", None, json=query)
    assert (status["case_code"], status["status_label"], status["can_rate"]) == (
        format_case_code(registered["case_code"]),
        "已答复",
        True,
    )
    rated = await _ok(client, "POST", "/public/ratings", None, json=query | {"level": "satisfied", "comment": "很快"})
    assert (rated["status"], rated["status_label"]) == ("closed", "已办结")

    # 9. The board counts the session and both matters; its next day is the following session.
    board = await _ok(client, "GET", f"/public/board/{town.village_a.id}", None)
    assert board["results"] == {
        "received": 2,
        "solved_on_spot": 1,
        "fed_back_on_time": 2,
        "sessions_held": 1,
        "sessions_missed": 0,
        "attendance_rate": 1.0,
    }
    assert board["cadres"][0]["next_session_on"] == generated[1]["held_on"]
    # Next Monday's weekly summary covers this week: the session held, both matters, one transfer.
    assert cadre.id is not None
    week = stationing_summary.figures(session, cadre.id, utc_now() + timedelta(days=7))
    assert (week.sessions_held, week.sessions_missed, week.matters, week.solved_on_spot, week.transferred) == (
        1,
        0,
        2,
        1,
        1,
    )
