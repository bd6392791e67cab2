"""The password policy: long enough, and mixing at least three kinds of characters."""

from __future__ import annotations

from collections.abc import Callable

MIN_LENGTH = 8
MIN_CLASSES = 3

# Letters outside ASCII (e.g. Chinese) count as "other": they are not what upper/lower means here.
_CLASSES: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("小写字母", lambda ch: "a" <= ch <= "z"),
    ("大写字母", lambda ch: "A" <= ch <= "Z"),
    ("数字", lambda ch: "0" <= ch <= "9"),
    ("符号等其他字符", lambda ch: not ("a" <= ch <= "z" or "A" <= ch <= "Z" or "0" <= ch <= "9")),
)


def character_classes(password: str) -> int:
    """How many of the four classes (lower, upper, digit, other) the password uses."""
    return sum(any(test(ch) for ch in password) for _, test in _CLASSES)


def password_problems(password: str) -> list[str]:
    """Why a password is refused: at least 8 characters and 3 of the 4 classes; empty when acceptable."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 位")
    if character_classes(password) < MIN_CLASSES:
        kinds = "、".join(name for name, _ in _CLASSES)
        problems.append(f"密码须包含{kinds}中的至少 {MIN_CLASSES} 种")
    return problems
