from __future__ import annotations

import pytest

from models.enums import UnitKind as K
from services.errors import Conflict, Invalid
from services.rules.org_codes import check_code, check_parent, next_grid_code


@pytest.mark.parametrize(
    ("kind", "parent_kind", "ok"),
    [
        (K.district, None, True),
        (K.district, K.district, False),
        (K.town, K.district, True),
        (K.town, None, False),
        (K.town, K.town, False),
        (K.village, K.town, True),
        (K.village, K.district, False),
        (K.village, K.village, False),
        (K.grid, K.village, True),
        (K.grid, K.town, False),
        (K.grid, K.grid, False),
        (K.grid, None, False),
        (K.department, K.town, True),
        (K.department, K.district, True),
        (K.department, K.village, False),
        (K.department, K.department, False),
        (K.department, None, False),
    ],
)
def test_kind_needs_its_parent_kind(kind: K, parent_kind: K | None, ok: bool) -> None:
    if ok:
        check_parent(kind, parent_kind)
        return
    with pytest.raises(Invalid) as caught:
        check_parent(kind, parent_kind)
    assert caught.value.detail[0]["loc"] == ["body", "parent_id"]
    assert caught.value.code in {"parent_kind", "parent_required"}


@pytest.mark.parametrize(
    ("kind", "code", "parent_code", "ok"),
    [
        (K.district, "330106", None, True),
        (K.district, "33010", None, False),
        (K.district, "3301060", None, False),
        (K.district, "33010a", None, False),
        (K.district, "３３０１０６", None, False),  # full-width digits are not digits here
        (K.town, "330106001", "330106", True),
        (K.town, "330107001", "330106", False),  # another district's prefix
        (K.town, "33010600", "330106", False),
        (K.town, "3301060011", "330106", False),
        (K.village, "330106001201", "330106001", True),
        (K.village, "330106002201", "330106001", False),
        (K.village, "33010600120", "330106001", False),
        (K.grid, "330106001201001", "330106001201", True),
        (K.grid, "330106001201999", "330106001201", True),
        (K.grid, "330106001201000", "330106001201", False),  # sequences start at 001
        (K.grid, "330106001202001", "330106001201", False),  # another village's prefix
        (K.grid, "33010600120101", "330106001201", False),
        (K.grid, "3301060012010001", "330106001201", False),
        (K.department, "330106001D01", "330106001", True),
        (K.department, "330106D12", "330106", True),  # a district department
        (K.department, "330106001D00", "330106001", False),
        (K.department, "330106001D1", "330106001", False),
        (K.department, "330106001X01", "330106001", False),
        (K.department, "330106002D01", "330106001", False),
        (K.department, "330106001D0a", "330106001", False),
    ],
)
def test_code_format_and_prefix(kind: K, code: str, parent_code: str | None, ok: bool) -> None:
    if ok:
        check_code(kind, code, parent_code)
        return
    with pytest.raises(Invalid) as caught:
        check_code(kind, code, parent_code)
    assert caught.value.detail[0]["loc"] == ["body", "code"]
    assert caught.value.code == "code_format"


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        (set(), "330106001201001"),
        ({"330106001201001"}, "330106001201002"),
        ({"330106001201001", "330106001201003"}, "330106001201002"),  # gaps are reused
        ({"330106001202001"}, "330106001201001"),  # another village's grids do not count
        ({f"330106001201{n:03d}" for n in range(1, 999)}, "330106001201999"),
    ],
)
def test_next_grid_code_takes_the_lowest_free_sequence(taken: set[str], expected: str) -> None:
    assert next_grid_code("330106001201", taken) == expected


def test_next_grid_code_refuses_when_all_sequences_are_used() -> None:
    taken = {f"330106001201{n:03d}" for n in range(1, 1000)}
    with pytest.raises(Conflict) as caught:
        next_grid_code("330106001201", taken)
    assert caught.value.code == "grid_codes_exhausted"
