"""Security headers on the PWA, the printable board and photos; the PWA has nothing inline its CSP would block."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from pathlib import Path

import httpx
from sqlmodel import Session

from core.clock import utc_now
from models.enums import Role
from models.grid import Attachment, Visit
from tests.api.test_attachments import put
from tests.factories import auth_header, make_town, make_user
from tests.services.gridwork.test_attachments import attachments_dir, make_jpeg, sha

__all__ = ["attachments_dir"]  # the fixture, imported to be used here

PWA = Path(__file__).resolve().parent.parent.parent / "pwa"


def _directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def _assert_common(response: httpx.Response) -> dict[str, str]:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    directives = _directives(response)
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert "unsafe-eval" not in response.headers["content-security-policy"]
    return directives


async def test_the_pwa_and_its_files(client: httpx.AsyncClient) -> None:
    for path in ("/", "/index.html", "/js/app.js", "/app.css", "/sw.js"):
        response = await client.get(path)
        assert response.status_code == 200, path
        directives = _assert_common(response)
        assert directives["default-src"] == "default-src 'self'"
        assert directives["script-src"] == "script-src 'self'"
        assert directives["object-src"] == "object-src 'none'"
    assert "blob:" in directives["img-src"]  # photo previews are object URLs


def test_the_pwa_has_no_inline_script_style_or_handler() -> None:
    """What its CSP relies on: every script and style is a file of its own."""
    for path in [PWA / "index.html", *PWA.glob("js/*.js")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        inline = r"<style\b|\sstyle=|\son[a-z]+=\"|setAttribute\('style|\beval\(|new Function\("
        assert not re.search(inline, text), path


async def test_api_answers_carry_them_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/health")
    assert _assert_common(response)["default-src"] == "default-src 'none'"
    docs = await client.get("/docs")  # Swagger UI keeps working: its scripts come from its CDN
    assert docs.status_code == 200 and docs.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]


async def test_the_printable_board_allows_its_own_style_only(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    response = await client.get(f"/api/v1/public/board/{town.village_b.id}.html")
    assert response.status_code == 200
    directives = _assert_common(response)
    assert directives["default-src"] == "default-src 'none'"
    style = re.search(r"<style>(.*?)</style>", response.text, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert directives["style-src"] == f"style-src 'sha256-{digest}'"


async def test_photos(client: httpx.AsyncClient, session: Session, attachments_dir: Path) -> None:
    town = make_town(session)
    user = make_user(session, Role.grid_member, town.grid_a1)
    assert town.grid_a1.id is not None and user.id is not None
    visit = Visit(grid_id=town.grid_a1.id, visitor_id=user.id, visited_at=utc_now(), received_at=utc_now())
    session.add(visit)
    session.flush()
    body = make_jpeg()
    slot = Attachment(
        id=uuid.uuid4(), visit_id=visit.id, sha256=sha(body), mime="image/jpeg", bytes=len(body), created_by_id=user.id
    )
    session.add(slot)
    session.flush()
    assert (await put(client, auth_header(user), slot.id, body)).status_code == 200
    photo = await client.get(f"/api/v1/attachments/{slot.id}", headers=auth_header(user))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    directives = _assert_common(photo)
    assert directives["default-src"] == "default-src 'none'"
    assert "sandbox" in directives
