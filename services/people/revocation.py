"""The deny-list of access tokens ended before their expiry: by token id (`jti`) or by sign-in (`sid`).

A table, not memory, so every API process sees a logout at once. Rows live only until the tokens they name
have expired anyway; the housekeeping job prunes them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists
from sqlmodel import Session, col

from core.db import dialect_insert
from models.user import RevokedAccessToken


def deny(session: Session, token_ids: Iterable[str], *, until: datetime, now: datetime) -> None:
    """Access tokens carrying any of these ids (as `jti` or `sid`) stop working now, until `until`."""
    for token_id in sorted(set(token_ids)):
        row = {"token_id": token_id, "expires_at": until, "revoked_at": now}
        statement = dialect_insert(session, RevokedAccessToken).values(**row)
        session.execute(statement.on_conflict_do_nothing(index_elements=["token_id"]))


def denied(token_ids: Iterable[str]) -> ColumnElement[bool]:
    """True when any of the ids is on the deny-list: one primary-key probe, to put inside another query."""
    return exists().where(col(RevokedAccessToken.token_id).in_(sorted(set(token_ids))))


def purge_expired(session: Session, now: datetime) -> int:
    """Drop denials whose tokens have all expired: an expired token is refused without them."""
    result = session.execute(delete(RevokedAccessToken).where(col(RevokedAccessToken.expires_at) < now))
    return int(getattr(result, "rowcount", 0) or 0)
