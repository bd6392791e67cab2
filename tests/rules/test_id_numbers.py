from __future__ import annotations

import pytest

from services.rules.id_numbers import check_digit, id_number_problem, mask_id_number, normalize_id_number

# Synthetic numbers (not real people): the check digit computed by the rule itself was cross-checked by hand.
VALID = "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (VALID, None),
        ("11010519491231002x", None),
        ("110105 19491231 002X", None),
        ("440305199001011234", "校验位"),
        ("11010519491231002", "18 位"),
        ("1101051949123100211", "18 位"),
        ("01010519491231002X", "18 位"),
        ("1101051949123100A2", "18 位"),
        ("110105194913310021", "出生日期"),
        ("110105194902300021", "出生日期"),
        ("110105180001010021", "出生日期"),
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
    assert check_digit("11010519491231002") == "X"


def test_normalize_and_mask() -> None:
    assert normalize_id_number(" 11010519491231002x ") == VALID
    assert mask_id_number("002X") == "**************002X"
