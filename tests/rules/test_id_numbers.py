from __future__ import annotations

import pytest

from services.rules.id_numbers import check_digit, id_number_problem, mask_id_number, normalize_id_number

# Synthetic numbers only: region code 990100 is no real division (as in the demo data); check digits are valid.
VALID = "99010019491231003X"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (VALID, None),
        ("99010019491231003x", None),
        ("990100 19491231 003X", None),
        ("990100199001011235", "校验位"),
        ("99010019491231003", "18 位"),
        ("9901001949123100311", "18 位"),
        ("09010019491231003X", "18 位"),
        ("9901001949123100A2", "18 位"),
        ("990100194913310021", "出生日期"),
        ("990100194902300021", "出生日期"),
        ("990100180001010021", "出生日期"),
        ("", "18 位"),
    ],
)
def test_id_number_rule(raw: str, problem: str | None) -> None:
    found = id_number_problem(raw)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_check_digit_of_the_standard_example() -> None:
    assert check_digit("99010019491231003") == "X"


def test_normalize_and_mask() -> None:
    assert normalize_id_number(" 99010019491231003x ") == VALID
    assert mask_id_number("003X") == "**************003X"
