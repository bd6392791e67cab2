"""Photo upload and download over HTTP: idempotent PUT, 422 / 413 codes, visibility on GET."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlmodel import Session

from models.enums import Role
from tests.factories import Town, auth_header, make_town, make_user
from tests.services.gridwork.test_attachments import (
    assert_clean,
    attachments_dir,
    declared,
    make_gif,
    make_jpeg,
    make_png,
    make_webp,
    sha,
    stored_files,
)

__all__ = ["attachments_dir"]  # the fixture, imported to be used here


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


def url(att_id: uuid.UUID | str) -> str:
    return f"/api/v1/attachments/{att_id}"


async def put(client: httpx.AsyncClient, headers: dict[str, str], att_id: uuid.UUID, body: bytes) -> httpx.Response:
    return await client.put(
        url(att_id), content=body, headers=headers | {"X-Content-SHA256": sha(body), "Content-Type": "image/jpeg"}
    )


async def test_put_twice_is_one_file_and_200_both_times(
    client: httpx.AsyncClient, session: Session, town: Town, attachments_dir: Path
) -> None:
    user = make_user(session, Role.grid_member, town.grid_a1)
    member, body = auth_header(user), make_jpeg()
    att_id = declared(session, user, body)
    first = await put(client, member, att_id, body)
    assert first.status_code == 200, first.text
    assert first.json()["changed"] is True and first.json()["visit_id"] is not None
    again = await put(client, member, att_id, body)
    assert again.status_code == 200 and again.json()["changed"] is False
    assert again.json()["stored_sha256"] == first.json()["stored_sha256"]
    files = stored_files(attachments_dir)
    assert len(files) == 1
    assert_clean(files[0].read_bytes())
    other = await put(client, member, att_id, make_png())
    assert other.status_code == 409 and other.json()["error"]["code"] == "attachment_conflict"


async def test_wrong_hash_and_wrong_type_are_422(
    client: httpx.AsyncClient, session: Session, town: Town, attachments_dir: Path
) -> None:
    user = make_user(session, Role.grid_member, town.grid_a1)
    member, body = auth_header(user), make_jpeg()
    slot = declared(session, user, body)
    wrong = await client.put(url(slot), content=body, headers=member | {"X-Content-SHA256": sha(b"x")})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "sha256_mismatch"
    for junk in (make_gif(), b"not an image at all"):
        refused = await put(client, member, declared(session, user, junk), junk)
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "unsupported_type"
    assert stored_files(attachments_dir) == []


async def test_over_the_limit_is_413(
    client: httpx.AsyncClient, session: Session, town: Town, attachments_dir: Path
) -> None:
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    big = b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024)
    declared = await put(client, member, uuid.uuid4(), big)
    assert declared.status_code == 413
    assert declared.json()["error"] == {
        "code": "payload_too_large",
        "message": declared.json()["error"]["message"],
        "detail": {"max_bytes": 5 * 1024 * 1024},
    }

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while reading
        for _ in range(6):
            yield b"\x00" * (1024 * 1024)

    streamed = await client.put(url(uuid.uuid4()), content=chunks(), headers=member | {"X-Content-SHA256": "0" * 64})
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "payload_too_large"
    assert stored_files(attachments_dir) == []


async def test_a_photo_goes_only_to_a_declared_slot(
    client: httpx.AsyncClient, session: Session, town: Town, attachments_dir: Path
) -> None:
    user = make_user(session, Role.grid_member, town.grid_a1)
    body = make_jpeg()
    early = await put(client, auth_header(user), uuid.uuid4(), body)
    assert early.status_code == 409 and early.json()["error"]["code"] == "attachment_not_declared"
    assert stored_files(attachments_dir) == []


async def test_a_photo_over_the_body_limit_is_still_taken(
    client: httpx.AsyncClient, session: Session, town: Town, attachments_dir: Path
) -> None:
    """Request bodies stop at 1 MB; photo uploads have their own limit (5 MB)."""
    noise = Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    body = out.getvalue()
    assert 1024 * 1024 < len(body) < 5 * 1024 * 1024
    user = make_user(session, Role.grid_member, town.grid_a1)
    response = await put(client, auth_header(user), declared(session, user, body, "image/png"), body)
    assert response.status_code == 200, response.text


async def test_get_only_for_readers_of_the_visit(
    client: httpx.AsyncClient, session: Session, town: Town, attachments_dir: Path
) -> None:
    uploader = make_user(session, Role.grid_member, town.grid_a1)
    member, body = auth_header(uploader), make_webp()
    att_id = declared(session, uploader, body, "image/webp")
    assert (await put(client, member, att_id, body)).status_code == 200
    village_a = auth_header(make_user(session, Role.village_staff, town.village_a))
    neighbour = auth_header(make_user(session, Role.grid_member, town.grid_a2))
    admin = auth_header(make_user(session, Role.admin, town.town))

    own = await client.get(url(att_id), headers=member)
    assert own.status_code == 200 and own.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(own.content)) as img:
        assert img.format == "WEBP"

    readable = await client.get(url(att_id), headers=village_a)
    assert readable.status_code == 200 and readable.content == own.content
    assert readable.headers["content-type"] == "image/webp"
    for outsider in (neighbour, admin):
        hidden = await client.get(url(att_id), headers=outsider)
        assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    assert (await client.get(url(uuid.uuid4()), headers=member)).status_code == 404
    assert (await client.get(url(att_id))).status_code == 401


async def test_someone_elses_slot_is_404_on_put(
    client: httpx.AsyncClient, session: Session, town: Town, attachments_dir: Path
) -> None:
    owner_user = make_user(session, Role.grid_member, town.grid_a1)
    owner, other = auth_header(owner_user), auth_header(make_user(session, Role.grid_member, town.grid_a1))
    body = make_jpeg()
    att_id = declared(session, owner_user, body)
    assert (await put(client, owner, att_id, body)).status_code == 200
    stolen = await put(client, other, att_id, body)
    assert stolen.status_code == 404
    auditor = auth_header(make_user(session, Role.auditor, town.town))
    assert (await put(client, auditor, uuid.uuid4(), body)).status_code == 403
