"""The address per-IP limits and the audit log see: X-Forwarded-For only from proxies configured as trusted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session, col, select

from bandeng import cli
from core.net import client_address, parse_networks
from core.settings import get_settings
from models.audit import AuditLog

LOOPBACK = parse_networks("127.0.0.1, ::1")
PROXIES = parse_networks("10.0.0.0/8")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "seen"),
    [
        ("198.51.100.4", ["203.0.113.7"], (), "198.51.100.4"),  # nothing trusted: the header is ignored
        ("127.0.0.1", ["203.0.113.7"], (), "127.0.0.1"),
        ("198.51.100.4", ["203.0.113.7"], LOOPBACK, "198.51.100.4"),  # the peer is no proxy of ours
        ("127.0.0.1", ["203.0.113.7"], LOOPBACK, "203.0.113.7"),
        ("127.0.0.1", [], LOOPBACK, "127.0.0.1"),
        ("10.0.0.1", ["1.1.1.1, 203.0.113.7, 10.0.0.2"], PROXIES, "203.0.113.7"),  # right-most untrusted hop
        ("10.0.0.1", ["1.1.1.1", "203.0.113.7:5123"], PROXIES, "203.0.113.7"),  # two headers, a port
        ("10.0.0.1", ["10.0.0.3, 10.0.0.2"], PROXIES, "10.0.0.3"),  # every hop a proxy: the farthest
        ("10.0.0.1", ["1.1.1.1, not-an-ip, 10.0.0.2"], PROXIES, "10.0.0.2"),
        ("::1", ["[2001:db8::7]:443"], LOOPBACK, "2001:db8::7"),
    ],
)
def test_the_right_most_untrusted_hop(peer: str, forwarded: list[str], trusted: Any, seen: str) -> None:
    assert client_address(peer, forwarded, trusted) == seen


def test_a_bad_trusted_proxy_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="not-a-cidr"):
        parse_networks("127.0.0.1, not-a-cidr")


@pytest.fixture
def trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BANDENG_TRUSTED_PROXIES", "127.0.0.1")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("BANDENG_TRUSTED_PROXIES")
    get_settings.cache_clear()


async def _login_ip(app: Any, session: Session, forwarded_for: str) -> str | None:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        body = {"mobile": "13700000000", "password": "Wrong-2026-pw"}
        response = await http.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": forwarded_for})
    assert response.status_code == 401
    row = session.exec(select(AuditLog).where(AuditLog.action == "login").order_by(col(AuditLog.id).desc())).first()
    return row.ip if row else None


def _as_served(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app wrapped as `bandeng serve` has uvicorn wrap it."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda _app, **kwargs: seen.update(kwargs))
    cli.serve("127.0.0.1", 8000)
    config = uvicorn.Config(app, **{k: v for k, v in seen.items() if k in {"proxy_headers", "forwarded_allow_ips"}})
    config.load()
    return config.loaded_app


async def test_served_without_trusted_proxies_a_forged_header_changes_nothing(
    app: FastAPI, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert await _login_ip(_as_served(app, monkeypatch), session, "203.0.113.7") == "127.0.0.1"


async def test_behind_a_trusted_proxy_the_client_is_the_forwarded_address(
    app: FastAPI, session: Session, monkeypatch: pytest.MonkeyPatch, trusted_proxies: None
) -> None:
    served = _as_served(app, monkeypatch)
    assert await _login_ip(served, session, "198.51.100.9, 203.0.113.7") == "203.0.113.7"
