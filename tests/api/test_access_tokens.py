"""Access tokens: only ours, with an expiry no further off than the setting, and ended by logout (deny-list)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from jose import jwt
from sqlmodel import Session, select

from core.clock import utc_now
from core.security import JWT_ALGORITHM
from core.settings import get_settings
from models.enums import Role
from models.user import RevokedAccessToken, User
from services.people import revocation
from tests.factories import DEFAULT_PASSWORD, make_town, make_user

ME = "/api/v1/me"


def _worker(session: Session) -> User:
    return make_user(session, Role.grid_member, make_town(session).grid_a1, mobile="13912340042")


def _forged(user: User, **changes: Any) -> dict[str, str]:
    """A token signed with our key whose claims the test chooses (None drops a claim)."""
    now = int(utc_now().timestamp())
    claims = {
        "sub": str(user.id),
        "ver": user.token_version,
        "pcr": False,
        "iat": now,
        "exp": now + 600,
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
    }
    claims = {key: value for key, value in (claims | changes).items() if value is not None}
    token = jwt.encode(claims, get_settings().secret_key, algorithm=JWT_ALGORITHM)
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_without_expiry_or_id_is_refused(client: httpx.AsyncClient, session: Session) -> None:
    user = _worker(session)
    assert (await client.get(ME, headers=_forged(user))).status_code == 200
    for missing in ("exp", "iat", "jti"):
        response = await client.get(ME, headers=_forged(user, **{missing: None}))
        assert (response.status_code, response.json()["error"]["code"]) == (401, "token_invalid"), missing


async def test_a_token_living_longer_than_the_setting_is_refused(client: httpx.AsyncClient, session: Session) -> None:
    user = _worker(session)
    now = int(utc_now().timestamp())
    limit = get_settings().access_token_minutes * 60
    assert (await client.get(ME, headers=_forged(user, iat=now, exp=now + limit))).status_code == 200
    too_long = _forged(user, iat=now, exp=now + limit + 120)
    issued_ahead = _forged(user, iat=now + 86400, exp=now + 86400 + 60)  # a short life that starts tomorrow
    for headers in (too_long, issued_ahead):
        response = await client.get(ME, headers=headers)
        assert (response.status_code, response.json()["error"]["code"]) == (401, "token_invalid")


async def test_logout_ends_the_access_tokens_of_the_sign_in(client: httpx.AsyncClient, session: Session) -> None:
    _worker(session)
    login = await client.post("/api/v1/auth/login", json={"mobile": "13912340042", "password": DEFAULT_PASSWORD})
    first = login.json()
    second = (await client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    other_device = (
        await client.post("/api/v1/auth/login", json={"mobile": "13912340042", "password": DEFAULT_PASSWORD})
    ).json()
    bearer = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await client.get(ME, headers=bearer)).status_code == 200
    logout = await client.post("/api/v1/auth/logout", json={"refresh_token": second["refresh_token"]}, headers=bearer)
    assert logout.status_code == 204
    for tokens in (second, first):  # the one presented, and an earlier one of the same sign-in
        ended = await client.get(ME, headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert (ended.status_code, ended.json()["error"]["code"]) == (401, "token_revoked")
    still = await client.get(ME, headers={"Authorization": f"Bearer {other_device['access_token']}"})
    assert still.status_code == 200  # another sign-in of the same person goes on


def test_denials_last_until_the_tokens_expire_then_are_pruned(session: Session) -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    revocation.deny(session, ["old-jti"], until=now - timedelta(minutes=1), now=now - timedelta(minutes=16))
    revocation.deny(session, ["live-jti", "live-sid"], until=now + timedelta(minutes=14), now=now)
    revocation.deny(session, ["live-jti"], until=now + timedelta(minutes=14), now=now)  # twice is once
    assert revocation.purge_expired(session, now) == 1
    left = session.exec(select(RevokedAccessToken.token_id).order_by(RevokedAccessToken.token_id)).all()
    assert list(left) == ["live-jti", "live-sid"]
