"""Signing in: mobile + password with lockout, rotating refresh tokens, logout, password change.

Failed attempts change rows (counters, locks, revocations, audit records) and then raise: the route
returns the error response instead of re-raising, so those rows are committed."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from core.crypto import get_cipher, mask_phone, normalize_phone
from core.security import (
    AccessClaims,
    create_access_token,
    hash_password,
    hash_token,
    new_refresh_token,
    verify_password,
)
from core.settings import get_settings
from models.enums import ROLE_LABELS, Role, UnitKind
from models.org import OrgUnit
from models.user import RefreshToken, User
from models.user_schemas import Me, SessionUser, TokenPair, UnitBrief
from services import audit
from services.actor import Actor
from services.errors import Invalid, NotAuthenticated, NotFound, PermissionDenied, TooManyRequests
from services.people import rate_limit, revocation, users
from services.rules.refresh_retry import is_lost_answer_retry

INVALID_CREDENTIALS = "手机号或密码不正确"


def _as_actor(user: User) -> Actor:
    assert user.id is not None
    return Actor(id=user.id, role=Role(user.role), unit_id=user.org_unit_id, unit_path="", name=user.name)


def _locked(retry_after: float) -> TooManyRequests:
    minutes = max(1, math.ceil(retry_after / 60))
    return TooManyRequests(
        f"密码错误次数过多，账号已锁定，请 {minutes} 分钟后再试",
        retry_after=max(1, math.ceil(retry_after)),
        code="account_locked",
    )


def _check_not_locked(session: Session, user: User, *, action: str, ip: str | None, now: datetime) -> None:
    if user.locked_until is not None and user.locked_until > now:
        audit.record(session, action, target_type="user", target_id=user.id, result="locked", ip=ip, now=now)
        raise _locked((user.locked_until - now).total_seconds())


def _count_failure(session: Session, user: User, *, ip: str | None, now: datetime) -> TooManyRequests | None:
    """One more wrong password in a row; the lock error once the limit is reached (the count restarts)."""
    settings = get_settings()
    user.failed_logins += 1
    if user.failed_logins < settings.login_max_failures:
        return None
    user.failed_logins = 0
    user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
    audit.record(session, "account_locked", target_type="user", target_id=user.id, ip=ip, now=now)
    return _locked(settings.lockout_minutes * 60)


def _unknown_mobile_failure(session: Session, phone: str, *, ip: str, now: datetime) -> NoReturn:
    """Unknown numbers lock as real accounts do (the same count in a row, the same lock from the failure that
    reaches it, the same wait), so no answer tells which numbers have an account."""
    settings = get_settings()
    key = f"login:{get_cipher().blind_index(phone)}"
    detail = {"mobile_masked": mask_phone(phone)} if len(phone) >= 4 else None
    left = rate_limit.locked_for(session, key, now=now)
    result = "locked" if left else "failed"
    audit.record(session, "login", result=result, reason="unknown_mobile", ip=ip, detail=detail, now=now)
    if not left:
        limit, lock_seconds = settings.login_max_failures, settings.lockout_minutes * 60
        left = rate_limit.strike(session, key, limit=limit, lock_seconds=lock_seconds, now=now)
    if left:
        raise _locked(left)
    raise NotAuthenticated(INVALID_CREDENTIALS, code="invalid_credentials")


def issue_tokens(session: Session, user: User, *, now: datetime, family_id: str | None = None) -> TokenPair:
    """A new access token and a new refresh token (in `family_id`, or a new family for a new sign-in)."""
    assert user.id is not None
    settings = get_settings()
    raw = new_refresh_token()
    expires_at = now + timedelta(days=settings.refresh_token_days)
    family_id = family_id or str(uuid.uuid4())
    session.add(
        RefreshToken(
            user_id=user.id, family_id=family_id, token_hash=hash_token(raw), issued_at=now, expires_at=expires_at
        )
    )
    session.flush()
    access = create_access_token(
        subject=user.id,
        token_version=user.token_version,
        must_change=user.must_change_password,
        now=now,
        session_id=family_id,
    )
    return TokenPair(
        access_token=access,
        expires_in=settings.access_token_minutes * 60,
        refresh_token=raw,
        refresh_expires_at=expires_at,
        must_change_password=user.must_change_password,
        user=SessionUser(
            id=user.id,
            name=user.name,
            role=Role(user.role),
            org_unit_id=user.org_unit_id,
            mobile_masked=users.masked_mobile(user),
        ),
    )


def login(session: Session, *, mobile: str, password: str, ip: str, now: datetime) -> TokenPair:
    """Mobile + password. Unknown number and wrong password answer alike; 5 wrong in a row lock the
    account for 15 minutes (429, even with the right password); a deactivated account cannot sign in.
    One address may try only so often, so nobody can walk a few guesses across every account."""
    limit = get_settings().login_ip_limit_per_minute
    rate_limit.hit(session, f"login-ip:{ip}", limit=limit, seconds=60, now=now)
    phone = normalize_phone(mobile)
    user = session.exec(
        select(User).where(User.mobile_index == get_cipher().blind_index(phone)).with_for_update()
    ).first()
    if user is None:
        verify_password(None, password)  # as slow as a real check
        _unknown_mobile_failure(session, phone, ip=ip, now=now)
    _check_not_locked(session, user, action="login", ip=ip, now=now)
    if not verify_password(user.password_hash, password):
        locked = _count_failure(session, user, ip=ip, now=now)
        audit.record(session, "login", target_type="user", target_id=user.id, result="failed", ip=ip, now=now)
        raise locked or NotAuthenticated(INVALID_CREDENTIALS, code="invalid_credentials")
    if not user.is_active:
        audit.record(session, "login", target_type="user", target_id=user.id, result="disabled", ip=ip, now=now)
        raise PermissionDenied("账号已停用，请联系管理员", code="account_disabled")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, "login", actor=_as_actor(user), target_type="user", target_id=user.id, ip=ip, now=now)
    return issue_tokens(session, user, now=now)


def _revoke_family(session: Session, family_id: str, *, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def _end_access_tokens(session: Session, user_id: int, *, now: datetime) -> None:
    # Whoever copied the token may hold an access token from it; other devices simply refresh again.
    session.execute(
        update(User).where(col(User.id) == user_id).values(token_version=User.token_version + 1, updated_at=now)
    )


def _find_refresh(session: Session, token: str) -> RefreshToken | None:
    statement = select(RefreshToken).where(RefreshToken.token_hash == hash_token(token)).with_for_update()
    return session.exec(statement).first()


def refresh(session: Session, *, refresh_token: str, ip: str, now: datetime) -> TokenPair:
    """Trade a refresh token for a new pair; the old one is spent. A spent token presented again means
    it was copied: its whole family is revoked and the account's access tokens end (401 refresh_reused)."""
    row = _find_refresh(session, refresh_token)
    if row is None:
        raise NotAuthenticated("登录已失效，请重新登录", code="refresh_invalid")
    if row.used_at is None and row.revoked_at is not None:
        # Never spent, only ended (logout, role change, new password): its family is already revoked.
        raise NotAuthenticated("登录已失效，请重新登录", code="refresh_revoked")
    retry = _lost_answer(session, row, now=now)
    if row.used_at is not None and retry is None:
        _revoke_family(session, row.family_id, now=now)
        _end_access_tokens(session, row.user_id, now=now)
        audit.record(
            session, "refresh_reused", target_type="user", target_id=row.user_id, result="revoked", ip=ip, now=now
        )
        raise NotAuthenticated("登录凭证已被使用过，为安全起见请重新登录", code="refresh_reused")
    if row.expires_at <= now:
        raise NotAuthenticated("登录已过期，请重新登录", code="refresh_expired")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        _revoke_family(session, row.family_id, now=now)
        raise NotAuthenticated("登录已失效，请重新登录", code="refresh_invalid")
    if retry is None:
        row.used_at = now
    else:
        # The retry of a refresh whose answer was lost: the successor it never received ends, so one live
        # refresh token remains in the sign-in.
        for successor in retry:
            successor.revoked_at = successor.revoked_at or now
        audit.record(session, "refresh_retry", target_type="user", target_id=row.user_id, ip=ip, now=now)
    return issue_tokens(session, user, now=now, family_id=row.family_id)


