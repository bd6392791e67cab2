"""Three-way field merge of a stale offline edit: what the phone changed, what the server changed since."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldConflict:
    server_value: Any
    client_value: Any


@dataclass(frozen=True)
class Merge:
    applied: dict[str, Any] = field(default_factory=dict)  # written to the record
    conflicts: dict[str, FieldConflict] = field(default_factory=dict)  # changed on both sides: flag for review


_UNKNOWN = object()


def merge_fields(base: Mapping[str, Any] | None, server: Mapping[str, Any], client: Mapping[str, Any]) -> Merge:
    """Merge the client's fields onto the server's. A field the client changed and the server did not is
    applied; a field both changed to different values is applied too (server-receipt order, last writer
    wins) and reported as a conflict, so neither value is lost. Without the client's base copy every
    differing field counts as changed on both sides (flagged, never silently dropped)."""
    applied: dict[str, Any] = {}
    conflicts: dict[str, FieldConflict] = {}
    for name, client_value in client.items():
        server_value = server.get(name)
        if client_value == server_value:
            continue
        base_value = base.get(name, _UNKNOWN) if base is not None else _UNKNOWN
        if base_value is not _UNKNOWN and base_value == client_value:
            continue  # the client did not change it; the server's newer value stands
        applied[name] = client_value
        if base_value is _UNKNOWN or base_value != server_value:
            conflicts[name] = FieldConflict(server_value=server_value, client_value=client_value)
    return Merge(applied=applied, conflicts=conflicts)
