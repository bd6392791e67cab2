from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlmodel import Session

from core.clock import utc_now
from models.enums import Role
from services import audit
from tests.factories import DEFAULT_PASSWORD, actor_of, auth_header, make_town, make_user


async def test_only_auditors_read_the_audit_log(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    auditor = make_user(session, Role.auditor, town.district)
    admin = make_user(session, Role.admin, town.district)
    worker = make_user(session, Role.grid_member, town.grid_a1)
    for user in (admin, worker):
        response = await client.get("/api/v1/audit-log", headers=auth_header(user))
        assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    assert (await client.get("/api/v1/audit-log")).status_code == 401
    assert (await client.get("/api/v1/audit-log", headers=auth_header(auditor))).status_code == 200
    fresh = make_user(session, Role.auditor, town.town, must_change_password=True)
    blocked = await client.get("/api/v1/audit-log", headers=auth_header(fresh))
    assert blocked.json()["error"]["code"] == "password_change_required"


async def test_sign_ins_are_in_the_log_without_full_mobiles(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    auditor = make_user(session, Role.auditor, town.district)
    worker = make_user(session, Role.grid_member, town.grid_a1, mobile="13966660001")
    for password in ("Wrong-2026-pw", DEFAULT_PASSWORD):
        await client.post("/api/v1/auth/login", json={"mobile": "13966660001", "password": password})
    await client.post("/api/v1/auth/login", json={"mobile": "13766660002", "password": "x"})
    response = await client.get("/api/v1/audit-log", params={"action": "login"}, headers=auth_header(auditor))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [(item["result"], item["target_id"], item["reason"]) for item in items] == [
        ("failed", None, "unknown_mobile"),
        ("ok", str(worker.id), None),
        ("failed", str(worker.id), None),
    ]
    assert items[1]["actor_id"] == worker.id and items[1]["actor_role"] == "grid_member"
    assert "13966660001" not in response.text and "13766660002" not in response.text


async def test_filters_and_pages(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    auditor = make_user(session, Role.auditor, town.town)
    admin = actor_of(session, make_user(session, Role.admin, town.town))
    now = utc_now()
    for hours in range(6):
        audit.record(session, "reveal_phone" if hours % 2 else "export", actor=admin, now=now - timedelta(hours=hours))
    audit.record(session, "export", now=now)
    session.flush()
    headers = auth_header(auditor)

    async def page(**params: Any) -> dict[str, Any]:
        response = await client.get("/api/v1/audit-log", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    assert len((await page(action="reveal_phone"))["items"]) == 3
    assert len((await page(actor_id=admin.id))["items"]) == 6
    window = await page(**{"from": (now - timedelta(hours=3, minutes=30)).isoformat(), "to": now.isoformat()})
    assert [datetime.fromisoformat(item["at"]) for item in window["items"]] == [
        now - timedelta(hours=hours)
        for hours in (3, 2, 1)  # newest id first
    ]

    ids: list[int] = []
    cursor = None
    while True:
        body = await page(limit=3, **({"cursor": cursor} if cursor else {}))
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(ids) == 7 and ids == sorted(ids, reverse=True)
    bad = await client.get("/api/v1/audit-log", params={"cursor": "-1"}, headers=headers)
    assert (bad.status_code, bad.json()["error"]["detail"][0]["loc"]) == (422, ["query", "cursor"])


async def test_an_auditor_reads_the_rows_of_their_own_district(client: httpx.AsyncClient, session: Session) -> None:
    ours, theirs = make_town(session), make_town(session, prefix="990202")
    auditor, town_auditor = make_user(session, Role.auditor, ours.district), make_user(session, Role.auditor, ours.town)
    our_admin = actor_of(session, make_user(session, Role.admin, ours.district))
    their_admin = actor_of(session, make_user(session, Role.admin, theirs.district))
    their_worker = make_user(session, Role.grid_member, theirs.grid_a1, mobile="13966660003")
    our_worker = make_user(session, Role.grid_member, ours.grid_a1, mobile="13966660004")
    audit.record(session, "export", actor=our_admin, target_type="household", target_id=1)
    audit.record(session, "export", actor=their_admin, target_type="household", target_id=2)
    audit.record(session, "org_unit_create", target_type="org_unit", target_id=theirs.district.id)
    audit.record(session, "org_unit_create", target_type="org_unit", target_id=ours.district.id)
    session.flush()
    for mobile in ("13966660003", "13966660004", "13766660005"):  # theirs, ours, nobody's
        await client.post("/api/v1/auth/login", json={"mobile": mobile, "password": "Wrong-2026-pw"})

    async def seen(user: Any) -> list[tuple[str, str | None, str | None]]:
        response = await client.get("/api/v1/audit-log", headers=auth_header(user))
        assert response.status_code == 200, response.text
        return [(row["action"], row["target_type"], row["target_id"]) for row in response.json()["items"]]

    nobodys = ("login", None, None)  # an unknown number: the installation's door, every auditor reads it
    assert await seen(auditor) == [
        nobodys,
        ("login", "user", str(our_worker.id)),
        ("org_unit_create", "org_unit", str(ours.district.id)),
        ("export", "household", "1"),
    ]
    assert await seen(town_auditor) == [nobodys, ("login", "user", str(our_worker.id))]  # their town only
    their_auditor = make_user(session, Role.auditor, theirs.district)
    assert ("login", "user", str(their_worker.id)) in await seen(their_auditor)
    assert ("export", "household", "1") not in await seen(their_auditor)
