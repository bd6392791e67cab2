"""The 18-character resident ID number (GB 11643): format, birth date and ISO 7064 MOD 11-2 check digit."""

from __future__ import annotations

import re
from datetime import date

_SHAPE = re.compile(r"^[1-9]\d{16}[0-9X]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalize_id_number(raw: str) -> str:
    """Spaces and dashes dropped, a lower-case x raised: the form that is encrypted and indexed."""
    return re.sub(r"[\s\-]", "", raw).upper()


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _birth_date_valid(number: str) -> bool:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return born.year >= 1900


def id_number_problem(raw: str) -> str | None:
    """Why `raw` is not a valid 18-character ID number, or None when it is."""
    number = normalize_id_number(raw)
    if not _SHAPE.match(number):
        return "身份证号应为 18 位：17 位数字加 1 位数字或 X"
    if not _birth_date_valid(number):
        return "身份证号中的出生日期无效"
    if check_digit(number[:17]) != number[17]:
        return "身份证号校验位不正确"
    return None


def mask_id_number(last4: str) -> str:
    """Only the last 4 characters shown: **************1234."""
    return "*" * 14 + last4
