"""Who may see a resident's phone or ID number in full, as a table over every role (scope is checked first)."""

from __future__ import annotations

import pytest

from models.enums import Role
from services.gridwork.phones import RevealField, may_reveal

ALLOWED: dict[Role, set[str]] = {
    Role.grid_member: {"phone"},
    Role.grid_leader: {"phone", "id_number"},
    Role.village_staff: {"phone", "id_number"},
    Role.town_cadre: {"phone", "id_number"},
    Role.department_handler: {"phone"},
    Role.admin: set(),
    Role.auditor: set(),
}


def test_the_table_covers_every_role() -> None:
    assert set(ALLOWED) == set(Role)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("field", ["phone", "id_number"])
def test_may_reveal(role: Role, field: RevealField) -> None:
    assert may_reveal(role, field) is (field in ALLOWED[role])


def test_no_role_reveals_nothing() -> None:
    assert not may_reveal(None, "phone") and not may_reveal(None, "id_number")
