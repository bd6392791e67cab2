"""The audit chain's rules: a row's canonical content, its keyed hash, and the walk that names the first
broken row. Pure: rows, the key and the chain head are passed in."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Literal

# The hash a chain's first row points back to.
GENESIS_HASH = "0" * 64
# The canonical form's version, inside what is hashed: a later form gets a new number, old rows keep theirs.
FORM = 1
# The fields a row's hash covers, besides the form, `seq` and `prev_hash`; `id` is the database's, not ours.
CONTENT_FIELDS = ("at", "actor_id", "actor_role", "action", "target_type", "target_id", "result", "reason", "ip")

BreakReason = Literal["seq_gap", "seq_out_of_order", "prev_hash_mismatch", "hash_mismatch", "head_mismatch"]
BREAK_MESSAGES: dict[BreakReason, str] = {
    "seq_gap": "此条之前缺少记录（被删除）",
    "seq_out_of_order": "此条的序号不在应有的位置（被改动或调换）",
    "prev_hash_mismatch": "此条所记的上一条摘要与上一条不符（上一条被删除、替换或调换）",
    "hash_mismatch": "此条的内容与其摘要不符（被修改）",
    "head_mismatch": "链尾与链头不符（末尾的记录被删除或替换）",
}


@dataclass(frozen=True)
class Broken:
    seq: int | None
    id: int | None
    reason: BreakReason


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rows_checked: int
    first_broken: Broken | None


def _plain(value: object) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an audit row")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def plain_detail(detail: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The detail as the database gives it back (JSON types, string keys), so writer and verifier hash alike."""
    return None if detail is None else json.loads(json.dumps(detail, default=_plain, ensure_ascii=False))


def canonical(row: Mapping[str, Any]) -> bytes:
    """Stable JSON of what a row's hash covers: sorted keys, no spaces, UTF-8, instants in UTC to the µs."""
    content = {name: _plain(row[name]) for name in CONTENT_FIELDS}
    content.update(form=FORM, seq=row["seq"], prev_hash=row["prev_hash"], detail=plain_detail(row["detail"]))
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(key: bytes, row: Mapping[str, Any]) -> str:
    """HMAC-SHA256 of the canonical content, hex: without the key nobody can rewrite a row and its successors."""
    return hmac.new(key, canonical(row), hashlib.sha256).hexdigest()


def _check(key: bytes, row: Mapping[str, Any], seq: int, prev: str) -> BreakReason | None:
    if row["seq"] > seq:
        return "seq_gap"
    if row["seq"] < seq:
        return "seq_out_of_order"
    if not hmac.compare_digest(row["prev_hash"] or "", prev):
        return "prev_hash_mismatch"
    if not hmac.compare_digest(row["row_hash"] or "", row_hash(key, row)):
        return "hash_mismatch"
    return None


def verify(key: bytes, rows: Iterable[Mapping[str, Any]], head: tuple[int, str]) -> Verdict:
    """Walk rows in `seq` order from 1: each must follow the last without a gap, point to its hash and hash to
    its own; the last must be the chain head (rows cut off the end are missing). Stops at the first break."""
    seq, prev, checked = 0, GENESIS_HASH, 0
    for row in rows:
        checked += 1
        reason = _check(key, row, seq + 1, prev)
        if reason is not None:
            return Verdict(False, checked, Broken(row["seq"], row["id"], reason))
        seq, prev = row["seq"], row["row_hash"]
    if (seq, prev) != head:
        return Verdict(False, checked, Broken(seq + 1 if head[0] > seq else head[0], None, "head_mismatch"))
    return Verdict(True, checked, None)
