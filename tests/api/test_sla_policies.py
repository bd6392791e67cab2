from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from core.clock import utc_now
from models.audit import AuditLog
from models.enums import Role, SlaClock
from models.sla import SlaTimer
from tests.factories import Town, actor_of, auth_header, category_id, make_resident_request, make_town, make_user

URL = "/api/v1/sla/policies"
CHANGE = {"request_class": "general", "clock": "feedback", "unit": "calendar_days", "amount": 5, "reason": "试点"}


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def admin(session: Session, town: Town) -> dict[str, str]:
    return auth_header(make_user(session, Role.admin, town.district))


def header(session: Session, town: Town, role: Role) -> dict[str, str]:
    unit = {Role.town_cadre: town.town, Role.grid_member: town.grid_a1}.get(role, town.district)
    return auth_header(make_user(session, role, unit))


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "detail"} and error["code"] == code and error["message"]
    return dict(error)


def pick(policies: list[dict[str, Any]], scope: str, clock: str = "feedback") -> list[dict[str, Any]]:
    return [p for p in policies if p["scope"] == scope and p["clock"] == clock]


async def test_readers_see_the_current_version_of_every_class_and_clock_with_labels(
    client: httpx.AsyncClient, session: Session, town: Town
) -> None:
    for role in (Role.admin, Role.auditor, Role.town_cadre):
        response = await client.get(URL, headers=header(session, town, role))
        assert response.status_code == 200, response.text
    listed = response.json()
    assert [(p["request_class"], p["clock"]) for p in listed[:2]] == [
        ("emergency", "feedback"),
        ("emergency", "response"),
    ]
    assert len(listed) == 10 and all(p["is_current"] and p["version"] == 1 for p in listed)
    (general,) = pick(listed, "class:general")
    assert general["scope_label"] == "一般类" and general["clock_label"] == "反馈"
    assert (general["amount"], general["unit"], general["unit_label"]) == (7, "calendar_days", "自然日")
    assert general["duration_label"] == "7 个自然日" and general["quiet_start"] == "22:00"
    (consultation,) = pick(listed, "class:consultation")
    assert consultation["unit_label"] == "工作日"
    assert pick(listed, "class:general", "response")[0]["duration_label"] == "24 小时"
    one = await client.get(f"{URL}/{general['id']}", headers=header(session, town, Role.auditor))
    assert one.status_code == 200 and one.json() == general
    assert_error(await client.get(f"{URL}/999999", headers=header(session, town, Role.admin)), 404, "not_found")
    assert_error(await client.get(URL, headers=header(session, town, Role.grid_member)), 403, "permission_denied")
    assert_error(await client.get(URL), 401, "not_authenticated")


async def test_a_change_makes_version_2_and_history_shows_both(
    client: httpx.AsyncClient, session: Session, admin: dict[str, str]
) -> None:
    body = CHANGE | {"warn_percent": 60, "quiet_start": "21:30", "quiet_end": "07:30", "pause_statuses": ["accepted"]}
    response = await client.post(URL, json=body, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["version"], created["is_current"], created["amount"]) == (2, True, 5)
    assert (created["quiet_start"], created["quiet_end"], created["pause_statuses"]) == ("21:30", "07:30", ["accepted"])
    (current,) = pick((await client.get(URL, headers=admin)).json(), "class:general")
    assert current["id"] == created["id"]
    history = pick((await client.get(URL, params={"history": True}, headers=admin)).json(), "class:general")
    assert [(p["version"], p["is_current"]) for p in history] == [(2, True), (1, False)]
    entry = session.exec(select(AuditLog).where(AuditLog.action == "sla_policy.change")).one()
    assert entry.reason == "试点" and entry.target_id == str(created["id"])
    assert entry.detail is not None and entry.detail["before"]["version"] == 1 and entry.detail["after"]["version"] == 2
    assert_error(await client.post(URL, json=body, headers=admin), 409, "policy_unchanged")


