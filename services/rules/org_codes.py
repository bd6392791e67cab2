"""Org-tree rules: which parent each kind of unit hangs under, and what its code must look like.

Codes follow the statistical division codes: district 6 digits, town 9, village 12 (the statistical
village code); a grid is its village's code plus a 3-digit sequence, a department its parent's code
plus "D" and 2 digits.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from models.enums import UNIT_KIND_LABELS, UnitKind
from services.errors import Conflict, Invalid

K = UnitKind

# The kinds a unit may hang under; an empty set means it is a root.
PARENT_KINDS: Mapping[UnitKind, frozenset[UnitKind]] = {
    K.district: frozenset(),
    K.town: frozenset({K.district}),
    K.village: frozenset({K.town}),
    K.grid: frozenset({K.village}),
    K.department: frozenset({K.town, K.district}),
}

# The whole code's format, how many characters follow the parent's code, and what people are told.
_FORMATS: Mapping[UnitKind, tuple[re.Pattern[str], int, str]] = {
    K.district: (re.compile(r"\d{6}", re.ASCII), 6, "区县代码应为 6 位数字"),
    K.town: (re.compile(r"\d{9}", re.ASCII), 3, "镇街代码应为 9 位数字，并以所属区县代码开头"),
    K.village: (re.compile(r"\d{12}", re.ASCII), 3, "村(社区)代码应为 12 位统计用代码，并以所属镇街代码开头"),
    K.grid: (re.compile(r"\d{12}(?!000)\d{3}", re.ASCII), 3, "网格代码应为所属村(社区)代码加 3 位序号 (001-999)"),
    K.department: (re.compile(r".+D(?!00)\d{2}", re.ASCII), 3, "部门代码应为上级单位代码加 D 和 2 位序号 (D01-D99)"),
}

GRID_SEQUENCE_MAX = 999


def check_parent(kind: UnitKind, parent_kind: UnitKind | None) -> None:
    """A unit hangs under exactly the parent kinds of PARENT_KINDS; only a district has no parent."""
    allowed = PARENT_KINDS[kind]
    if parent_kind is None and not allowed:
        return
    if parent_kind is None:
        raise Invalid(f"{UNIT_KIND_LABELS[kind]}必须指定上级单位", field="parent_id", code="parent_required")
    if parent_kind not in allowed:
        names = "或".join(UNIT_KIND_LABELS[k] for k in sorted(allowed)) or "无"
        raise Invalid(
            f"{UNIT_KIND_LABELS[kind]}的上级应为{names}，不能是{UNIT_KIND_LABELS[parent_kind]}",
            field="parent_id",
            code="parent_kind",
        )


def check_code(kind: UnitKind, code: str, parent_code: str | None) -> None:
    """The code has its kind's format and is the parent's code plus its own part (a district has none)."""
    pattern, own_length, message = _FORMATS[kind]
    prefix = "" if kind == K.district else (parent_code or "")
    if not (pattern.fullmatch(code) and code.startswith(prefix) and len(code) == len(prefix) + own_length):
        raise Invalid(message, field="code", code="code_format")


def next_grid_code(village_code: str, taken_codes: Collection[str]) -> str:
    """The lowest free 3-digit sequence under the village; Conflict when all 999 are used."""
    for sequence in range(1, GRID_SEQUENCE_MAX + 1):
        code = f"{village_code}{sequence:03d}"
        if code not in taken_codes:
            return code
    raise Conflict("该村(社区)的网格序号已用完", code="grid_codes_exhausted", detail={"field": "code"})
