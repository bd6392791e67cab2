"""Who is acting: a staff account with its role and place in the org tree, a resident, or the system."""

from __future__ import annotations

from dataclasses import dataclass

from models.enums import Role


@dataclass(frozen=True)
class Actor:
    id: int
    role: Role
    unit_id: int
    unit_path: str  # "/1/4/9/": the actor's unit and its ancestors
    name: str = ""

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.unit_path.strip("/").split("/") if part]


RESIDENT_ROLE = "resident"
SYSTEM_ROLE = "system"  # the SLA sweep
