"""Settling a household conflict: which value to write — the server's, the phone's, or one typed in."""

from __future__ import annotations

from typing import Any, Final

from models.enums import HOUSEHOLD_FIELD_LABELS, ConflictKeep
from services.errors import Conflict, Invalid


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = _NotGiven()  # no `value` in the request (a JSON null is a given value: "clear it")

REQUIRED_FIELDS = frozenset({"head_name", "address_text", "member_count"})  # NOT NULL on the household


def chosen_value(
    field_name: str, keep: ConflictKeep, server_value: Any, client_value: Any, other: Any = NOT_GIVEN
) -> Any:
    """The value to write. `server` / `client` take that side's kept value (a `value` beside them is refused,
    a null one ignored); `other` needs a `value`. A required field (户主姓名, 地址, 家庭人数) is never emptied."""
    label = HOUSEHOLD_FIELD_LABELS.get(field_name)
    if label is None:
        raise Conflict(f"字段 {field_name} 不能在这里处理", code="field_unsupported")
    if keep == ConflictKeep.other:
        if other is NOT_GIVEN:
            raise Invalid("选择“其他值”时请填写 value", field="value", code="value_required")
        value, blame = other, "value"
    else:
        if other is not NOT_GIVEN and other is not None:
            raise Invalid("只有选择“其他值”时才能填写 value", field="value", code="value_not_allowed")
        value, blame = (server_value if keep == ConflictKeep.server else client_value), "keep"
    if value is None and field_name in REQUIRED_FIELDS:
        raise Invalid(f"{label}不能为空", field=blame, code="value_required")
    return value
