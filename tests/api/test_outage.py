"""A database outage answers 503 database_unavailable with Retry-After on every endpoint, /health included, and is
logged once; recovery needs nothing but the database coming back."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from api.main import create_app
from core.availability import RETRY_AFTER_SECONDS, database_outage
from core.db import get_engine, make_engine, session_scope
from core.settings import get_settings
from models.heartbeat import SchedulerHeartbeat
from services.health import heartbeat
from workers.heartbeat import beating


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DEAD_URL = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/bandeng"


def _point_at(monkeypatch: pytest.MonkeyPatch, url: str | None) -> None:
    get_engine().dispose()
    if url is None:
        monkeypatch.undo()
    else:
        monkeypatch.setenv("BANDENG_DATABASE_URL", url)
    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture
def dead_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app's engine points at a PostgreSQL port nobody listens on."""
    _point_at(monkeypatch, DEAD_URL)
    yield
    _point_at(monkeypatch, None)
    database_outage.recovered()


@pytest.fixture
async def app_client(engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its own session dependency, on the migrated test database unless a test points it away."""
    transport = httpx.ASGITransport(app=create_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert response.json() == {
        "error": {"code": "database_unavailable", "message": "数据库暂时不可用，请稍后再试", "detail": None}
    }


@pytest.mark.usefixtures("dead_database")
async def test_an_endpoint_answers_503_with_retry_after(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post("/api/v1/auth/login", json={"mobile": "13900000001", "password": "Grid-2026-ok"})
    _assert_unavailable(response)


@pytest.mark.usefixtures("dead_database")
async def test_health_answers_503_with_retry_after(app_client: httpx.AsyncClient) -> None:
    _assert_unavailable(await app_client.get("/api/v1/health"))


async def test_an_outage_is_one_log_line_and_its_end_another(
    app_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    _point_at(monkeypatch, DEAD_URL)
    try:
        for _ in range(30):
            _assert_unavailable(await app_client.get("/api/v1/health"))
    finally:
        _point_at(monkeypatch, None)
    back = await app_client.get("/api/v1/health")
    assert back.status_code == 200, back.text
    await app_client.get("/api/v1/health")

    lines = [r.getMessage() for r in caplog.records if r.name.startswith(("bandeng", "uvicorn"))]
    assert len(lines) == 2, lines
    assert lines[0].startswith("database unavailable, answering 503 until it is back: OperationalError")
    assert lines[1].startswith("database available again after") and "(30 failed requests or jobs)" in lines[1]
    assert not any(r.exc_info for r in caplog.records)


async def test_health_reports_the_schedulers_last_run(client: httpx.AsyncClient, session: Session) -> None:
    assert (await client.get("/api/v1/health")).json() == {
        "status": "ok",
        "database": "ok",
        "scheduler_last_run": None,
    }
    heartbeat.record(session, "sweep_sla", datetime(2026, 12, 7, 12, 0, tzinfo=UTC))
    heartbeat.record(session, "deliver_notifications", datetime(2026, 12, 7, 12, 0, 20, tzinfo=UTC))
    heartbeat.record(session, "sweep_sla", datetime(2026, 12, 7, 12, 1, tzinfo=UTC))

    body = (await client.get("/api/v1/health")).json()
    assert body["scheduler_last_run"] == {"job": "sweep_sla", "finished_at": "2026-12-07T12:01:00Z"}


def test_a_job_records_its_heartbeat(engine: Engine) -> None:
    def tidy_up() -> None:
        pass

    beating(tidy_up)()
    try:
        with Session(engine) as session:
            row = session.get(SchedulerHeartbeat, "tidy_up")
        assert row is not None and (datetime.now(UTC) - row.finished_at).total_seconds() < 60
    finally:
        with session_scope(engine) as session:
            session.delete(session.get(SchedulerHeartbeat, "tidy_up"))


def test_a_job_stopped_by_an_outage_logs_once_and_raises_nothing(caplog: pytest.LogCaptureFixture) -> None:
    dead = make_engine(DEAD_URL)

    def sweep() -> None:
        with session_scope(dead) as session:
            session.execute(select(1))

    try:
        for _ in range(3):
            beating(sweep)()
    finally:
        dead.dispose()
        database_outage.recovered()
    assert [r.getMessage()[:20] for r in caplog.records if r.name == "bandeng.db"][:1] == ["database unavailable"]
    assert len([r for r in caplog.records if r.name == "bandeng.db" and r.levelno == logging.ERROR]) == 1
