"""The migrated schema once per run; each test in a transaction that is rolled back.

SQLite by default (a fresh file); PostgreSQL when TEST_DATABASE_URL is set, e.g.
TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="bandeng-test-"))
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"
os.environ["BANDENG_DATABASE_URL"] = TEST_DATABASE_URL
os.environ["BANDENG_ENVIRONMENT"] = "test"
os.environ["BANDENG_SCHEDULER_IN_PROCESS"] = "false"

import httpx  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from core.db import make_engine  # noqa: E402
from core.settings import ROOT, get_settings  # noqa: E402

get_settings.cache_clear()


def alembic_config() -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    return config


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    engine = make_engine(TEST_DATABASE_URL)
    if engine.dialect.name == "postgresql":
        _reset_postgres(engine)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits become savepoints inside one transaction that the test rolls back."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def app(session: Session) -> FastAPI:
    from api.deps import get_session
    from api.main import create_app

    application = create_app()

    def _test_session() -> Iterator[Session]:
        # What the test arranged counts as committed before the HTTP request begins.
        session.commit()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    application.dependency_overrides[get_session] = _test_session
    return application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def live_client() -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own session dependency: each request commits, so jobs' own sessions see it."""
    from api.main import create_app

    transport = httpx.ASGITransport(app=create_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
