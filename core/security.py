"""Password hashing and tokens: argon2 for passwords, HS256 JWTs for access, opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from jose import JWTError, jwt

from core.settings import get_settings

JWT_ALGORITHM = "HS256"  # the only algorithm accepted: never read it from the token
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


def create_access_token(*, subject: int, token_version: int, must_change: bool, now: datetime) -> str:
    settings = get_settings()
    claims = {
        "sub": str(subject),
        "ver": token_version,
        "pcr": must_change,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "typ": "access",
    }
    return str(jwt.encode(claims, settings.secret_key, algorithm=JWT_ALGORITHM))


def decode_access_token(token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(token, get_settings().secret_key, algorithms=[JWT_ALGORITHM])
    except JWTError as exc:
        raise TokenInvalid(str(exc)) from None
    if claims.get("typ") != "access" or not str(claims.get("sub", "")).isdigit():
        raise TokenInvalid("not an access token")
    return claims


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Refresh tokens are stored as SHA-256: they are random, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode()).hexdigest()