def _lost_answer(session: Session, row: RefreshToken, *, now: datetime) -> list[RefreshToken] | None:
    """The tokens issued after a spent one (locked) when it came back as a retry after a lost answer
    (services/rules/refresh_retry.py); None otherwise, and always once its sign-in has ended. A successor
    ended by an earlier retry was never used, so a second lost answer is a retry too."""
    if row.used_at is None or row.revoked_at is not None:
        return None
    later = select(RefreshToken).where(RefreshToken.family_id == row.family_id, col(RefreshToken.id) > row.id)
    tokens = list(session.exec(later.with_for_update()).all())
    window = timedelta(seconds=get_settings().refresh_retry_seconds)
    return tokens if is_lost_answer_retry(row.used_at, now, window, [t.used_at is not None for t in tokens]) else None


def logout(session: Session, actor: Actor, *, access: AccessClaims, refresh_token: str, ip: str, now: datetime) -> None:
    """End this sign-in: the refresh token's family is revoked (only the caller's own tokens), and the access
    tokens of the sign-in, the one presented included, are denied until they would have expired."""
    ended = {access.token_id, access.session_id}
    row = _find_refresh(session, refresh_token)
    if row is not None and row.user_id == actor.id:
        _revoke_family(session, row.family_id, now=now)
        ended.add(row.family_id)
    until = max(access.expires_at, now + timedelta(minutes=get_settings().access_token_minutes))
    revocation.deny(session, ended, until=until, now=now)
    audit.record(session, "logout", actor=actor, target_type="user", target_id=actor.id, ip=ip, now=now)


