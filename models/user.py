"""Accounts (one per person, one role bound to one org unit), their refresh tokens, and ended access tokens."""

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.base import at_field, created_at_field
from models.enums import Role


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50, nullable=False)
    mobile_ciphertext: str = Field(max_length=200, nullable=False)
    mobile_index: str = Field(max_length=64, unique=True, nullable=False)
    mobile_last4: str = Field(max_length=4, nullable=False)
    role: Role = Field(sa_type=String(32), nullable=False)
    org_unit_id: int = Field(foreign_key="org_unit.id", index=True, nullable=False)
    password_hash: str = Field(max_length=200, nullable=False)
    must_change_password: bool = Field(default=True, nullable=False)
    failed_logins: int = Field(default=0, nullable=False)
    locked_until: datetime | None = at_field(default=None)
    # Bumped on role, unit or password change: access tokens carrying an older version stop working.
    token_version: int = Field(default=0, nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    last_login_at: datetime | None = at_field(default=None)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, nullable=False)
    family_id: str = Field(max_length=36, index=True, nullable=False)
    token_hash: str = Field(max_length=64, unique=True, nullable=False)
    issued_at: datetime = created_at_field()
    expires_at: datetime = at_field(nullable=False)
    used_at: datetime | None = at_field(default=None)
    revoked_at: datetime | None = at_field(default=None)


class RevokedAccessToken(SQLModel, table=True):
    """An access token (by `jti`) or a whole sign-in's (by `sid`) ended before its expiry, e.g. by logout;
    kept only until every token it names has expired."""

    __tablename__ = "revoked_access_token"

    token_id: str = Field(max_length=36, primary_key=True)
    expires_at: datetime = at_field(nullable=False, index=True)
    revoked_at: datetime = created_at_field()
