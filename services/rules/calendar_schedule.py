"""A year's official schedule as a file: reading JSON or CSV, validating every entry, and expanding it to
every date of the year. Pure: nothing here touches the database."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from models.enums import DAY_KIND_LABELS, WEEKDAY_LABELS, DayKind
from services.errors import Invalid

YEARS = range(2000, 2101)
MAX_FILE_BYTES = 256 * 1024


# --- Reading a schedule file: JSON {"year", "days": [...]} or CSV with the header date,kind,name ---

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KINDS = {kind.value: kind for kind in (DayKind.holiday, DayKind.makeup_workday)} | {
    DAY_KIND_LABELS[DayKind.holiday]: DayKind.holiday,
    DAY_KIND_LABELS[DayKind.makeup_workday]: DayKind.makeup_workday,
}


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without a BOM), or GB18030 as Excel saves CSV on Chinese Windows."""
    if len(raw) > MAX_FILE_BYTES:
        raise Invalid(f"文件过大（上限 {MAX_FILE_BYTES // 1024} KB）", field="body", code="file_too_large")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def looks_like_json(raw: bytes) -> bool:
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def _parse_json(text: str) -> tuple[int | None, list[object]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(
            f"JSON 格式有误（第 {exc.lineno} 行第 {exc.colno} 列）", field="body", code="json_invalid"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("days"), list):
        raise Invalid('应为 {"year": 年份, "days": [...]} 格式，days 为列表', field="days", code="days_missing")
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise Invalid("年份应为整数，如 2027", field="year", code="year_invalid")
    return year, list(data["days"])


def _parse_csv(text: str) -> list[object]:
    reader = csv.DictReader(io.StringIO(text))
    header = [(name or "").strip().lower() for name in reader.fieldnames or []]
    if "date" not in header or "kind" not in header:
        raise Invalid("CSV 第一行应为表头 date,kind,name", field="header", code="csv_header")
    reader.fieldnames = header
    entries: list[object] = []
    for row in reader:
        values = {key: (value or "").strip() for key, value in row.items() if isinstance(key, str)}
        if any(values.values()):
            entries.append({**values, "_line": reader.line_num})
    return entries


def read_schedule(raw: bytes, *, csv_format: bool, year: int | None = None) -> tuple[int, list[object]]:
    """The year and the entries of a schedule file; `year` (from the URL or --year) must agree with the
    file's, and is otherwise taken from the file or its first date."""
    text = _decode(raw)
    file_year, entries = (None, _parse_csv(text)) if csv_format else _parse_json(text)
    if year is not None and file_year is not None and year != file_year:
        raise Invalid(f"文件中的年份 {file_year} 与指定的 {year} 不一致", field="year", code="year_mismatch")
    chosen = year if year is not None else file_year
    if chosen is None:
        first = next((e.get("date") for e in entries if isinstance(e, Mapping)), None)
        if isinstance(first, str) and _ISO_DATE.fullmatch(first.strip()):
            chosen = int(first.strip()[:4])
    if chosen is None:
        raise Invalid("请指明年份", field="year", code="year_missing")
    return chosen, entries


# --- Validating a year's schedule: every problem found before anything is written ---


@dataclass(frozen=True)
class SpecialDay:
    day: date
    kind: DayKind
    name: str | None


Problem = tuple[str, str, str]  # field path, message, code


def _where(index: int, entry: object) -> str:
    line = entry.get("_line") if isinstance(entry, Mapping) else None
    return f"第 {line} 行" if line else f"第 {index + 1} 条"


def _date(value: object) -> date | None:
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _fields(index: int, entry: Mapping[str, object], year: int, problems: list[Problem]) -> SpecialDay | None:
    """One entry's date, kind and name, each checked on its own."""
    path, where, found = f"days[{index}]", _where(index, entry), len(problems)
    day, kind, name = _date(entry.get("date")), _KINDS.get(str(entry.get("kind") or "").strip()), entry.get("name")
    if day is None:
        problems.append((f"{path}.date", f"{where}：日期应为有效的 YYYY-MM-DD", "date_invalid"))
    elif day.year != year:
        problems.append((f"{path}.date", f"{where}：{day} 不在 {year} 年内", "date_outside_year"))
    if kind is None:
        problems.append(
            (f"{path}.kind", f"{where}：类型应为 holiday（法定节假日）或 makeup_workday（调休上班）", "kind_invalid")
        )
    if name is not None and (not isinstance(name, str) or len(name.strip()) > 50 or "\x00" in name):
        problems.append((f"{path}.name", f"{where}：名称应为不超过 50 个字的文字", "name_invalid"))
    if len(problems) > found or day is None or kind is None:
        return None
    return SpecialDay(day, kind, (name.strip() or None) if isinstance(name, str) else None)


def _check(
    index: int, entry: object, year: int, seen: dict[date, tuple[int, DayKind]], problems: list[Problem]
) -> SpecialDay | None:
    path, where = f"days[{index}]", _where(index, entry)
    if not isinstance(entry, Mapping):
        problems.append((path, f"{where}：应为包含 date、kind、name 的对象", "entry_invalid"))
        return None
    special = _fields(index, entry, year, problems)
    if special is None:
        return None
    if special.kind == DayKind.makeup_workday and special.day.weekday() < 5:
        label = WEEKDAY_LABELS[special.day.weekday()]
        problems.append(
            (f"{path}.date", f"{where}：调休上班日应为周六或周日，{special.day} 是{label}", "makeup_not_weekend")
        )
        return None
    if special.day in seen:
        first, kind = seen[special.day]
        clash = "date_duplicate" if kind == special.kind else "date_conflict"
        what = "重复" if kind == special.kind else "冲突：同一天不能既是法定节假日又是调休上班"
        problems.append((f"{path}.date", f"{where}：{special.day} 与第 {first + 1} 条{what}", clash))
        return None
    seen[special.day] = (index, special.kind)
    return special


def validate(year: int, entries: Sequence[object]) -> list[SpecialDay]:
    """The year's holidays and make-up days, or Invalid listing every bad field (nothing is written)."""
    if year not in YEARS:
        raise Invalid(f"年份应在 {YEARS.start} 到 {YEARS.stop - 1} 之间", field="year", code="year_out_of_range")
    if len(entries) > 366:
        raise Invalid("一年最多 366 天", field="days", code="too_many_days")
    problems: list[Problem] = []
    seen: dict[date, tuple[int, DayKind]] = {}
    days = [d for i, entry in enumerate(entries) if (d := _check(i, entry, year, seen, problems)) is not None]
    if not problems and not any(d.kind == DayKind.holiday for d in days):
        problems.append(("days", "至少应有一天法定节假日：请检查是否选错了文件", "no_holidays"))
    if problems:
        field, message, code = problems[0]
        more = f"（另有 {len(problems) - 1} 处错误）" if len(problems) > 1 else ""
        error = Invalid(message + more, field=field, code=code)
        error.detail = [{"loc": ["body", f], "msg": m, "type": c} for f, m, c in problems[:100]]
        raise error
    return sorted(days, key=lambda d: d.day)


def year_rows(year: int, special: Sequence[SpecialDay]) -> list[dict[str, object]]:
    """Every date of the year: the exceptions as given, the rest Monday–Friday."""
    by_day = {s.day: s for s in special}
    rows: list[dict[str, object]] = []
    day = date(year, 1, 1)
    while day.year == year:
        given = by_day.get(day)
        kind = given.kind if given else (DayKind.weekend if day.weekday() >= 5 else DayKind.workday)
        working = kind in (DayKind.workday, DayKind.makeup_workday)
        rows.append({"day": day, "is_workday": working, "kind": str(kind), "name": given.name if given else None})
        day += timedelta(days=1)
    return rows
