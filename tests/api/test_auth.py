from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from core.clock import utc_now
from core.settings import get_settings
from models.audit import AuditLog
from models.enums import Role
from models.org import OrgUnit
from models.user import RefreshToken, User
from services.errors import DomainError, Invalid, TooManyRequests
from services.people import auth, users
from services.rules.passwords import DEMO_PASSWORD
from tests.factories import DEFAULT_PASSWORD, auth_header, make_town, make_user

MOBILE = "13912340042"


def _audit(session: Session, action: str, result: str | None = None) -> list[AuditLog]:
    query = select(AuditLog).where(AuditLog.action == action)
    if result is not None:
        query = query.where(AuditLog.result == result)
    return list(session.exec(query.order_by(col(AuditLog.id))).all())


async def _login(client: httpx.AsyncClient, mobile: str = MOBILE, password: str = DEFAULT_PASSWORD) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"mobile": mobile, "password": password})


async def _tokens(client: httpx.AsyncClient, mobile: str = MOBILE) -> dict[str, Any]:
    response = await _login(client, mobile)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _worker(session: Session, **kwargs: Any) -> User:
    town = make_town(session)
    return make_user(session, Role.grid_member, town.grid_a1, name="网格员甲", mobile=MOBILE, **kwargs)


async def test_login_answers_tokens_and_a_masked_mobile(client: httpx.AsyncClient, session: Session) -> None:
    user = _worker(session)
    before = utc_now()
    response = await _login(client, "+86 139-1234-0042")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["must_change_password"] is False
    assert body["user"] == {
        "id": user.id,
        "name": "网格员甲",
        "role": "grid_member",
        "org_unit_id": user.org_unit_id,
        "mobile_masked": "139****0042",
    }
    assert MOBILE not in response.text
    refresh_expires = body["refresh_expires_at"]
    assert (
        timedelta(days=9, hours=23) < datetime.fromisoformat(refresh_expires) - before <= timedelta(days=10, minutes=1)
    )
    session.refresh(user)
    assert user.last_login_at is not None and user.last_login_at >= before
    stored = session.exec(select(RefreshToken).where(RefreshToken.user_id == user.id)).one()
    assert stored.token_hash != body["refresh_token"] and len(stored.token_hash) == 64
    assert [entry.actor_id for entry in _audit(session, "login", "ok")] == [user.id]


async def test_wrong_password_and_unknown_mobile_answer_alike(client: httpx.AsyncClient, session: Session) -> None:
    _worker(session)
    wrong_password = await _login(client, password="Wrong-2026-pw")
    unknown_mobile = await _login(client, mobile="13700000000")
    assert wrong_password.status_code == unknown_mobile.status_code == 401
    assert wrong_password.json() == unknown_mobile.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"
    assert len(_audit(session, "login", "failed")) == 2


async def test_failures_are_counted_and_committed(client: httpx.AsyncClient, session: Session) -> None:
    user = _worker(session)
    for _ in range(3):
        assert (await _login(client, password="Wrong-2026-pw")).status_code == 401
    session.expire_all()
    assert session.get(User, user.id).failed_logins == 3  # type: ignore[union-attr]
    assert len(_audit(session, "login", "failed")) == 3
    assert (await _login(client)).status_code == 200
    session.expire_all()
    assert session.get(User, user.id).failed_logins == 0  # type: ignore[union-attr]


async def test_five_failures_lock_the_account(client: httpx.AsyncClient, session: Session) -> None:
    user = _worker(session)
    codes = [(await _login(client, password="Wrong-2026-pw")).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 429]
    locked = await _login(client)  # the right password does not help while locked
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account_locked"
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    session.expire_all()
    row = session.get(User, user.id)
    assert row is not None and row.locked_until is not None and row.locked_until > utc_now() + timedelta(minutes=14)
    assert len(_audit(session, "account_locked")) == 1
    assert len(_audit(session, "login", "locked")) == 1

    row.locked_until = utc_now() - timedelta(seconds=1)  # the 15 minutes have passed
    session.flush()
    assert (await _login(client)).status_code == 200


