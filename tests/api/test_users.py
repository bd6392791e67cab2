from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from models.audit import AuditLog
from models.enums import Role, UnitKind
from models.user import RefreshToken, User
from services.people.users import role_fits_unit
from tests.factories import DEFAULT_PASSWORD, Town, auth_header, make_town, make_user

NEW_MOBILE = "13955550123"


@pytest.mark.parametrize(
    ("role", "kind", "fits"),
    [
        (Role.grid_member, UnitKind.grid, True),
        (Role.grid_member, UnitKind.village, False),
        (Role.grid_leader, UnitKind.grid, True),
        (Role.grid_leader, UnitKind.town, False),
        (Role.village_staff, UnitKind.village, True),
        (Role.village_staff, UnitKind.grid, False),
        (Role.town_cadre, UnitKind.town, True),
        (Role.town_cadre, UnitKind.district, False),
        (Role.department_handler, UnitKind.department, True),
        (Role.department_handler, UnitKind.town, False),
        (Role.admin, UnitKind.district, True),
        (Role.admin, UnitKind.town, True),
        (Role.admin, UnitKind.village, False),
        (Role.auditor, UnitKind.district, True),
        (Role.auditor, UnitKind.town, True),
        (Role.auditor, UnitKind.department, False),
    ],
)
def test_role_fits_unit(role: Role, kind: UnitKind, fits: bool) -> None:
    assert role_fits_unit(role, kind) is fits


def _admin(session: Session) -> tuple[Town, User]:
    town = make_town(session)
    return town, make_user(session, Role.admin, town.town, name="镇管理员")


def _new_user(town: Town, **changes: Any) -> dict[str, Any]:
    body = {
        "name": "新网格员",
        "mobile": NEW_MOBILE,
        "role": "grid_member",
        "org_unit_id": town.grid_a1.id,
        "initial_password": "Init-2026-pw",
    }
    return {**body, **changes}


async def test_admin_creates_an_account_that_must_change_its_password(
    client: httpx.AsyncClient, session: Session
) -> None:
    town, admin = _admin(session)
    response = await client.post("/api/v1/users", json=_new_user(town), headers=auth_header(admin))
    assert response.status_code == 201, response.text
    body = response.json()
    assert NEW_MOBILE not in response.text
    assert body["mobile_masked"] == "139****0123"
    assert (body["role"], body["role_label"], body["org_unit_name"]) == ("grid_member", "网格员", "甲村第一网格")
    assert body["must_change_password"] is True and body["is_active"] is True
    login = await client.post("/api/v1/auth/login", json={"mobile": NEW_MOBILE, "password": "Init-2026-pw"})
    assert login.json()["must_change_password"] is True
    created = session.exec(select(AuditLog).where(AuditLog.action == "user_create")).one()
    assert (created.actor_id, created.target_id) == (admin.id, str(body["id"]))


async def test_one_account_per_mobile(client: httpx.AsyncClient, session: Session) -> None:
    town, admin = _admin(session)
    assert (await client.post("/api/v1/users", json=_new_user(town), headers=auth_header(admin))).status_code == 201
    again = _new_user(town, mobile="+86 139 5555 0123", org_unit_id=town.grid_b1.id)
    response = await client.post("/api/v1/users", json=again, headers=auth_header(admin))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "mobile_taken")


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"role": "village_staff"}, "role", "role_unit_mismatch"),
        ({"role": "admin"}, "role", "role_unit_mismatch"),
        ({"initial_password": "password"}, "initial_password", "weak_password"),
        ({"mobile": "0571-8888888"}, "mobile", "mobile_invalid"),
        ({"name": "   "}, "name", None),
        ({"org_unit_id": 0}, "org_unit_id", None),
    ],
)
async def test_create_checks_each_field(
    client: httpx.AsyncClient, session: Session, changes: dict[str, Any], field: str, code: str | None
) -> None:
    town, admin = _admin(session)
    response = await client.post("/api/v1/users", json=_new_user(town, **changes), headers=auth_header(admin))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["detail"][0]["loc"] == ["body", field]
    if code:
        assert error["code"] == code