def change_password(
    session: Session, actor: Actor, *, current_password: str, new_password: str, ip: str, now: datetime
) -> TokenPair:
    """The person's own change: the current password is checked (wrong ones count towards the lock),
    the new one must meet the policy and differ. Every other sign-in ends; a fresh pair is returned."""
    user = session.exec(select(User).where(User.id == actor.id).with_for_update()).one()
    _check_not_locked(session, user, action="password_change", ip=ip, now=now)
    if not verify_password(user.password_hash, current_password):
        locked = _count_failure(session, user, ip=ip, now=now)
        audit.record(
            session,
            "password_change",
            actor=actor,
            target_type="user",
            target_id=user.id,
            result="failed",
            ip=ip,
            now=now,
        )
        raise locked or Invalid("当前密码不正确", field="current_password", code="wrong_password")
    users.check_password_policy(new_password, field="new_password")
    if new_password == current_password:
        raise Invalid("新密码不能与当前密码相同", field="new_password", code="password_unchanged")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.failed_logins = 0
    users.revoke_sessions(session, user, now=now)
    audit.record(session, "password_change", actor=actor, target_type="user", target_id=user.id, ip=ip, now=now)
    return issue_tokens(session, user, now=now)


def purge_expired_refresh_tokens(session: Session, now: datetime) -> int:
    """Drop refresh tokens past their expiry: they can never be used again and only hold hashes."""
    result = session.execute(delete(RefreshToken).where(col(RefreshToken.expires_at) < now))
    return int(getattr(result, "rowcount", 0) or 0)


def me(session: Session, actor: Actor) -> Me:
    """The signed-in person, their unit, and whether they must change their password first."""
    row = session.exec(
        select(User, OrgUnit)
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)  # type: ignore[arg-type]
        .where(User.id == actor.id)
    ).first()
    if row is None:
        raise NotFound()
    user, unit = row
    return Me(
        id=actor.id,
        name=user.name,
        role=Role(user.role),
        role_label=ROLE_LABELS[Role(user.role)],
        org_unit=UnitBrief(id=user.org_unit_id, name=unit.name, kind=UnitKind(unit.kind), code=unit.code),
        mobile_masked=users.masked_mobile(user),
        must_change_password=user.must_change_password,
    )