def test_unknown_mobiles_lock_too(session: Session) -> None:
    # Through the service with a fixed instant: unknown numbers count failures in a row, as accounts do.
    now = datetime(2026, 3, 2, 2, 0, 1, tzinfo=UTC)
    codes = []
    for second in range(6):
        try:
            auth.login(session, mobile="13700000000", password="x", ip="10.0.0.1", now=now + timedelta(seconds=second))
        except DomainError as exc:
            codes.append(exc.code)
    assert codes == ["invalid_credentials"] * 4 + ["account_locked"] * 2


def _answers(session: Session, mobile: str, at: list[datetime]) -> list[tuple[str, str, int | None]]:
    answers: list[tuple[str, str, int | None]] = []
    for now in at:
        try:
            auth.login(session, mobile=mobile, password="Wrong-2026-pw", ip="10.0.0.2", now=now)
        except TooManyRequests as exc:
            answers.append((exc.code, exc.message, exc.retry_after))
        except DomainError as exc:
            answers.append((exc.code, exc.message, None))
    return answers


def test_a_locked_account_and_an_unknown_number_answer_alike(session: Session) -> None:
    # Mid-window on purpose: an unknown number used to be told the rest of a fixed window, a real one 900 s.
    _worker(session)
    start = datetime(2026, 3, 2, 2, 7, 31, tzinfo=UTC)
    at = [start + timedelta(seconds=s) for s in (0, 1, 2, 3, 4, 64, 899)] + [start + timedelta(seconds=905)]
    real, unknown = _answers(session, MOBILE, at), _answers(session, "13700000000", at)
    assert real == unknown
    assert [answer[2] for answer in real] == [None] * 4 + [900, 840, 5, None]
    assert real[4][:2] == ("account_locked", "密码错误次数过多，账号已锁定，请 15 分钟后再试")
    assert real[-1][0] == "invalid_credentials"  # the lock is over and the count started again


async def test_deactivated_account_cannot_sign_in(client: httpx.AsyncClient, session: Session) -> None:
    user = _worker(session)
    user.is_active = False
    session.flush()
    assert (await _login(client, password="Wrong-2026-pw")).json()["error"]["code"] == "invalid_credentials"
    response = await _login(client)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_disabled"


async def test_password_input_is_validated_not_crashed(client: httpx.AsyncClient, session: Session) -> None:
    _worker(session)
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"mobile": "13912340042", "password": "\\ud800abc"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["detail"][0]["loc"] == ["body", "password"]


async def test_refresh_rotates(client: httpx.AsyncClient, session: Session) -> None:
    _worker(session)
    first = await _tokens(client)
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert response.status_code == 200, response.text
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/me", headers=_bearer(second))).status_code == 200
    rows = session.exec(select(RefreshToken).order_by(col(RefreshToken.id))).all()
    assert len(rows) == 2 and rows[0].family_id == rows[1].family_id
    assert rows[0].used_at is not None and rows[1].used_at is None