async def test_admin_cannot_reach_outside_the_subtree(client: httpx.AsyncClient, session: Session) -> None:
    town, admin = _admin(session)
    other = make_town(session, prefix="990102")
    stranger = make_user(session, Role.grid_member, other.grid_a1, name="外镇网格员")
    headers = auth_header(admin)
    assert (await client.get(f"/api/v1/users/{stranger.id}", headers=headers)).status_code == 404
    patch = await client.patch(f"/api/v1/users/{stranger.id}", json={"name": "改名"}, headers=headers)
    assert patch.status_code == 404
    reset = await client.post(
        f"/api/v1/users/{stranger.id}/reset-password", json={"initial_password": "Init-2026-pw"}, headers=headers
    )
    assert reset.status_code == 404
    outside = await client.post("/api/v1/users", json=_new_user(other), headers=headers)
    assert (outside.status_code, outside.json()["error"]["code"]) == (404, "unit_not_found")
    names = [item["name"] for item in (await client.get("/api/v1/users", headers=headers)).json()["items"]]
    assert "外镇网格员" not in names and "镇管理员" in names


async def test_only_admins_manage_accounts(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    for role, unit in [(Role.town_cadre, town.town), (Role.auditor, town.district), (Role.grid_leader, town.grid_a1)]:
        user = make_user(session, role, unit)
        response = await client.get("/api/v1/users", headers=auth_header(user))
        assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    assert (await client.get("/api/v1/users")).status_code == 401


async def test_list_filters_and_pages(client: httpx.AsyncClient, session: Session) -> None:
    town, admin = _admin(session)
    for name, role, unit in [
        ("张网格", Role.grid_member, town.grid_a1),
        ("李网格", Role.grid_leader, town.grid_a2),
        ("王网格", Role.grid_member, town.grid_b1),
        ("赵村干", Role.village_staff, town.village_a),
    ]:
        make_user(session, role, unit, name=name)
    headers = auth_header(admin)

    async def names(**params: Any) -> list[str]:
        response = await client.get("/api/v1/users", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    listing = await client.get("/api/v1/users", headers=headers)
    assert re.search(r"1[3-9]\d{9}", listing.text) is None  # masked mobiles only
    assert await names(role="grid_member") == ["张网格", "王网格"]
    assert await names(org_unit_id=town.village_a.id) == ["张网格", "李网格", "赵村干"]
    assert await names(q="网格") == ["张网格", "李网格", "王网格"]
    assert await names(q="%") == []

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/users", params=params, headers=headers)).json()
        assert len(page["items"]) <= 2
        seen += [item["name"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["镇管理员", "张网格", "李网格", "王网格", "赵村干"]
    for bad in ("abc", "0", "99999999999"):
        response = await client.get("/api/v1/users", params={"cursor": bad}, headers=headers)
        assert response.status_code == 422
    assert (await client.get("/api/v1/users", params={"limit": 201}, headers=headers)).status_code == 422


async def _signed_in(client: httpx.AsyncClient, mobile: str) -> dict[str, Any]:
    response = await client.post("/api/v1/auth/login", json={"mobile": mobile, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_role_change_ends_every_session(client: httpx.AsyncClient, session: Session) -> None:
    town, admin = _admin(session)
    worker = make_user(session, Role.grid_member, town.grid_a1, mobile="13955550200")
    tokens = await _signed_in(client, "13955550200")
    url = f"/api/v1/users/{worker.id}"
    response = await client.patch(url, json={"role": "grid_leader"}, headers=auth_header(admin))
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "grid_leader"
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert (me.status_code, me.json()["error"]["code"]) == (401, "token_revoked")
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 401
    assert all(row.revoked_at is not None for row in session.exec(select(RefreshToken)).all())
    entry = session.exec(select(AuditLog).where(AuditLog.action == "permission_change")).one()
    assert entry.target_id == str(worker.id)
    assert entry.detail == {"role": {"from": "grid_member", "to": "grid_leader"}}


async def test_update_rules(client: httpx.AsyncClient, session: Session) -> None:
    town, admin = _admin(session)
    worker = make_user(session, Role.grid_member, town.grid_a1)
    headers, url = auth_header(admin), f"/api/v1/users/{worker.id}"
    version = worker.token_version

    renamed = await client.patch(url, json={"name": "改名网格员"}, headers=headers)
    assert renamed.json()["name"] == "改名网格员"
    session.refresh(worker)
    assert worker.token_version == version  # a rename keeps the sessions
    moved = await client.patch(url, json={"org_unit_id": town.grid_b1.id}, headers=headers)
    assert moved.json()["org_unit_name"] == "乙村第一网格"
    mismatch = await client.patch(url, json={"org_unit_id": town.village_a.id}, headers=headers)
    assert (mismatch.status_code, mismatch.json()["error"]["code"]) == (422, "role_unit_mismatch")
    both = await client.patch(url, json={"org_unit_id": town.village_a.id, "role": "village_staff"}, headers=headers)
    assert both.status_code == 200
    itself = await client.patch(f"/api/v1/users/{admin.id}", json={"is_active": False}, headers=headers)
    assert (itself.status_code, itself.json()["error"]["code"]) == (403, "self_change_forbidden")
    actions = session.exec(select(AuditLog.action).order_by(col(AuditLog.id))).all()
    assert actions == ["user_update", "permission_change", "permission_change"]


async def test_deactivated_account_is_shut_out(client: httpx.AsyncClient, session: Session) -> None:
    town, admin = _admin(session)
    worker = make_user(session, Role.grid_member, town.grid_a1, mobile="13955550300")
    old_header = auth_header(worker)
    response = await client.patch(f"/api/v1/users/{worker.id}", json={"is_active": False}, headers=auth_header(admin))
    assert response.json()["is_active"] is False
    assert (await client.get("/api/v1/me", headers=old_header)).status_code == 401
    login = await client.post("/api/v1/auth/login", json={"mobile": "13955550300", "password": DEFAULT_PASSWORD})
    assert (login.status_code, login.json()["error"]["code"]) == (403, "account_disabled")


async def test_reset_password(client: httpx.AsyncClient, session: Session) -> None:
    town, admin = _admin(session)
    worker = make_user(session, Role.grid_member, town.grid_a1, mobile="13955550400")
    tokens = await _signed_in(client, "13955550400")
    for _ in range(5):
        await client.post("/api/v1/auth/login", json={"mobile": "13955550400", "password": "Wrong-2026-pw"})
    url = f"/api/v1/users/{worker.id}/reset-password"
    weak = await client.post(url, json={"initial_password": "123456"}, headers=auth_header(admin))
    assert weak.json()["error"]["detail"][0]["loc"] == ["body", "initial_password"]
    response = await client.post(url, json={"initial_password": "Reset-2026-pw"}, headers=auth_header(admin))
    assert response.status_code == 200, response.text
    assert response.json()["must_change_password"] is True and response.json()["locked_until"] is None
    assert "13955550400" not in response.text
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 401
    login = await client.post("/api/v1/auth/login", json={"mobile": "13955550400", "password": "Reset-2026-pw"})
    assert login.status_code == 200 and login.json()["must_change_password"] is True
    assert session.exec(select(AuditLog).where(AuditLog.action == "password_reset")).one().actor_id == admin.id


async def test_admins_do_not_manage_auditors(client: httpx.AsyncClient, session: Session) -> None:
    # 三员分立: auditors are the operator's (`bandeng create-user`), so an admin cannot read the log as one.
    town, admin = _admin(session)
    auditor = make_user(session, Role.auditor, town.town, name="审计员")
    worker = make_user(session, Role.grid_member, town.grid_a1)
    headers, url = auth_header(admin), f"/api/v1/users/{auditor.id}"
    refused = [
        await client.post(
            "/api/v1/users", json=_new_user(town, role="auditor", org_unit_id=town.town.id), headers=headers
        ),
        await client.post(f"{url}/reset-password", json={"initial_password": "Reset-2026-pw"}, headers=headers),
        await client.patch(url, json={"org_unit_id": town.district.id}, headers=headers),
        await client.patch(url, json={"role": "admin"}, headers=headers),
        await client.patch(url, json={"is_active": False}, headers=headers),
        await client.patch(url, json={"name": "改名审计员"}, headers=headers),
        await client.patch(
            f"/api/v1/users/{worker.id}", json={"role": "auditor", "org_unit_id": town.town.id}, headers=headers
        ),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r in refused] == [(403, "auditor_separated")] * 7
    session.refresh(auditor)
    assert (auditor.name, auditor.is_active, auditor.must_change_password) == ("审计员", True, False)
    assert session.exec(select(AuditLog).where(col(AuditLog.action).in_(("user_create", "password_reset")))).all() == []
    assert (await client.get(url, headers=headers)).json()["role"] == "auditor"  # still listed, read-only
