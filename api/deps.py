"""Dependencies: the session (committed before the response), the current actor, loaded aggregates."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, select

from core.availability import database_outage
from core.db import get_engine
from core.net import client_address
from core.security import AccessClaims, TokenInvalid, decode_access_token
from core.settings import get_settings
from models.enums import Role
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.user import User
from services.actor import Actor
from services.errors import NotAuthenticated, PasswordChangeRequired, PermissionDenied
from services.people import revocation
from services.requests import resident_requests


def _finish(session: Session, succeeded: bool) -> None:
    try:
        if succeeded:
            reached_database = session.in_transaction()
            session.commit()
            if reached_database:
                database_outage.recovered()
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


@dataclass(frozen=True)
class SignedIn:
    """The actor a request acts as, and the access token it presented."""

    actor: Actor
    access: AccessClaims


def _signed_in(session: Session, credentials: HTTPAuthorizationCredentials | None) -> SignedIn:
    """The token's actor, unless the token is invalid, the account inactive or changed since, or the token
    (or its whole sign-in) is on the deny-list: all in the one query that loads the account."""
    if credentials is None:
        raise NotAuthenticated()
    try:
        claims = decode_access_token(credentials.credentials)
    except TokenInvalid:
        raise NotAuthenticated("登录已过期或无效，请重新登录", code="token_invalid") from None
    revoked = revocation.denied([claims.token_id, claims.session_id]).label("revoked")
    row = session.exec(
        select(User, OrgUnit.path, revoked)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)  # type: ignore[arg-type]
        .where(User.id == claims.user_id)
    ).first()
    if row is None:
        raise NotAuthenticated("登录已过期或无效，请重新登录", code="token_invalid")
    user, path, is_revoked = row
    if is_revoked or not user.is_active or user.token_version != claims.token_version:
        raise NotAuthenticated("登录已失效，请重新登录", code="token_revoked")
    assert user.id is not None
    actor = Actor(id=user.id, role=Role(user.role), unit_id=user.org_unit_id, unit_path=path, name=user.name)
    return SignedIn(actor=actor, access=claims)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_sign_in(session: SessionDep, credentials: Credentials) -> SignedIn:
    """The signed-in actor and their access token, even one who still has to change an initial password."""
    return _signed_in(session, credentials)


CurrentSignIn = Annotated[SignedIn, Depends(current_sign_in)]


async def current_actor_any(signed_in: CurrentSignIn) -> Actor:
    """The signed-in actor, even one who still has to change an initial password (no I/O: no thread hop)."""
    return signed_in.actor


async def current_actor(signed_in: CurrentSignIn) -> Actor:
    """The signed-in actor; an initial password must be changed before anything else."""
    if signed_in.access.must_change:
        raise PasswordChangeRequired()
    return signed_in.actor


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
    """The client's address for per-IP limits and the audit log: X-Forwarded-For counts only when the
    direct peer is a proxy in BANDENG_TRUSTED_PROXIES (then its right-most untrusted hop)."""
    peer = request.client.host if request.client else "unknown"
    trusted = get_settings().trusted_proxy_networks
    return client_address(peer, request.headers.getlist("x-forwarded-for"), trusted) if trusted else peer


ClientIP = Annotated[str, Depends(client_ip)]


def current_resident_request(request_id: uuid.UUID, session: SessionDep, actor: CurrentActor) -> ResidentRequest:
    """The request named in the path, if the actor may read it (404 otherwise)."""
    return resident_requests.get_readable(session, actor, request_id)


CurrentResidentRequest = Annotated[ResidentRequest, Depends(current_resident_request)]