async def test_reusing_a_spent_refresh_token_revokes_the_family(client: httpx.AsyncClient, session: Session) -> None:
    _worker(session)
    first = await _tokens(client)
    other_device = await _tokens(client)
    second = (await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    third = (await client.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})).json()

    # The chain has moved on past `first`: presenting it again is a copy, not a retry of a lost answer.
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "refresh_reused"
    newest = await client.post("/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]})
    assert newest.status_code == 401  # the thief's (or victim's) newest token died with the family
    assert (await client.get("/api/v1/me", headers=_bearer(third))).status_code == 401
    assert len(_audit(session, "refresh_reused")) == 1
    # The other device's family survives: it refreshes and carries on.
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": other_device["refresh_token"]})
    assert again.status_code == 200


async def test_a_retry_after_a_lost_answer_gets_a_new_pair(client: httpx.AsyncClient, session: Session) -> None:
    """The phone sent its refresh, the server rotated, the answer was lost: the phone sends the spent token
    again at once. It is answered again; the successor it never received ends; one live token remains."""
    _worker(session)
    first = await _tokens(client)
    lost = (await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 200, again.text
    retried = again.json()
    assert retried["refresh_token"] not in (first["refresh_token"], lost["refresh_token"])
    twice = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert twice.status_code == 200, twice.text  # the second answer lost as well
    newest = twice.json()
    unused = await client.post("/api/v1/auth/refresh", json={"refresh_token": lost["refresh_token"]})
    assert (unused.status_code, unused.json()["error"]["code"]) == (401, "refresh_revoked")
    assert (await client.get("/api/v1/me", headers=_bearer(newest))).status_code == 200
    carried_on = await client.post("/api/v1/auth/refresh", json={"refresh_token": newest["refresh_token"]})
    assert carried_on.status_code == 200
    assert len(_audit(session, "refresh_retry")) == 2 and _audit(session, "refresh_reused") == []
    live = session.exec(
        select(RefreshToken).where(col(RefreshToken.used_at).is_(None), col(RefreshToken.revoked_at).is_(None))
    ).all()
    assert len(live) == 1


async def test_a_spent_token_past_the_retry_window_is_reuse(client: httpx.AsyncClient, session: Session) -> None:
    _worker(session)
    first = await _tokens(client)
    await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    spent = session.exec(select(RefreshToken).where(col(RefreshToken.used_at).is_not(None))).one()
    spent.used_at = utc_now() - timedelta(seconds=31)  # BANDENG_REFRESH_RETRY_SECONDS is 30
    session.flush()
    late = await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert (late.status_code, late.json()["error"]["code"]) == (401, "refresh_reused")


async def test_expired_and_unknown_refresh_tokens(client: httpx.AsyncClient, session: Session) -> None:
    _worker(session)
    tokens = await _tokens(client)
    for row in session.exec(select(RefreshToken)).all():
        row.expires_at = utc_now() - timedelta(seconds=1)
    session.flush()
    expired = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert (expired.status_code, expired.json()["error"]["code"]) == (401, "refresh_expired")
    unknown = await client.post("/api/v1/auth/refresh", json={"refresh_token": "not-a-token"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (401, "refresh_invalid")


async def test_logout_revokes_the_family(client: httpx.AsyncClient, session: Session) -> None:
    _worker(session)
    tokens = await _tokens(client)
    body = {"refresh_token": tokens["refresh_token"]}
    assert (await client.post("/api/v1/auth/logout", json=body)).status_code == 401
    response = await client.post("/api/v1/auth/logout", json=body, headers=_bearer(tokens))
    assert response.status_code == 204
    after = await client.post("/api/v1/auth/refresh", json=body)
    assert (after.status_code, after.json()["error"]["code"]) == (401, "refresh_revoked")
    assert len(_audit(session, "logout")) == 1


async def test_logout_cannot_end_someone_elses_session(client: httpx.AsyncClient, session: Session) -> None:
    victim = _worker(session)
    unit = session.get(OrgUnit, victim.org_unit_id)
    assert unit is not None
    make_user(session, Role.grid_member, unit, mobile="13912340043")
    victim_tokens = await _tokens(client)
    intruder_tokens = await _tokens(client, "13912340043")
    body = {"refresh_token": victim_tokens["refresh_token"]}
    assert (await client.post("/api/v1/auth/logout", json=body, headers=_bearer(intruder_tokens))).status_code == 204
    assert (await client.post("/api/v1/auth/refresh", json=body)).status_code == 200


async def test_me(client: httpx.AsyncClient, session: Session) -> None:
    user = _worker(session)
    response = await client.get("/api/v1/me", headers=auth_header(user))
    assert response.status_code == 200
    unit = session.get(OrgUnit, user.org_unit_id)
    assert unit is not None
    assert response.json() == {
        "id": user.id,
        "name": "网格员甲",
        "role": "grid_member",
        "role_label": "网格员",
        "org_unit": {"id": unit.id, "name": "甲村第一网格", "kind": "grid", "code": unit.code},
        "mobile_masked": "139****0042",
        "must_change_password": False,
    }
    assert (await client.get("/api/v1/me")).status_code == 401


def _change(current: str, new: str) -> dict[str, str]:
    return {"current_password": current, "new_password": new}


async def test_password_change_errors_name_their_field(client: httpx.AsyncClient, session: Session) -> None:
    user = _worker(session)
    url, headers = "/api/v1/auth/password", auth_header(user)
    cases = [
        (_change(DEFAULT_PASSWORD, "short1A"), "new_password", "weak_password"),
        (_change(DEFAULT_PASSWORD, "alllowercase"), "new_password", "weak_password"),
        (_change(DEFAULT_PASSWORD, "Woaini1314!"), "new_password", "weak_password"),  # on the common list
        (_change(DEFAULT_PASSWORD, DEFAULT_PASSWORD), "new_password", "password_unchanged"),
        (_change("Wrong-2026-pw", "Better-2026-pw"), "current_password", "wrong_password"),
    ]
    for body, field, code in cases:
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["code"], error["detail"][0]["loc"]) == (code, ["body", field])
    session.expire_all()
    assert session.get(User, user.id).failed_logins == 1  # type: ignore[union-attr]
    missing = await client.post(url, json={"current_password": DEFAULT_PASSWORD}, headers=headers)
    assert missing.json()["error"]["detail"][0]["loc"] == ["body", "new_password"]


def test_the_demo_password_is_refused_in_production(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    town = make_town(session)
    assert town.grid_a1.id is not None

    def create(mobile: str) -> User:
        return users.create_user(
            session,
            name="新账号",
            mobile=mobile,
            role=Role.grid_member,
            org_unit_id=town.grid_a1.id or 0,
            password=DEMO_PASSWORD,
        )

    assert create("13912349998").id  # tests and development are the demo
    production = get_settings().model_copy(update={"environment": "production"})
    monkeypatch.setattr(users, "get_settings", lambda: production)
    with pytest.raises(Invalid) as refused:
        create("13912349999")
    assert refused.value.code == "weak_password" and "太常见" in refused.value.message


async def test_password_change_ends_other_sessions(client: httpx.AsyncClient, session: Session) -> None:
    user = _worker(session, must_change_password=True)
    old = await _tokens(client)
    assert old["must_change_password"] is True
    response = await client.post(
        "/api/v1/auth/password", json=_change(DEFAULT_PASSWORD, "Better-2026-pw"), headers=_bearer(old)
    )
    assert response.status_code == 200, response.text
    fresh = response.json()
    assert fresh["must_change_password"] is False
    stale = await client.get("/api/v1/me", headers=_bearer(old))
    assert (stale.status_code, stale.json()["error"]["code"]) == (401, "token_revoked")
    assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})).status_code == 401
    me = await client.get("/api/v1/me", headers=_bearer(fresh))
    assert me.json()["must_change_password"] is False
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    ).status_code == 200
    assert (await _login(client)).status_code == 401
    assert (await _login(client, password="Better-2026-pw")).status_code == 200
    assert [entry.actor_id for entry in _audit(session, "password_change", "ok")] == [user.id]


