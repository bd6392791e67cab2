"""The chain's rules: canonical content, keyed hashes, and the walk naming the first broken row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from models.enums import Role
from services.rules import audit_chain as rules

KEY = b"test-audit-key-0123456789abcdef0123"
T0 = datetime(2026, 2, 17, 8, 30, 0, 123456, tzinfo=UTC)


def _chain(n: int, key: bytes = KEY) -> list[dict[str, Any]]:
    rows, prev = [], rules.GENESIS_HASH
    for seq in range(1, n + 1):
        row = {
            "id": seq * 10,
            "seq": seq,
            "prev_hash": prev,
            "at": T0 + timedelta(seconds=seq),
            "actor_id": seq,
            "actor_role": "grid_member",
            "action": "reveal_phone",
            "target_type": "household",
            "target_id": str(seq),
            "result": "ok",
            "reason": f"回访居民 {seq}",
            "ip": "10.0.0.1",
            "detail": {"n": seq, "tags": ["a", "b"]},
        }
        row["row_hash"] = prev = rules.row_hash(key, row)
        rows.append(row)
    return rows


def _head(rows: list[dict[str, Any]]) -> tuple[int, str]:
    return (rows[-1]["seq"], rows[-1]["row_hash"]) if rows else (0, rules.GENESIS_HASH)


def _edit(rows: list[dict[str, Any]], index: int, **change: Any) -> list[dict[str, Any]]:
    return [row | change if i == index else row for i, row in enumerate(rows)]


def test_an_intact_chain_and_an_empty_one_verify() -> None:
    rows = _chain(6)
    assert rules.verify(KEY, rows, _head(rows)) == rules.Verdict(True, 6, None)
    assert rules.verify(KEY, [], (0, rules.GENESIS_HASH)) == rules.Verdict(True, 0, None)


ROWS = _chain(6)


@pytest.mark.parametrize(
    ("rows", "head", "broken"),
    [
        # a reason edited in place: that row's own hash no longer matches
        (_edit(ROWS, 2, reason="  "), _head(ROWS), rules.Broken(3, 30, "hash_mismatch")),
        (_edit(ROWS, 0, at=T0 + timedelta(hours=1)), _head(ROWS), rules.Broken(1, 10, "hash_mismatch")),
        (_edit(ROWS, 4, detail={"n": 5, "tags": ["a"]}), _head(ROWS), rules.Broken(5, 50, "hash_mismatch")),
        (_edit(ROWS, 1, result="failed"), _head(ROWS), rules.Broken(2, 20, "hash_mismatch")),
        # a row deleted: the next one comes early
        (ROWS[:3] + ROWS[4:], _head(ROWS), rules.Broken(5, 50, "seq_gap")),
        (ROWS[1:], _head(ROWS), rules.Broken(2, 20, "seq_gap")),
        # deleted, and the rest renumbered to hide the gap: the renumbered row no longer points back right
        (
            ROWS[:3] + [row | {"seq": row["seq"] - 1} for row in ROWS[4:]],
            _head(ROWS),
            rules.Broken(4, 50, "prev_hash_mismatch"),
        ),
        # two rows swapped
        (ROWS[:2] + [ROWS[3], ROWS[2]] + ROWS[4:], _head(ROWS), rules.Broken(4, 40, "seq_gap")),
        (
            ROWS[:2] + [ROWS[3] | {"seq": 3}, ROWS[2] | {"seq": 4}] + ROWS[4:],
            _head(ROWS),
            rules.Broken(3, 40, "prev_hash_mismatch"),
        ),
        # the last rows deleted, or the head moved back with them
        (ROWS[:4], _head(ROWS), rules.Broken(5, None, "head_mismatch")),
        (ROWS, (6, "f" * 64), rules.Broken(6, None, "head_mismatch")),
        # a forged row appended with a guessed hash
        (
            ROWS + [ROWS[5] | {"seq": 7, "prev_hash": ROWS[5]["row_hash"], "row_hash": "0" * 64}],
            (7, "0" * 64),
            rules.Broken(7, 60, "hash_mismatch"),
        ),
    ],
)
def test_the_first_broken_row_is_named(rows: list[dict[str, Any]], head: tuple[int, str], broken: rules.Broken) -> None:
    verdict = rules.verify(KEY, rows, head)
    assert (verdict.ok, verdict.first_broken) == (False, broken)


def test_rows_rewritten_with_another_key_do_not_verify() -> None:
    forged = _chain(3, key=b"someone-elses-key-0123456789abcdef")
    assert rules.verify(KEY, forged, _head(forged)).first_broken == rules.Broken(1, 10, "hash_mismatch")


def test_canonical_content_is_stable() -> None:
    row = _chain(1)[0]
    shuffled = dict(reversed(list(row.items()))) | {"detail": {"tags": ["a", "b"], "n": 1}}
    assert rules.canonical(row) == rules.canonical(shuffled)
    # the same instant in another zone, an enum for its value: what the database gives back hashes alike
    local = row | {"at": row["at"].astimezone(timezone(timedelta(hours=8))), "actor_role": Role.grid_member}
    assert rules.row_hash(KEY, local) == row["row_hash"]
    detail: dict[Any, Any] = {1: T0, "role": Role.auditor}
    assert rules.plain_detail(detail) == {"1": "2026-02-17T08:30:00.123456Z", "role": "auditor"}
    with pytest.raises(ValueError, match="naive"):
        rules.canonical(row | {"at": T0.replace(tzinfo=None)})
