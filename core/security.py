"""Password hashing and tokens: argon2 for passwords, HS256 JWTs for access, opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from jose import JWTError, jwt

from core.clock import utc_now
from core.settings import get_settings

JWT_ALGORITHM = "HS256"  # the only algorithm accepted: never read it from the token
_LEEWAY_SECONDS = 60  # clocks of several API processes may differ a little
_hasher = PasswordHasher()
# Verifying against this when the account does not exist keeps login time flat.
_DUMMY_HASH = _hasher.hash("no-such-account-placeholder")


class TokenInvalid(Exception):
    """The access token is missing, malformed, expired or signed with another key."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class AccessClaims:
    """What a valid access token says: whose it is, its id, its sign-in (refresh family) and when it ends."""

    user_id: int
    token_version: int
    must_change: bool
    token_id: str
    session_id: str
    expires_at: datetime


def create_access_token(
    *, subject: int, token_version: int, must_change: bool, now: datetime, session_id: str | None = None
) -> str:
    """A signed access token with its own id (`jti`) and its sign-in's id (`sid`), living the set minutes."""
    settings = get_settings()
    claims = {
        "sub": str(subject),
        "ver": token_version,
        "pcr": must_change,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "typ": "access",
        "jti": uuid.uuid4().hex,
        "sid": session_id or str(uuid.uuid4()),
    }
    return str(jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM))


_REQUIRED = {"require_exp": True, "require_iat": True, "require_jti": True, "require_sub": True}


def decode_access_token(token: str) -> AccessClaims:
    """Our signature, our one algorithm, every claim present, and an expiry no further off than the setting
    allows from its issue or from now (a token minted with a longer life is refused, not trusted)."""
    settings = get_settings()
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=[JWT_ALGORITHM], options=_REQUIRED)
    except JWTError as exc:
        raise TokenInvalid(str(exc)) from None
    lifetime = settings.access_token_minutes * 60 + _LEEWAY_SECONDS
    exp, iat, now = claims["exp"], claims["iat"], utc_now().timestamp()
    if not (isinstance(exp, int) and isinstance(iat, int)) or exp - iat > lifetime or exp - now > lifetime:
        raise TokenInvalid("lifetime above the setting")
    if claims.get("typ") != "access" or not str(claims["sub"]).isdigit() or not isinstance(claims.get("sid"), str):
        raise TokenInvalid("not an access token")
    return AccessClaims(
        user_id=int(claims["sub"]),
        token_version=claims.get("ver", -1),
        must_change=bool(claims.get("pcr")),
        token_id=str(claims["jti"]),
        session_id=claims["sid"],
        expires_at=datetime.fromtimestamp(exp, tz=UTC),
    )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Refresh tokens are stored as SHA-256: they are random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()
