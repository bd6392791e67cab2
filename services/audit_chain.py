"""The audit log as evidence: every row is chained under the head's lock, and the chain can be walked and
checked (rules in services/rules/audit_chain.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Table
from sqlalchemy import select as select_columns
from sqlmodel import Session, select

from core.settings import get_settings
from models.audit import AuditChainHead, AuditLog
from services.rules import audit_chain as rules

BATCH = 2000
_FIELDS = (*rules.CONTENT_FIELDS, "id", "seq", "prev_hash", "row_hash", "detail")


def _key() -> bytes:
    return get_settings().audit_key.encode()


def _locked_head(session: Session) -> AuditChainHead:
    """The head row, locked until the transaction ends: two writers cannot both extend the same head. On
    PostgreSQL a row lock (FOR UPDATE); SQLite has one writer at a time (BEGIN IMMEDIATE, core/db.py)."""
    head = session.exec(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).one_or_none()
    if head is None:  # the migration writes it; a database emptied by hand starts a new chain
        head = AuditChainHead(id=1, seq=0, row_hash=rules.GENESIS_HASH)
        session.add(head)
    return head


def chain(session: Session, entry: AuditLog) -> AuditLog:
    """Give a new row the next `seq`, the head's hash and its own keyed hash, and move the head to it."""
    head = _locked_head(session)
    entry.detail = rules.plain_detail(entry.detail)
    entry.seq = head.seq + 1
    entry.prev_hash = head.row_hash
    entry.row_hash = rules.row_hash(_key(), _fields(entry))
    head.seq, head.row_hash = entry.seq, entry.row_hash
    session.add(entry)
    session.add(head)
    session.flush()
    return entry


def _fields(row: AuditLog) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _FIELDS}


def _rows(session: Session, last: int) -> Iterator[dict[str, Any]]:
    """Rows up to `seq` `last` in order, a batch at a time (keyset on seq), as plain fields, not entities."""
    table: Table = AuditLog.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in _FIELDS]
    after = 0
    while True:
        where = (table.c.seq > after, table.c.seq <= last)
        query = select_columns(*columns).where(*where).order_by(table.c.seq).limit(BATCH)
        batch = [dict(row._mapping) for row in session.connection().execute(query)]
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1]["seq"]


def verify(session: Session) -> rules.Verdict:
    """Walk the chain up to the head as it stands now (rows appended meanwhile wait for the next walk) and name
    the first broken row. Read only: it takes no lock."""
    head = session.get(AuditChainHead, 1)
    expected = (head.seq, head.row_hash) if head else (0, rules.GENESIS_HASH)
    return rules.verify(_key(), _rows(session, expected[0]), expected)
