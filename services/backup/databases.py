"""The database half of a backup: SQLite through its online backup API, PostgreSQL through pg_dump/pg_restore."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from services.errors import Conflict

BUSY_TIMEOUT_MS = 30_000


def dialect(database_url: str) -> str:
    return "sqlite" if _is_sqlite(database_url) else "postgresql"


def dump_file_name(database_url: str) -> str:
    return "database.sqlite3" if _is_sqlite(database_url) else "database.pgdump"


def dump(database_url: str, target: Path) -> None:
    """A consistent copy of the database as of the moment it starts, taken while the server keeps writing."""
    if _is_sqlite(database_url):
        _sqlite_backup(_sqlite_path(database_url), target)
        with closing(sqlite3.connect(target)) as check:
            if check.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise RuntimeError(f"the copy in {target} failed SQLite's integrity check")
    else:
        url = make_url(database_url)
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", *_pg_args(url)], url)
    os.chmod(target, 0o600)  # personal data


def is_empty(database_url: str) -> bool:
    """True when the database holds no tables at all (a fresh file, or a new PostgreSQL database)."""
    if _is_sqlite(database_url):
        path = _sqlite_path(database_url)
        if not path.exists() or path.stat().st_size == 0:
            return True
        with closing(sqlite3.connect(path)) as conn:
            return bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone() == (0,))
    url = make_url(database_url)
    query = (
        "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
    )
    out = _run(["psql", "--no-psqlrc", "--tuples-only", "--no-align", f"--command={query}", *_pg_args(url)], url)
    return out.strip() == "0"


def load(database_url: str, source: Path, *, replace: bool) -> None:
    """The backed-up database into `database_url`; one that holds tables is refused unless `replace`."""
    if not replace and not is_empty(database_url):
        raise Conflict("目标数据库不是空的；确认要覆盖时加 --force", code="database_not_empty")
    if _is_sqlite(database_url):
        path = _sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_backup(source, path)
        return
    url = make_url(database_url)
    clean = ["--clean", "--if-exists"] if replace else []
    _run(
        ["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error", *clean, *_pg_args(url), str(source)],
        url,
    )


def _sqlite_backup(source: Path, target: Path) -> None:
    # One step (pages=-1): a read transaction over the whole copy, so writers (WAL) go on and the copy is a snapshot.
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=-1)
    finally:
        src.close()
        dst.close()
    os.chmod(target, 0o600)


def _is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise ValueError("a SQLite database in memory cannot be backed up or restored")
    return Path(database)


def _pg_args(url: URL) -> list[str]:
    args = [f"--dbname={url.database}"]
    if url.host:
        args.append(f"--host={url.host}")
    if url.port:
        args.append(f"--port={url.port}")
    if url.username:
        args.append(f"--username={url.username}")
    return args


def _run(command: list[str], url: URL) -> str:
    env = dict(os.environ, PGPASSWORD=url.password or "") if url.password else None  # never on the command line
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise RuntimeError(f"{command[0]} not found: install the PostgreSQL client tools") from None
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()}")
    return done.stdout
