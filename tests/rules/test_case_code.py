from __future__ import annotations

import pytest

from services.rules.case_code import ALPHABET, LENGTH, format_case_code, new_case_code, normalize_case_code


def test_new_codes_use_the_unambiguous_alphabet_and_do_not_repeat() -> None:
    codes = {new_case_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert not set("01OIL") & set(ALPHABET)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ABCDE-23456", "ABCDE23456"),
        ("abcde 23456", "ABCDE23456"),
        ("ABCDE23456", "ABCDE23456"),
        ("ABCDE2345", None),
        ("ABCDE0345O", None),
        ("", None),
    ],
)
def test_normalize(raw: str, expected: str | None) -> None:
    assert normalize_case_code(raw) == expected


def test_format_groups_for_reading_aloud() -> None:
    assert format_case_code("ABCDE23456") == "ABCDE-23456"
