"""Parsing and checking a grid's household CSV: every problem with its row and field, nothing half-read.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first household row 2."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from core.crypto import is_mobile, normalize_phone

HEADER = ("head_name", "address", "phone", "member_count", "notes")
MAX_ROWS = 5000
_LANDLINE = re.compile(r"^0\d{9,11}$")
_LIMITS = {"head_name": 50, "address": 200, "notes": 500}


@dataclass(frozen=True)
class HouseholdRow:
    row: int
    head_name: str
    address: str
    phone: str | None
    member_count: int
    notes: str | None


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the file as a whole (header, size)
    field: str | None
    message: str


@dataclass(frozen=True)
class ParsedCsv:
    rows: list[HouseholdRow]
    problems: list[Problem]


def _phone_problem(value: str) -> str | None:
    digits = normalize_phone(value)
    if is_mobile(digits) or _LANDLINE.match(digits):
        return None
    return "电话应为 11 位手机号或带区号的固定电话"


def _member_count(value: str) -> int | str:
    if not value:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= 50:
        return "家庭人数应为 1 到 50 的整数"
    return int(value)


def _check_row(row: int, values: dict[str, str]) -> tuple[HouseholdRow | None, list[Problem]]:
    problems: list[Problem] = []
    for field in ("head_name", "address"):
        if not values[field]:
            problems.append(Problem(row, field, "不能为空"))
    for field, limit in _LIMITS.items():
        if len(values[field]) > limit:
            problems.append(Problem(row, field, f"不能超过 {limit} 个字符"))
    if "\x00" in "".join(values.values()):
        problems.append(Problem(row, None, "不能包含空字符 (NUL)"))
    phone = values["phone"] or None
    if phone and (message := _phone_problem(phone)):
        problems.append(Problem(row, "phone", message))
    count = _member_count(values["member_count"])
    if isinstance(count, str):
        problems.append(Problem(row, "member_count", count))
    if problems or isinstance(count, str):
        return None, problems
    return HouseholdRow(row, values["head_name"], values["address"], phone, count, values["notes"] or None), []


def _header_problem(header: list[str] | None) -> Problem | None:
    found = tuple(name.strip().lstrip("\ufeff") for name in header or [])
    if found != HEADER:
        return Problem(1, None, f"表头应为 {','.join(HEADER)}")
    return None


def parse_households(text: str) -> ParsedCsv:
    """Every row checked (blank lines skipped); duplicates of an earlier row (same head and address) refused."""
    reader = csv.reader(io.StringIO(text))
    if problem := _header_problem(next(reader, None)):
        return ParsedCsv([], [problem])
    rows: list[HouseholdRow] = []
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(HEADER):
            problems.append(Problem(number, None, f"应有 {len(HEADER)} 列，实有 {len(cells)} 列"))
            continue
        parsed, found = _check_row(number, dict(zip(HEADER, (c.strip() for c in cells), strict=True)))
        problems.extend(found)
        if parsed is None:
            continue
        key = (parsed.head_name, parsed.address)
        if key in seen:
            problems.append(Problem(number, "head_name", f"与第 {seen[key]} 行重复（户主和地址相同）"))
            continue
        seen[key] = number
        rows.append(parsed)
    if len(rows) + len({p.row for p in problems}) > MAX_ROWS:
        return ParsedCsv([], [Problem(None, None, f"一次最多导入 {MAX_ROWS} 户")])
    if not rows and not problems:
        problems.append(Problem(None, None, "文件中没有住户"))
    return ParsedCsv(rows, problems)