async def test_initial_password_must_be_changed_first(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    make_user(session, Role.admin, town.town, mobile=MOBILE, must_change_password=True)
    tokens = await _tokens(client)
    blocked = await client.get("/api/v1/users", headers=_bearer(tokens))
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (403, "password_change_required")
    assert (await client.get("/api/v1/me", headers=_bearer(tokens))).json()["must_change_password"] is True
    changed = await client.post(
        "/api/v1/auth/password", json=_change(DEFAULT_PASSWORD, "Better-2026-pw"), headers=_bearer(tokens)
    )
    assert changed.status_code == 200
    assert (await client.get("/api/v1/users", headers=_bearer(changed.json()))).status_code == 200


async def test_one_address_cannot_walk_guesses_across_accounts(
    client: httpx.AsyncClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # All 21 attempts inside one fixed one-minute window, however slow the machine is.
    frozen = utc_now().replace(second=5)
    monkeypatch.setattr("api.routes.auth.utc_now", lambda: frozen)
    town = make_town(session)
    for i in range(20):
        make_user(session, Role.grid_member, town.grid_a1, mobile=f"1390000{i:04d}")
    codes = []
    for i in range(21):
        response = await client.post("/api/v1/auth/login", json={"mobile": f"1390000{i % 20:04d}", "password": "x"})
        codes.append(response.status_code)
    assert codes[:20] == [401] * 20
    assert codes[20] == 429
