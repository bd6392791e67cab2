"""Photo uploads: integrity, type sniffing, metadata stripped, idempotence, content-addressed storage."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import ExifTags, Image, PngImagePlugin
from sqlmodel import Session

from core.clock import utc_now
from core.settings import get_settings
from models.enums import Role
from models.grid import Attachment, Visit
from models.user import User
from services.errors import Conflict, Invalid, NotFound, TooManyRequests
from services.gridwork import attachments
from services.gridwork.storage import LocalBlobStore, get_store
from tests.factories import Town, actor_of, make_town, make_user

GPS = ExifTags.IFD.GPSInfo


def make_jpeg(size: tuple[int, int] = (40, 20), orientation: int | None = None) -> bytes:
    """A JPEG with camera EXIF and a GPS position (and optionally an orientation tag)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(GPS).update({1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)})
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", exif=exif, xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    return out.getvalue()


def make_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "家住甲村 3 号")
    out = io.BytesIO()
    Image.new("RGBA", (16, 16), (0, 128, 0, 255)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def make_webp() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(GPS).update({1: "N", 2: (30.0, 15.0, 0.0)})
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 0, 200)).save(out, "WEBP", exif=exif)
    return out.getvalue()


def make_gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_clean(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        assert not dict(img.getexif())
        assert not img.getexif().get_ifd(GPS)
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "Comment"} & set(img.info)
        return img


@pytest.fixture
def attachments_dir(tmp_path: Path) -> Iterator[Path]:
    """A temporary BANDENG_ATTACHMENTS_DIR for the test, the real settings restored afterwards."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BANDENG_ATTACHMENTS_DIR", str(tmp_path))
        get_settings.cache_clear()
        yield tmp_path
    get_settings.cache_clear()


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


def declared(session: Session, user: User, body: bytes, mime: str = "image/jpeg") -> uuid.UUID:
    """The id of a photo slot a visit of `user` declares for `body`, as the visit's sync op does."""
    assert user.id is not None
    visit = Visit(grid_id=user.org_unit_id, visitor_id=user.id, visited_at=utc_now(), received_at=utc_now())
    session.add(visit)
    session.flush()
    return attachments.declare(session, actor_of(session, user), visit, uuid.uuid4(), sha(body), mime, len(body)).id


def test_store_is_content_addressed_and_atomic(attachments_dir: Path) -> None:
    store = get_store()
    key = store.put(b"abc")
    assert store.put(b"abc") == key == sha(b"abc")
    assert (attachments_dir / key[:2] / key[2:4] / key).read_bytes() == b"abc"
    assert stored_files(attachments_dir) == [attachments_dir / key[:2] / key[2:4] / key]  # no temp file left
    assert store.exists(key) and store.get(key) == b"abc"
    assert store.get("0" * 64) is None
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")


@pytest.mark.parametrize(
    ("maker", "mime"), [(make_jpeg, "image/jpeg"), (make_png, "image/png"), (make_webp, "image/webp")]
)
def test_upload_strips_metadata(session: Session, town: Town, tmp_path: Path, maker: object, mime: str) -> None:
    assert callable(maker)
    body: bytes = maker()
    user = make_user(session, Role.grid_member, town.grid_a1)
    actor, slot = actor_of(session, user), declared(session, user, body, mime)
    store = LocalBlobStore(tmp_path)
    row, changed = attachments.upload(session, actor, slot, body, sha(body), store=store, now=utc_now())
    assert changed and row.mime == mime and row.sha256 == sha(body) and row.bytes == len(body)
    assert row.visit_id is not None and row.created_by_id == actor.id and row.uploaded_at is not None
    assert row.stored_sha256 is not None
    stored = store.get(row.stored_sha256)
    assert stored is not None and sha(stored) == row.stored_sha256
    assert_clean(stored)


def test_orientation_is_applied_before_exif_is_dropped(session: Session, town: Town, tmp_path: Path) -> None:
    body = make_jpeg(size=(40, 20), orientation=6)  # rotate 90° to display
    user = make_user(session, Role.grid_member, town.grid_a1)
    store = LocalBlobStore(tmp_path)
    slot = declared(session, user, body)
    row, _ = attachments.upload(session, actor_of(session, user), slot, body, sha(body), store=store, now=utc_now())
    assert row.stored_sha256 is not None
    img = assert_clean(store.get(row.stored_sha256) or b"")
    assert img.size == (20, 40)


def test_same_bytes_twice_write_one_file(session: Session, town: Town, tmp_path: Path) -> None:
    body = make_jpeg()
    user = make_user(session, Role.grid_member, town.grid_a1)
    actor, att_id = actor_of(session, user), declared(session, user, body)
    store = LocalBlobStore(tmp_path)
    first, changed = attachments.upload(session, actor, att_id, body, sha(body), store=store, now=utc_now())
    again, changed_again = attachments.upload(session, actor, att_id, body, None, store=store, now=utc_now())
    assert changed and not changed_again and again.uploaded_at == first.uploaded_at
    assert len(stored_files(tmp_path)) == 1
    with pytest.raises(Conflict) as conflict:
        other = make_png()
        attachments.upload(session, actor, att_id, other, sha(other), store=store, now=utc_now())
    assert conflict.value.code == "attachment_conflict"


