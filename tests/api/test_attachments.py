"""Photo upload and download over HTTP: idempotent PUT, 422 / 413 codes, visibility on GET."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlmodel import Session

from core.clock import utc_now
from models.enums import Role
from models.grid import Attachment, Visit
from tests.factories import Town, auth_header, make_town, make_user
from tests.services.gridwork.test_attachments import (
    assert_clean,
    attachments_dir,
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
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    body, att_id = make_jpeg(), uuid.uuid4()
    first = await put(client, member, att_id, body)
    assert first.status_code == 200, first.text
    assert first.json()["changed"] is True and first.json()["visit_id"] is None
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
    member = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    body = make_jpeg()
    wrong = await client.put(url(uuid.uuid4()), content=body, headers=member | {"X-Content-SHA256": sha(b"x")})
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "sha256_mismatch"
    for junk in (make_gif(), b"not an image at all"):
        refused = await put(client, member, uuid.uuid4(), junk)
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


async def test_get_only_for_readers_of_the_visit(
    client: httpx.AsyncClient, session: Session, town: Town, attachments_dir: Path
) -> None:
    uploader = make_user(session, Role.grid_member, town.grid_a1)
    member, body, att_id = auth_header(uploader), make_webp(), uuid.uuid4()
    assert (await put(client, member, att_id, body)).status_code == 200
    village_a = auth_header(make_user(session, Role.village_staff, town.village_a))
    neighbour = auth_header(make_user(session, Role.grid_member, town.grid_a2))
    admin = auth_header(make_user(session, Role.admin, town.town))

    own = await client.get(url(att_id), headers=member)
    assert own.status_code == 200 and own.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(own.content)) as img:
        assert img.format == "WEBP"
    assert (await client.get(url(att_id), headers=village_a)).status_code == 404  # unclaimed: uploader only

    assert uploader.id is not None and town.grid_a1.id is not None
    visit = Visit(grid_id=town.grid_a1.id, visitor_id=uploader.id, visited_at=utc_now(), received_at=utc_now())
    session.add(visit)
    session.flush()
    row = session.get(Attachment, att_id)
    assert row is not None
    row.visit_id = visit.id
    session.add(row)
    session.flush()

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
    owner = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    other = auth_header(make_user(session, Role.grid_member, town.grid_a1))
    body, att_id = make_jpeg(), uuid.uuid4()
    assert (await put(client, owner, att_id, body)).status_code == 200
    stolen = await put(client, other, att_id, body)
    assert stolen.status_code == 404
    assert (await client.get(url(att_id), headers=other)).status_code == 404
    auditor = auth_header(make_user(session, Role.auditor, town.town))
    assert (await put(client, auditor, uuid.uuid4(), body)).status_code == 403