async def test_a_category_policy_and_its_retirement(
    client: httpx.AsyncClient, session: Session, admin: dict[str, str]
) -> None:
    infrastructure = category_id(session, "基础设施")
    body = CHANGE | {"request_class": None, "category_id": infrastructure, "amount": 3}
    created = (await client.post(URL, json=body, headers=admin)).json()
    assert created["scope"] == f"category:{infrastructure}" and created["scope_label"] == "基础设施"
    assert created["request_class"] is None and created["category_id"] == infrastructure
    listed = (await client.get(URL, headers=admin)).json()
    assert listed[-1]["id"] == created["id"]  # categories after the classes
    response = await client.post(f"{URL}/{created['id']}/retire", json={"reason": "试点结束"}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["is_current"] is False
    assert pick((await client.get(URL, headers=admin)).json(), created["scope"]) == []
    retire_again = await client.post(f"{URL}/{created['id']}/retire", json={"reason": "再停"}, headers=admin)
    assert_error(retire_again, 409, "policy_not_current")
    general = pick(listed, "class:general")[0]["id"]
    retire_class = await client.post(f"{URL}/{general}/retire", json={"reason": "停"}, headers=admin)
    assert_error(retire_class, 409, "class_policy_required")
    assert_error(await client.post(f"{URL}/{general}/retire", json={}, headers=admin), 422, "validation_error")


async def test_preview_then_repin(
    client: httpx.AsyncClient, session: Session, town: Town, admin: dict[str, str]
) -> None:
    member = actor_of(session, make_user(session, Role.grid_member, town.grid_a1))
    started = utc_now() - timedelta(hours=1)
    rrs = [make_resident_request(session, member, town.grid_a1, now=started) for _ in range(2)]
    created = (await client.post(URL, json=CHANGE | {"amount": 10}, headers=admin)).json()
    old = pick((await client.get(URL, params={"history": True}, headers=admin)).json(), "class:general")[-1]["id"]

    preview = await client.post(f"{URL}/{created['id']}/repin", json={"preview": True}, headers=admin)
    assert preview.status_code == 200, preview.text
    assert preview.json() == {"preview": True, "timers": 2, "repinned": 0, "due_moved": 0}
    assert session.exec(select(AuditLog).where(AuditLog.action == "sla_policy.repin")).all() == []
    missing_reason = await client.post(f"{URL}/{created['id']}/repin", json={"preview": False}, headers=admin)
    assert assert_error(missing_reason, 422, "validation_error")["detail"][0]["loc"] == ["body", "reason"]
    stale = await client.post(f"{URL}/{old}/repin", json={"preview": False, "reason": "旧版"}, headers=admin)
    assert_error(stale, 409, "policy_not_current")

    body = {"preview": False, "reason": "统一按新时限"}
    response = await client.post(f"{URL}/{created['id']}/repin", json=body, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json() == {"preview": False, "timers": 2, "repinned": 2, "due_moved": 2}
    assert len(session.exec(select(AuditLog).where(AuditLog.action == "sla_policy.repin")).all()) == 1
    for rr in rrs:
        session.refresh(rr)
        timer = session.exec(
            select(SlaTimer).where(SlaTimer.resident_request_id == rr.id, SlaTimer.clock == SlaClock.feedback)
        ).one()
        session.refresh(timer)
        assert timer.policy_id == created["id"] and rr.feedback_due_at == timer.due_at
        assert timer.due_at - timer.started_at > timedelta(days=9)


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"request_class": None}, ["body", "category_id"]),
        ({"category_id": 1}, ["body", "category_id"]),
        ({"request_class": "urgent"}, ["body", "request_class"]),
        ({"amount": 0}, ["body", "amount"]),
        ({"amount": 91}, ["body", "amount"]),
        ({"unit": "working_days", "amount": 91}, ["body", "amount"]),
        ({"unit": "hours", "amount": 721}, ["body", "amount"]),
        ({"unit": "weeks"}, ["body", "unit"]),
        ({"clock": "resolve"}, ["body", "clock"]),
        ({"warn_percent": 100}, ["body", "warn_percent"]),
        ({"warn_percent": 0}, ["body", "warn_percent"]),
        ({"leadership_after_days": 31}, ["body", "leadership_after_days"]),
        ({"quiet_start": "24:00"}, ["body", "quiet_start"]),
        ({"quiet_end": "7:00"}, ["body", "quiet_end"]),
        ({"quiet_end": "07:00:00"}, ["body", "quiet_end"]),
        ({"pause_statuses": ["replied"]}, ["body", "pause_statuses", 0]),
        ({"pause_statuses": ["accepted", "waiting"]}, ["body", "pause_statuses", 1]),
        ({"reason": "  "}, ["body", "reason"]),
        ({"reason": None}, ["body", "reason"]),
    ],
)
async def test_invalid_input_is_422_with_the_field_path(
    client: httpx.AsyncClient, admin: dict[str, str], change: dict[str, Any], loc: list[Any]
) -> None:
    body = {key: value for key, value in (CHANGE | change).items() if value is not None}
    error = assert_error(await client.post(URL, json=body, headers=admin), 422, "validation_error")
    assert [item["loc"] for item in error["detail"]] == [loc]


async def test_an_unknown_or_inactive_category_is_422_on_category_id(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = CHANGE | {"request_class": None, "category_id": 999_999}
    error = assert_error(await client.post(URL, json=body, headers=admin), 422, "category_invalid")
    assert error["detail"][0]["loc"] == ["body", "category_id"]
    inactive = (
        await client.post("/api/v1/categories", json={"name": "旧分类", "request_class": "general"}, headers=admin)
    ).json()
    await client.patch(f"/api/v1/categories/{inactive['id']}", json={"is_active": False}, headers=admin)
    body = CHANGE | {"request_class": None, "category_id": inactive["id"]}
    assert_error(await client.post(URL, json=body, headers=admin), 422, "category_invalid")


async def test_only_admins_write(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    for role in (Role.town_cadre, Role.auditor):
        headers = header(session, town, role)
        assert_error(await client.post(URL, json=CHANGE, headers=headers), 403, "permission_denied")
        assert_error(
            await client.post(f"{URL}/1/repin", json={"preview": True}, headers=headers), 403, "permission_denied"
        )
        retire = await client.post(f"{URL}/1/retire", json={"reason": "停"}, headers=headers)
        assert_error(retire, 403, "permission_denied")
