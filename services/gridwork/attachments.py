"""Visit photos: upload (integrity, type, metadata stripped, stored content-addressed) and who may read one.

A photo belongs to a visit: its slot is declared by the visit's sync op (id, hash, size), and only a declared
slot takes an upload, by the person who declared it, so nobody fills the disk with photos of nothing. The
phone sends photos after their visits; one that arrives first is told so (409) and stays queued. Each
account stores at most BANDENG_ATTACHMENT_DAILY_LIMIT photos per local day."""

from __future__ import annotations

import hashlib
import io
import math
import uuid
from datetime import datetime, time, timedelta

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.enums import Role
from models.grid import Attachment, Visit
from services.actor import Actor
from services.clocks.calendar import local_today
from services.errors import Conflict, Invalid, NotFound, PermissionDenied, TooManyRequests
from services.gridwork.storage import BlobStore
from services.people.visibility import subtree_ids

# Roles that record visits and so upload their photos; the same roles read photos of visits in their subtree.
_UPLOADERS = frozenset({Role.grid_member, Role.grid_leader, Role.village_staff})
_READERS = _UPLOADERS | {Role.town_cadre}
_MAX_PIXELS = 40_000_000  # a phone photo is ~12 Mpx; refuse decompression bombs long before Pillow's own limit
_KEEP_INFO = ("icc_profile", "transparency")  # colour and transparency, nothing about the person or place


def sniff_mime(body: bytes) -> str | None:
    """The image type from its magic bytes (the Content-Type header is not trusted)."""
    if body.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if body.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    return None


_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MIMES = tuple(_FORMATS)


def strip_metadata(body: bytes, mime: str) -> bytes:
    """Re-encode the image without EXIF (GPS included), XMP or text chunks, its orientation applied first."""
    fmt = _FORMATS[mime]
    try:
        with Image.open(io.BytesIO(body), formats=[fmt]) as opened:
            if opened.width * opened.height > _MAX_PIXELS:
                raise Invalid("图片尺寸过大", field="body", code="unreadable_image")
            upright = ImageOps.exif_transpose(opened)
            upright.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise Invalid("图片无法读取，请重新拍摄或选择", field="body", code="unreadable_image") from None
    clean = upright.copy()
    clean.info = {key: upright.info[key] for key in _KEEP_INFO if key in upright.info}
    out = io.BytesIO()
    if fmt == "PNG":
        clean.save(out, fmt, optimize=True)
    else:  # lossy formats: one re-encode at high quality is the price of dropping the metadata for certain
        clean.save(out, fmt, quality=90, icc_profile=clean.info.get("icc_profile"))
    return out.getvalue()


def _check_hash(actual: str, claimed: str | None, row: Attachment) -> None:
    if claimed is not None and claimed.lower() != actual:
        raise Invalid("照片校验值不符，请重新上传", field="X-Content-SHA256", code="sha256_mismatch")
    if row.uploaded_at is None and row.sha256 != actual:
        raise Invalid("照片与记录中登记的校验值不符，请重新上传", field="body", code="sha256_mismatch")


def _check_quota(session: Session, actor: Actor, now: datetime) -> None:
    """TooManyRequests once the account has stored its daily number of photos (local day) until midnight."""
    settings = get_settings()
    midnight = datetime.combine(local_today(now), time(), tzinfo=settings.tz)
    stored = session.exec(
        select(func.count())
        .select_from(Attachment)
        .where(col(Attachment.created_by_id) == actor.id, col(Attachment.uploaded_at) >= midnight)
    ).one()
    if stored >= settings.attachment_daily_limit:
        wait = math.ceil((midnight + timedelta(days=1) - now).total_seconds())
        message = f"今天已上传 {stored} 张照片，达到每日上限（{settings.attachment_daily_limit} 张），请明天再上传"
        raise TooManyRequests(message, retry_after=max(wait, 1), code="photo_quota")


def upload(
    session: Session,
    actor: Actor,
    attachment_id: uuid.UUID,
    body: bytes,
    claimed_sha256: str | None,
    *,
    store: BlobStore,
    now: datetime,
) -> tuple[Attachment, bool]:
    """Store the photo of a declared slot; the same bytes again change nothing.

    Returns the row and whether anything was written. `sha256` and `bytes` describe the upload as sent
    (what the phone declares); `stored_sha256` is the stripped file's key in the store."""
    row = session.get(Attachment, attachment_id)
    if row is not None and row.created_by_id != actor.id:
        raise NotFound()  # someone else's slot: do not say it exists
    if row is None and actor.role not in _UPLOADERS:
        raise PermissionDenied()
    if row is None:
        raise Conflict("这张照片所属的走访记录尚未同步，请先同步走访记录再上传照片", code="attachment_not_declared")
    actual = hashlib.sha256(body).hexdigest()
    _check_hash(actual, claimed_sha256, row)
    if row.uploaded_at is not None:
        if row.sha256 == actual and row.stored_sha256 and store.exists(row.stored_sha256):
            return row, False
        if row.sha256 != actual:
            raise Conflict("此照片编号已上传了另一张照片", code="attachment_conflict")
    else:
        _check_quota(session, actor, now)
    mime = sniff_mime(body)
    if mime is None:
        raise Invalid("只接受 JPEG、PNG 或 WebP 图片", field="body", code="unsupported_type")
    row.mime, row.bytes, row.stored_sha256 = mime, len(body), store.put(strip_metadata(body, mime))
    row.uploaded_at = row.uploaded_at or now
    session.add(row)
    session.flush()
    return row, True


def declare(
    session: Session, actor: Actor, visit: Visit, attachment_id: uuid.UUID, sha256: str, mime: str, size: int
) -> Attachment:
    """The slot a visit declares for a photo; one the same person already uploaded under that id with the
    same hash is claimed by the visit (photo first, record second). Anything else holding the id conflicts."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        row = Attachment(
            id=attachment_id, visit_id=visit.id, sha256=sha256.lower(), mime=mime, bytes=size, created_by_id=actor.id
        )
    elif row.visit_id == visit.id:
        return row
    elif row.created_by_id != actor.id or row.visit_id is not None:
        raise Conflict("照片编号已被占用", code="attachment_id_taken")
    elif row.sha256 != sha256.lower():
        raise Conflict("此照片编号已上传了另一张照片", code="attachment_conflict")
    else:
        row.visit_id = visit.id
    session.add(row)
    session.flush()
    return row


def get_readable(session: Session, actor: Actor, attachment_id: uuid.UUID) -> Attachment:
    """An uploaded photo if the actor may read its visit (grid in their subtree), or uploaded it and no
    visit has claimed it yet; NotFound otherwise, which fails closed and leaks nothing."""
    query = select(Attachment).where(col(Attachment.id) == attachment_id, col(Attachment.uploaded_at).is_not(None))
    row = session.exec(query).first()
    if row is None:
        raise NotFound()
    if row.visit_id is None:
        if row.created_by_id == actor.id:
            return row
        raise NotFound()
    if actor.role in _READERS and actor.unit_path:
        visible = select(Visit.id).where(col(Visit.id) == row.visit_id, col(Visit.grid_id).in_(subtree_ids(actor)))
        if session.exec(visible).first() is not None:
            return row
    raise NotFound()


def read_bytes(row: Attachment, store: BlobStore) -> bytes:
    """The stored (stripped) file of an uploaded photo."""
    data = store.get(row.stored_sha256) if row.stored_sha256 else None
    if data is None:
        raise NotFound("照片文件缺失", code="attachment_missing")
    return data
