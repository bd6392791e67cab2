from __future__ import annotations

import pytest

from services.rules.passwords import (
    COMMON_PASSWORDS,
    DEMO_PASSWORD,
    character_classes,
    is_common,
    password_problems,
)

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


COMMON = "太常见"


@pytest.mark.parametrize(
    "password",
    [
        "123456",
        "5201314",
        "a123456",
        "woaini1314",
        "qq123456",
        "88888888",
        "Aa123456",  # passes the classes, and everybody's first try
        "P@ssw0rd",
        "Password1",
        "Woaini1314!",
        "Admin@123",
        "Huawei@123",
        "1qaz@WSX",
        "QQ123456a",
    ],
)
def test_common_passwords_are_refused(password: str) -> None:
    assert is_common(password)
    problems = password_problems(password)
    # Said only of a password the rules would take: one they refuse is refused already.
    assert problems and (COMMON in problems[0]) == (len(password) >= 8 and character_classes(password) >= 3)


def test_the_demo_password_only_in_demo_mode() -> None:
    assert password_problems(DEMO_PASSWORD, demo=True) == []
    assert [COMMON in problem for problem in password_problems(DEMO_PASSWORD)] == [True]
    assert is_common(DEMO_PASSWORD.upper()) and not is_common(DEMO_PASSWORD, demo=True)


def test_the_list_is_short_lowercase_and_not_the_policy_itself() -> None:
    assert 100 <= len(COMMON_PASSWORDS) <= 2000
    assert all(word == word.strip().casefold() and word for word in COMMON_PASSWORDS)
    assert "grid-2026-ok" not in COMMON_PASSWORDS  # the tests' own password stays usable