def test_only_a_declared_photo_is_taken(session: Session, town: Town, tmp_path: Path) -> None:
    """A photo belongs to a visit: one no visit has declared is refused (the phone sends it after its visit),
    so nobody fills the disk with photos of nothing."""
    body = make_jpeg()
    actor = actor_of(session, make_user(session, Role.grid_member, town.grid_a1))
    with pytest.raises(Conflict) as refused:
        attachments.upload(session, actor, uuid.uuid4(), body, sha(body), store=LocalBlobStore(tmp_path), now=utc_now())
    assert refused.value.code == "attachment_not_declared"
    assert stored_files(tmp_path) == []


def test_photos_per_account_per_day(
    session: Session, town: Town, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BANDENG_ATTACHMENT_DAILY_LIMIT", "2")
    get_settings.cache_clear()
    user = make_user(session, Role.grid_member, town.grid_a1)
    actor, store = actor_of(session, user), LocalBlobStore(tmp_path)
    photos = [make_jpeg(size=(40 + i, 20)) for i in range(4)]
    slots = [declared(session, user, photo) for photo in photos]
    evening = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    try:
        for slot, photo in zip(slots[:2], photos[:2], strict=True):
            attachments.upload(session, actor, slot, photo, sha(photo), store=store, now=evening)
        again, changed = attachments.upload(session, actor, slots[0], photos[0], None, store=store, now=evening)
        assert not changed  # a repeat stores nothing, so it counts for nothing
        with pytest.raises(TooManyRequests) as full:
            attachments.upload(session, actor, slots[2], photos[2], None, store=store, now=evening)
        assert full.value.code == "photo_quota" and full.value.retry_after == 3600
        assert "2 张" in full.value.message
        after_midnight = evening + timedelta(hours=1, seconds=1)
        _, stored = attachments.upload(session, actor, slots[2], photos[2], None, store=store, now=after_midnight)
        assert stored
    finally:
        get_settings.cache_clear()


def test_declared_slot_is_checked_against_its_hash(session: Session, town: Town, tmp_path: Path) -> None:
    user = make_user(session, Role.grid_member, town.grid_a1)
    actor = actor_of(session, user)
    body = make_jpeg()
    assert town.grid_a1.id is not None
    visit = Visit(grid_id=town.grid_a1.id, visitor_id=actor.id, visited_at=utc_now(), received_at=utc_now())
    session.add(visit)
    session.flush()
    slot = Attachment(
        id=uuid.uuid4(), visit_id=visit.id, sha256=sha(body), mime="image/jpeg", bytes=len(body), created_by_id=actor.id
    )
    session.add(slot)
    session.flush()
    store = LocalBlobStore(tmp_path)
    with pytest.raises(Invalid) as wrong:
        other = make_png()
        attachments.upload(session, actor, slot.id, other, None, store=store, now=utc_now())
    assert wrong.value.code == "sha256_mismatch"
    row, changed = attachments.upload(session, actor, slot.id, body, None, store=store, now=utc_now())
    assert changed and row.visit_id == visit.id and row.stored_sha256
    stranger = actor_of(session, make_user(session, Role.grid_member, town.grid_a1))
    with pytest.raises(NotFound):
        attachments.upload(session, stranger, slot.id, body, sha(body), store=store, now=utc_now())


@pytest.mark.parametrize(
    ("body", "claimed", "code"),
    [
        (b"\x00" * 100, None, "unsupported_type"),
        (make_gif(), None, "unsupported_type"),
        (b"\xff\xd8\xff" + b"junk" * 10, None, "unreadable_image"),
        (make_jpeg(), "0" * 64, "sha256_mismatch"),
    ],
)
def test_bad_uploads_are_refused(
    session: Session, town: Town, tmp_path: Path, body: bytes, claimed: str | None, code: str
) -> None:
    user = make_user(session, Role.grid_member, town.grid_a1)
    actor, slot = actor_of(session, user), declared(session, user, body)
    store = LocalBlobStore(tmp_path)
    header = claimed or sha(body)
    with pytest.raises(Invalid) as refused:
        attachments.upload(session, actor, slot, body, header, store=store, now=utc_now())
    assert refused.value.code == code
    assert stored_files(tmp_path) == []


def test_a_visit_claims_a_photo_uploaded_before_it(session: Session, town: Town) -> None:
    """Photos taken in before a visit was declared (as phones once sent them) are claimed by the visit."""
    user = make_user(session, Role.grid_member, town.grid_a1)
    actor, body, att_id = actor_of(session, user), make_jpeg(), uuid.uuid4()
    uploaded = Attachment(
        id=att_id, sha256=sha(body), mime="image/jpeg", bytes=len(body), created_by_id=actor.id, uploaded_at=utc_now()
    )
    session.add(uploaded)
    assert town.grid_a1.id is not None
    visit = Visit(grid_id=town.grid_a1.id, visitor_id=actor.id, visited_at=utc_now(), received_at=utc_now())
    session.add(visit)
    session.flush()
    stranger = actor_of(session, make_user(session, Role.grid_member, town.grid_a1))
    with pytest.raises(Conflict) as taken:
        attachments.declare(session, stranger, visit, att_id, sha(body), "image/jpeg", len(body))
    assert taken.value.code == "attachment_id_taken"
    with pytest.raises(Conflict):
        attachments.declare(session, actor, visit, att_id, "a" * 64, "image/jpeg", len(body))
    row = attachments.declare(session, actor, visit, att_id, sha(body).upper(), "image/jpeg", len(body))
    assert row.visit_id == visit.id and row.uploaded_at is not None
    assert attachments.declare(session, actor, visit, att_id, sha(body), "image/jpeg", len(body)) is row
    fresh = attachments.declare(session, actor, visit, uuid.uuid4(), sha(b"x"), "image/jpeg", 1)
    assert fresh.visit_id == visit.id and fresh.uploaded_at is None
