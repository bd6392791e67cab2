"""The three-way field merge as a table: base (the phone's copy), server (now), client (the phone's edit)."""

from __future__ import annotations

from typing import Any

import pytest

from services.rules.merge import FieldConflict, merge_fields

CASES: list[tuple[str, dict[str, Any] | None, dict[str, Any], dict[str, Any], dict[str, Any], set[str]]] = [
    # name, base, server, client, applied, conflicting fields
    ("nothing changed", {"a": 1}, {"a": 1}, {"a": 1}, {}, set()),
    ("client only", {"a": 1}, {"a": 1}, {"a": 2}, {"a": 2}, set()),
    ("server only", {"a": 1}, {"a": 3}, {"a": 1}, {}, set()),
    ("both, same value", {"a": 1}, {"a": 2}, {"a": 2}, {}, set()),
    ("both, different", {"a": 1}, {"a": 3}, {"a": 2}, {"a": 2}, {"a"}),
    ("disjoint fields", {"a": 1, "b": 1}, {"a": 5, "b": 1}, {"a": 1, "b": 7}, {"b": 7}, set()),
    ("no base copy, differing", None, {"a": 3}, {"a": 2}, {"a": 2}, {"a"}),
    ("no base copy, equal", None, {"a": 2}, {"a": 2}, {}, set()),
    ("field missing from base", {"b": 1}, {"a": 3, "b": 1}, {"a": 2}, {"a": 2}, {"a"}),
    ("set to null by client", {"a": "x"}, {"a": "x"}, {"a": None}, {"a": None}, set()),
    ("server nulled, client edited", {"a": "x"}, {"a": None}, {"a": "y"}, {"a": "y"}, {"a"}),
]


@pytest.mark.parametrize(
    ("base", "server", "client", "applied", "conflicts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_merge_fields(
    base: dict[str, Any] | None,
    server: dict[str, Any],
    client: dict[str, Any],
    applied: dict[str, Any],
    conflicts: set[str],
) -> None:
    result = merge_fields(base, server, client)
    assert result.applied == applied
    assert set(result.conflicts) == conflicts


def test_a_conflict_keeps_both_values() -> None:
    result = merge_fields({"phone": "1"}, {"phone": "2"}, {"phone": "3"})
    assert result.conflicts == {"phone": FieldConflict(server_value="2", client_value="3")}
