"""The password policy: long enough, mixing at least three kinds of characters, and not a common password."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

MIN_LENGTH = 8
MIN_CLASSES = 3
# The demo data's password: printed by `bandeng demo-data` and in README, so refused outside demo mode.
DEMO_PASSWORD = "Bandeng-2026"


def _load_list(path: Path) -> frozenset[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line.casefold() for line in lines if line and not line.startswith("#"))


COMMON_PASSWORDS = _load_list(Path(__file__).with_name("common_passwords.txt"))

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


def is_common(password: str, *, demo: bool = False) -> bool:
    """On the list of common passwords (any case), or the published demo password outside demo mode."""
    folded = password.casefold()
    return folded in COMMON_PASSWORDS or (not demo and folded == DEMO_PASSWORD.casefold())


def password_problems(password: str, *, demo: bool = False) -> list[str]:
    """Why a password is refused: at least 8 characters and 3 of the 4 classes, and not a common password
    (said only of one the first two rules would take); empty when acceptable."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码至少 {MIN_LENGTH} 位")
    if character_classes(password) < MIN_CLASSES:
        kinds = "、".join(name for name, _ in _CLASSES)
        problems.append(f"密码须包含{kinds}中的至少 {MIN_CLASSES} 种")
    if not problems and is_common(password, demo=demo):
        problems.append("这个密码太常见，容易被猜中，请换一个")
    return problems
