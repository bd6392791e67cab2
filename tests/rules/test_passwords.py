from __future__ import annotations

import pytest

from services.rules.passwords import character_classes, password_problems

TOO_SHORT = "密码至少 8 位"
TOO_PLAIN = "至少 3 种"


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("", 0),
        ("abcdefgh", 1),
        ("ABCDEFGH", 1),
        ("12345678", 1),
        ("!@#$%^&*", 1),
        ("abcdEFGH", 2),
        ("abcd1234", 2),
        ("abcD1234", 3),
        ("abc-1234", 3),
        ("aB3-", 4),
        ("网格员abc123", 3),  # Chinese characters count as "other"
        ("ÄÖÜäöü12", 2),  # non-ASCII letters are not upper/lower here: other + digit
        ("pass word1", 3),  # a space is "other"
    ],
)
def test_character_classes(password: str, classes: int) -> None:
    assert character_classes(password) == classes


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Grid-2026-ok", []),
        ("Abcdefg1", []),
        ("abcdefg1!", []),
        ("ABCDEFG1!", []),
        ("abcDEF!!", []),
        ("网格长巡查2026a", []),
        ("Abc12!", [TOO_SHORT]),
        ("Abcde1!", [TOO_SHORT]),  # 7 characters, four classes
        ("abcdefgh", [TOO_PLAIN]),
        ("abcd1234", [TOO_PLAIN]),
        ("ABCD1234", [TOO_PLAIN]),
        ("12345678901234567890", [TOO_PLAIN]),
        ("abc", [TOO_SHORT, TOO_PLAIN]),
        ("", [TOO_SHORT, TOO_PLAIN]),
    ],
)
def test_password_problems(password: str, expected: list[str]) -> None:
    problems = password_problems(password)
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem
