"""Residents without an account: report, check by code + last 4 digits, rate; rate limits hold."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from core.clock import utc_now
from models.enums import Role
from models.public_schemas import StatusQuery
from models.resident_request import ResidentRequest
from models.resident_request_schemas import ActionCommand
from services.errors import DomainError
from services.requests import public, request_actions
from tests.factories import Town, actor_of, auth_header, category_id, make_resident_request, make_town, make_user


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


def _replied(session: Session, town: Town, phone: str = "13800005678") -> ResidentRequest:
    leader = actor_of(session, make_user(session, Role.grid_leader, town.grid_a1))
    rr = make_resident_request(session, leader, town.grid_a1, phone=phone)
    for body in (
        {"action": "accept"},
        {"action": "dispatch", "handling_unit_id": town.grid_a1.id},
        {"action": "start"},
        {"action": "reply", "closure_type": "substantive", "note": "已修复，请查看"},
    ):
        request_actions.act(session, rr, ActionCommand.model_validate(body), actor=leader, now=utc_now())
    return rr


async def test_self_report_then_check_status(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    units = (await client.get("/api/v1/public/units")).json()
    assert {u["kind"] for u in units} == {"village", "grid"}
    body = {
        "category_id": category_id(session, "环境卫生"),
        "unit_id": town.village_b.id,
        "description": "村后小河里漂着很多垃圾",
        "phone": "138 0000 4321",
    }
    receipt = await client.post("/api/v1/public/requests", json=body)
    assert receipt.status_code == 201, receipt.text
    code = receipt.json()["case_code"]
    status = await client.post("/api/v1/public/status", json={"case_code": code, "phone_last4": "4321"})
    assert status.status_code == 200
    view = status.json()
    assert view["status_label"] == "已登记" and view["can_rate"] is False
    assert view["timeline"][0]["role_label"] == "居民"
    rr = session.exec(select(ResidentRequest).where(ResidentRequest.case_code == code.replace("-", ""))).one()
    assert rr.channel == "self_report" and rr.handling_unit_id == town.village_b.id


async def test_wrong_code_and_wrong_digits_answer_the_same(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    rr = _replied(session, town)
    wrong_digits = await client.post("/api/v1/public/status", json={"case_code": rr.case_code, "phone_last4": "0000"})
    wrong_code = await client.post("/api/v1/public/status", json={"case_code": "ZZZZZ-ZZZZZ", "phone_last4": "5678"})
    assert wrong_digits.status_code == wrong_code.status_code == 404
    assert wrong_digits.json() == wrong_code.json()


async def test_public_view_has_no_staff_names_or_phones(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    rr = _replied(session, town, phone="13912348765")
    response = await client.post("/api/v1/public/status", json={"case_code": rr.case_code, "phone_last4": "8765"})
    text = response.text
    assert "测试用户" not in text and "1391234" not in text
    view = response.json()
    assert view["can_rate"] is True
    reply = [e for e in view["timeline"] if e["action"] == "reply"][0]
    assert reply["note"] == "已修复，请查看" and reply["unit_name"] == "甲村第一网格"


# 不满意: the rating, the reopen and the SMS telling the resident the new date.
@pytest.mark.parametrize(("level", "status", "events"), [("satisfied", "closed", 2), ("unsatisfied", "dispatched", 3)])
async def test_rating_closes_or_reopens(
    client: httpx.AsyncClient, session: Session, town: Town, level: str, status: str, events: int
) -> None:
    rr = _replied(session, town)
    before = rr.event_count
    body: dict[str, Any] = {"case_code": rr.case_code, "phone_last4": "5678", "level": level, "comment": "谢谢"}
    response = await client.post("/api/v1/public/ratings", json=body)
    assert response.status_code == 200, response.text
    session.refresh(rr)
    assert rr.status == status and rr.event_count == before + events
    if level == "unsatisfied":
        assert rr.cycle == 2 and rr.feedback_met_at is None
    again = await client.post("/api/v1/public/ratings", json=body)
    assert again.status_code == 409


async def test_rating_before_reply_is_refused(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    leader = actor_of(session, make_user(session, Role.grid_leader, town.grid_a1))
    rr = make_resident_request(session, leader, town.grid_a1, phone="13800001234")
    body = {"case_code": rr.case_code, "phone_last4": "1234", "level": "satisfied"}
    response = await client.post("/api/v1/public/ratings", json=body)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_ratable"


async def test_guessing_digits_is_rate_limited_per_case_code(
    client: httpx.AsyncClient, session: Session, town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    rr = _replied(session, town)
    frozen = utc_now().replace(minute=1)  # every guess inside one fixed window, however slow the machine
    monkeypatch.setattr("api.routes.public.utc_now", lambda: frozen)
    codes = []
    for guess in range(12):
        response = await client.post(
            "/api/v1/public/status", json={"case_code": rr.case_code, "phone_last4": f"{guess:04d}"}
        )
        codes.append(response.status_code)
    assert codes[:10] == [404] * 10
    assert codes[10:] == [429, 429]
    # The guessing address is not heard on this code any more, not even with the right digits.
    right = await client.post("/api/v1/public/status", json={"case_code": rr.case_code, "phone_last4": "5678"})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    assert re.fullmatch(r"请求过于频繁，请 \d+ 分钟后再试", right.json()["error"]["message"])


def _check(session: Session, rr: ResidentRequest, digits: str, ip: str, now: datetime) -> str:
    try:
        public.find(session, StatusQuery(case_code=rr.case_code, phone_last4=digits), ip=ip, now=now)
    except DomainError as exc:
        return exc.code
    return "ok"


def test_guesses_at_a_code_do_not_lock_its_resident_out(session: Session, town: Town) -> None:
    rr = _replied(session, town)
    now = datetime(2026, 3, 2, 2, 1, tzinfo=UTC)
    guesses = [_check(session, rr, f"{guess:04d}", "10.0.0.9", now) for guess in range(12)]
    assert guesses == ["not_found"] * 10 + ["rate_limited"] * 2
    # The resident, from their own phone: a slip of the finger, then the right digits (status, then rating).
    assert [_check(session, rr, digits, "10.0.0.7", now) for digits in ("5687", "5678", "5678")] == [
        "not_found",
        "ok",
        "ok",
    ]
    # Another address gets a few guesses more once the code's are spent, not many.
    more = [_check(session, rr, f"{guess:04d}", "10.0.0.8", now) for guess in range(20, 25)]
    assert more == ["not_found"] * 3 + ["rate_limited"] * 2
    # The right digits have a small budget of their own (10 an hour: 2 used above).
    right = [_check(session, rr, "5678", "10.0.0.6", now) for _ in range(10)]
    assert right == ["ok"] * 8 + ["rate_limited"] * 2
    assert _check(session, rr, "5678", "10.0.0.6", now + timedelta(hours=1)) == "ok"  # a new hour


async def test_public_input_errors_name_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/public/status", json={"case_code": "ABCDE-23456", "phone_last4": "12a4"})
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["loc"] == ["body", "phone_last4"]


async def test_staff_token_is_not_needed_and_not_used(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    headers = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    response = await client.get("/api/v1/public/categories", headers=headers)
    assert response.status_code == 200 and any(c["name"] == "其他" for c in response.json())


async def test_a_problem_solved_on_the_spot_can_be_rated(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    leader = actor_of(session, make_user(session, Role.grid_leader, town.grid_a1))
    rr = make_resident_request(session, leader, town.grid_a1, phone="13800002468")
    command = ActionCommand(action="resolve_on_spot", note="当场疏通")  # type: ignore[arg-type]
    request_actions.act(session, rr, command, actor=leader, now=utc_now())
    body = {"case_code": rr.case_code, "phone_last4": "2468", "level": "basically_satisfied"}
    response = await client.post("/api/v1/public/ratings", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "closed" and response.json()["ratings"][0]["level"] == "basically_satisfied"


async def test_naive_dates_in_filters_are_a_field_error(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    headers = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    response = await client.get("/api/v1/requests", params={"registered_from": "2026-11-01T00:00:00"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["loc"] == ["query", "registered_from"]
    aware = await client.get(
        "/api/v1/requests", params={"registered_from": "2026-11-01T00:00:00+08:00"}, headers=headers
    )
    assert aware.status_code == 200
