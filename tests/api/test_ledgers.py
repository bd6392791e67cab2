"""Ledgers through the API: types by admins, enrolment checks, sensitive reads limited and audited, due list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from core.clock import utc_now
from models.audit import AuditLog
from models.enums import Role
from models.grid import Household, LedgerType, Visit
from models.user import User
from tests.factories import Town, auth_header, make_town, make_user

ENROL = "/api/v1/ledgers/enrolments"


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


def _type_id(session: Session, code: str) -> int:
    found = session.exec(select(LedgerType.id).where(LedgerType.code == code)).first()
    assert found is not None
    return found


def _household(session: Session, town: Town, name: str = "张三") -> Household:
    assert town.grid_a1.id is not None
    household = Household(grid_id=town.grid_a1.id, head_name=name, address_text="一组")
    session.add(household)
    session.flush()
    return household


def _body(session: Session, household: Household, responsible: User, **extra: Any) -> dict[str, Any]:
    return {
        "ledger_type_id": _type_id(session, "elderly_alone"),
        "household_id": str(household.id),
        "responsible_user_id": responsible.id,
        "attributes": {"living_alone": True},
    } | extra


async def test_admin_edits_types_others_read(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    admin = auth_header(make_user(session, Role.admin, town.district))
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    codes = [t["code"] for t in (await client.get("/api/v1/ledger-types", headers=member)).json()]
    assert {"left_behind_child", "elderly_alone", "hardship", "disability"} <= set(codes)
    body = {"code": "veteran", "name": "退役军人", "is_sensitive": False, "attribute_names": ["service"]}
    assert (await client.post("/api/v1/ledger-types", json=body, headers=member)).status_code == 403
    created = await client.post("/api/v1/ledger-types", json=body, headers=admin)
    assert created.status_code == 201, created.text
    patched = await client.patch(
        f"/api/v1/ledger-types/{created.json()['id']}", json={"visit_every_days": 90}, headers=admin
    )
    assert patched.json()["visit_every_days"] == 90
    assert (await client.post("/api/v1/ledger-types", json=body, headers=admin)).status_code == 409


async def test_enrolment_checks(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    leader_user = make_user(session, Role.grid_leader, town.grid_a1)
    member = make_user(session, Role.grid_member, town.grid_a1)
    elsewhere = make_user(session, Role.grid_member, town.grid_a2)
    leader = auth_header(leader_user)
    household = _household(session, town)
    wrong_attr = await client.post(
        ENROL, json=_body(session, household, member, attributes={"salary": 1}), headers=leader
    )
    assert wrong_attr.status_code == 422 and wrong_attr.json()["error"]["detail"][0]["loc"] == ["body", "attributes"]
    wrong_person = await client.post(ENROL, json=_body(session, household, elsewhere), headers=leader)
    assert wrong_person.status_code == 422
    assert wrong_person.json()["error"]["detail"][0]["loc"] == ["body", "responsible_user_id"]
    ok = await client.post(ENROL, json=_body(session, household, member), headers=leader)
    assert ok.status_code == 201, ok.text
    assert ok.json()["visit_every_days"] == 7
    ended = await client.post(f"{ENROL}/{ok.json()['id']}/end", headers=leader)
    assert ended.status_code == 200 and ended.json()["is_active"] is False
    assert (await client.post(f"{ENROL}/{ok.json()['id']}/end", headers=leader)).status_code == 409
    listed = await client.get(ENROL, params={"include_ended": True}, headers=leader)
    assert [e["ended_at"] is not None for e in listed.json()["items"]] == [True]


async def test_sensitive_reads_are_limited_and_audited(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    leader = auth_header(make_user(session, Role.grid_leader, town.grid_a1))
    responsible = make_user(session, Role.grid_member, town.grid_a1)
    colleague = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    handler = auth_header(make_user(session, Role.department_handler, town.department))
    created = await client.post(ENROL, json=_body(session, _household(session, town), responsible), headers=leader)
    eid = created.json()["id"]
    type_id = _type_id(session, "elderly_alone")

    def reads() -> list[AuditLog]:
        return list(
            session.exec(select(AuditLog).where(AuditLog.action == "ledger.read").order_by(col(AuditLog.id))).all()
        )

    listed = await client.get(ENROL, params={"ledger_type_id": type_id}, headers=leader)
    assert [e["id"] for e in listed.json()["items"]] == [eid]
    assert (await client.get(f"{ENROL}/{eid}", headers=auth_header(responsible))).status_code == 200
    assert [(a.detail, a.target_id) for a in reads()] == [
        ({"count": 1, "ledger_types": ["elderly_alone"]}, eid),
        ({"count": 1, "ledger_types": ["elderly_alone"]}, eid),
    ]
    refused = await client.get(ENROL, params={"ledger_type_id": type_id}, headers=handler)
    assert refused.status_code == 403
    assert (await client.get(f"{ENROL}/{eid}", headers=handler)).status_code == 404
    assert (await client.get(f"{ENROL}/{eid}", headers=colleague)).status_code == 404
    assert (await client.get(ENROL, headers=colleague)).json()["items"] == []
    assert len(reads()) == 2


async def test_due_list_order(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    leader = auth_header(make_user(session, Role.grid_leader, town.grid_a1))
    now = utc_now()
    _household(session, town, "从未走访")
    long_ago = _household(session, town, "六十天前")
    recent = _household(session, town, "昨天")
    weekly = _household(session, town, "独居十天前")
    assert (await client.post(ENROL, json=_body(session, weekly, member), headers=leader)).status_code == 201
    for household, days in [(long_ago, 60), (recent, 1), (weekly, 10)]:
        at = now - timedelta(days=days)
        assert household.grid_id is not None and member.id is not None
        session.add(
            Visit(
                grid_id=household.grid_id,
                household_id=household.id,
                visitor_id=member.id,
                visited_at=at,
                received_at=at,
            )
        )
    session.flush()
    due = await client.get("/api/v1/visits/due", headers=auth_header(member))
    assert due.status_code == 200, due.text
    assert [d["head_name"] for d in due.json()] == ["从未走访", "六十天前", "独居十天前"]
    assert [d["days_overdue"] for d in due.json()] == [None, 30, 3]
    assert due.json()[2]["ledger_type_codes"] == ["elderly_alone"]
    other = auth_header(make_user(session, Role.village_staff, town.village_a))
    assert (await client.get("/api/v1/visits/due", headers=other)).status_code == 403


async def test_coverage_names_its_denominator(client: httpx.AsyncClient, session: Session, town: Town) -> None:
    member = make_user(session, Role.grid_member, town.grid_a1)
    start = utc_now() - timedelta(days=30)
    visited, _, fresh = (_household(session, town, n) for n in ("已走访", "未走访", "刚走访过"))
    assert member.id is not None and town.grid_a1.id is not None
    for household in (visited, fresh, _):
        household.created_at = start - timedelta(days=90)
    for household, at in [(visited, start + timedelta(days=3)), (fresh, start - timedelta(days=1))]:
        session.add(
            Visit(
                grid_id=town.grid_a1.id, household_id=household.id, visitor_id=member.id, visited_at=at, received_at=at
            )
        )
    session.flush()
    params: dict[str, str | int] = {
        "grid_id": town.grid_a1.id,
        "from": start.isoformat(),
        "to": (start + timedelta(days=10)).isoformat(),
    }
    result = await client.get("/api/v1/visits/coverage", params=params, headers=auth_header(member))
    assert result.status_code == 200, result.text
    body = result.json()
    assert (body["households_total"], body["households_due"], body["households_due_visited"]) == (3, 2, 1)
    assert body["coverage"] == 0.5
    handler = auth_header(make_user(session, Role.department_handler, town.department))
    assert (await client.get("/api/v1/visits/coverage", params=params, headers=handler)).status_code == 422
