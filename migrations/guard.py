"""Downgrades never drop what people entered without being told to.

A downgrade() that drops tables or columns holding person-entered rows (requests and their events,
transfers, ratings, whistles, extension requests, callbacks, visits and their photos, households,
residents, reception sessions and duty logs, accounts, org units, the audit log, …) first calls
`refuse_to_lose(...)` with those tables, and for a dropped column a condition picking the rows whose
value would go. If any of them holds rows, the downgrade stops before anything changes (the whole
run is one transaction) and says how many rows it would lose, table by table. To drop them anyway,
take a backup (`bandeng backup`) and force:

    alembic -x force=true downgrade <target>

An empty database downgrades to base without forcing: configuration the upgrades seed (categories,
ledger types, SLA policies, the working calendar) is not counted, since upgrading seeds it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import sqlalchemy as sa
from alembic import context, op

log = logging.getLogger("alembic.guard")

FORCE_VALUES = {"1", "true", "yes"}


class DowngradeRefused(RuntimeError):
    """A downgrade that would drop person-entered rows, run without `-x force=true`."""


def refuse_to_lose(*tables: str, where: Mapping[str, str] | None = None) -> None:
    """Refuse (unless forced) a downgrade that would drop rows people entered, naming each table's count.
    `tables` are dropped whole; `where` maps a table losing a column to the SQL condition of its rows
    whose entered value would go."""
    checks = [(table, None) for table in tables] + list((where or {}).items())
    losing = {table: n for table, condition in checks if (n := _count(table, condition))}
    if not losing:
        return
    counts = ", ".join(f"{table}: {n}" for table, n in losing.items())
    if _forced():
        log.warning("downgrade forced: dropping rows people entered (%s)", counts)
        return
    raise DowngradeRefused(
        f"downgrade refused: it would drop rows people entered ({counts}; {sum(losing.values())} in all). "
        "Back up first (bandeng backup), then run it with: alembic -x force=true downgrade <target>"
    )


def _count(table: str, condition: str | None) -> int:
    query = f'SELECT count(*) FROM "{table}"' + (f" WHERE {condition}" if condition else "")
    return int(op.get_bind().execute(sa.text(query)).scalar_one())


def _forced() -> bool:
    return context.get_x_argument(as_dictionary=True).get("force", "").lower() in FORCE_VALUES
