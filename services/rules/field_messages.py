"""What a field's validation problem means, in Chinese for the person who typed it: one message per pydantic
error type, with the limit it broke ("不能超过 200 个字"). Used where a refusal reaches people as text
rather than as a 422 the app translates itself (sync results, conflict settlement)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def problem(error: Mapping[str, Any]) -> str:
    """The Chinese message for one pydantic error ({type, ctx, ...})."""
    ctx = error.get("ctx") or {}
    match error.get("type"):
        case "missing":
            return "必填"
        case "extra_forbidden":
            return "不应出现这一项"
        case "string_too_short" | "too_short":
            return "不能为空" if ctx.get("min_length") in (None, 1) else f"至少 {ctx.get('min_length')} 个字"
        case "string_too_long" | "too_long":
            return f"不能超过 {ctx.get('max_length')} 个字"
        case "string_pattern_mismatch":
            return "格式不正确"
        case "greater_than_equal":
            return f"不能小于 {ctx.get('ge')}"
        case "less_than_equal":
            return f"不能大于 {ctx.get('le')}"
        case "int_type" | "int_parsing" | "int_from_float":
            return "应为整数"
        case "string_type":
            return "应为文字"
        case "literal_error" | "enum":
            expected = str(ctx.get("expected") or "").replace(" or ", ", ")
            return f"不是可选的值（可选：{expected}）" if expected else "不是可选的值"
        case "uuid_type" | "uuid_parsing":
            return "编号格式不正确"
        case "datetime_type" | "datetime_parsing" | "datetime_from_date_parsing":
            return "时间格式不正确"
        case "timezone_aware":
            return "时间须带时区"
        case "value_error":
            return f"有误：{ctx.get('error')}"
        case "required_field_cleared":
            return "不能清空"
    return "不符合要求"


def by_path(errors: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Each problem under its dotted path ("items.0.outcome"); the first problem of a path wins."""
    out: dict[str, str] = {}
    for error in errors:
        # A whole-model rule names its field in its context (models/sync_schemas.HouseholdFields).
        path = ".".join(str(p) for p in error.get("loc", ())) or str((error.get("ctx") or {}).get("field", "fields"))
        out.setdefault(path, problem(error))
    return out
