"""Dependencies: the session (committed before the response), the current actor, loaded aggregates."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, select

from core.db import get_engine
from core.security import TokenInvalid, decode_access_token
from models.enums import Role
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.user import User
from services.actor import Actor
from services.errors import NotAuthenticated, PasswordChangeRequired, PermissionDenied
from services.requests import resident_requests


def _finish(session: Session, succeeded: bool) -> None:
    try:
        if succeeded:
            session.commit()
    finally:
        session.close()  # rolls back whatever was not committed


async def get_session() -> AsyncIterator[Session]:
    """One transaction per HTTP request, committed before the response is sent.

    Opening a Session does no I/O, so it happens on the event loop; the commit (or the rollback)
    runs in the thread pool in one hop, like the route itself."""
    session = Session(get_engine(), expire_on_commit=False)
    succeeded = False
    try:
        yield session
        succeeded = True
    finally:
        await run_in_threadpool(_finish, session, succeeded)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="POST /api/v1/auth/login 得到的 access_token")


def _load_actor(session: Session, credentials: HTTPAuthorizationCredentials | None) -> tuple[Actor, bool]:
    if credentials is None:
        raise NotAuthenticated()
    try:
        claims = decode_access_token(credentials.credentials)
    except TokenInvalid:
        raise NotAuthenticated("登录已过期或无效，请重新登录", code="token_invalid") from None
    row = session.exec(
        select(User, OrgUnit.path)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)  # type: ignore[arg-type]
        .where(User.id == int(claims["sub"]))
    ).first()
    if row is None:
        raise NotAuthenticated("登录已过期或无效，请重新登录", code="token_invalid")
    user, path = row
    if not user.is_active or user.token_version != claims.get("ver"):
        raise NotAuthenticated("登录已失效，请重新登录", code="token_revoked")
    assert user.id is not None
    actor = Actor(id=user.id, role=Role(user.role), unit_id=user.org_unit_id, unit_path=path, name=user.name)
    return actor, bool(claims.get("pcr"))


def current_actor_any(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    """The signed-in actor, even one who still has to change an initial password."""
    return _load_actor(session, credentials)[0]


def current_actor(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Actor:
    """The signed-in actor; an initial password must be changed before anything else."""
    actor, must_change = _load_actor(session, credentials)
    if must_change:
        raise PasswordChangeRequired()
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentActorAny = Annotated[Actor, Depends(current_actor_any)]


def require_role(*roles: Role) -> object:
    """A dependency that lets only the named roles through."""

    def check(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            raise PermissionDenied()
        return actor

    return Depends(check)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientIP = Annotated[str, Depends(client_ip)]


def current_resident_request(request_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> ResidentRequest:
    """The request named in the path, if the actor may read it (404 otherwise)."""
    return resident_requests.get_readable(session, actor, request_id)


CurrentResidentRequest = Annotated[ResidentRequest, Depends(current_resident_request)]
