"""API schemas of the work's measures: each a numerator over an explicit denominator, per unit and period."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlmodel import SQLModel

from models.enums import UnitKind

# key: (label, what is counted over what) — the order is the order they are shown in.
METRICS: dict[str, tuple[str, str]] = {
    "response_rate": ("响应率", "期内到期的响应时限中按时签收并首次联系的 ÷ 期内到期（已签收联系或已超时）的"),
    "on_time_feedback_rate": ("按时反馈率", "期内到期的反馈时限中按时答复的 ÷ 期内到期（已答复或已超时）的"),
    "handling_rate": ("办结率", "期内登记并受理的诉求中当场办结、已答复或已办结的 ÷ 期内登记并受理的"),
    "on_spot_rate": ("当场办结率", "期内登记并受理的诉求中当场办结的 ÷ 期内登记并受理的"),
    "satisfaction_rate": (
        "满意率",
        "期内评价中满意与基本满意的 ÷ 期内全部评价；评价为居民本人评价，"
        "加上居民未自评的接通回访（两者都有时以本人评价为准）",
    ),
    "strict_satisfaction_rate": ("满意率（仅满意）", "期内评价中满意的 ÷ 期内全部评价（评价的计法同满意率）"),
    "own_satisfaction_rate": ("满意率（居民自评）", "期内居民本人评价中满意与基本满意的 ÷ 期内居民本人评价"),
    "callback_satisfaction_rate": ("满意率（回访）", "期内接通的回访中居民满意与基本满意的 ÷ 期内接通的回访"),
    "resolution_rate": ("解决率", "期内接通的回访（有效回访）中居民说已解决的 ÷ 期内接通的回访"),
    "partial_resolution_rate": ("部分解决率", "期内接通的回访（有效回访）中居民说部分解决的 ÷ 期内接通的回访"),
    "reopen_rate": ("重办率", "期内登记并答复过的诉求中因不满意重办的 ÷ 期内登记并答复过的"),
    "extension_rate": ("延期率", "期内登记并受理的诉求中获准延期的 ÷ 期内登记并受理的"),
    "unrated_close_rate": (
        "未评价结案率",
        "期内登记并答复过的诉求中无人评价、回访未接通而按未评价结案的 ÷ 期内登记并答复过的；不计入任何满意率",
    ),
    "uncallable_rate": ("无法回访率", "期内登记并答复过的诉求中未留电话、无法回访的 ÷ 期内登记并答复过的"),
    "visit_coverage": ("走访覆盖率", "期内应走访的住户中期内走访到的 ÷ 期内应走访的住户"),
    "attendance_rate": ("驻点接待率", "期内驻点接待日中如期接待的 ÷ 期内已到的接待日（未记录的按未接待计）"),
}


class MetricValue(SQLModel):
    numerator: int = Field(description="分子")
    denominator: int = Field(description="分母")
    rate: float | None = Field(description="分子 ÷ 分母，保留四位小数；分母为 0 时为 null（不是 0%）")
    label: str
    definition: str = Field(description="分子与分母各数什么")


class UnitMetrics(SQLModel):
    unit_id: int
    unit_name: str
    unit_kind: UnitKind
    metrics: dict[str, MetricValue] = Field(description="键见 METRICS：response_rate、on_time_feedback_rate……")


class MetricsReport(SQLModel):
    period_from: datetime
    period_to: datetime
    computed_at: datetime = Field(description="计算时间：尚未到期的时限、尚未到来的接待日不计入")
    unit: UnitMetrics
    children: list[UnitMetrics] = Field(description="下一级单位（村、网格、部门），供排名比较；部门没有下级")


# What the public results board shows: how requests were answered and how residents rated it (满意率 with its
# two sources beside it), per unit.
PUBLIC_METRICS = (
    "on_time_feedback_rate",
    "handling_rate",
    "on_spot_rate",
    "satisfaction_rate",
    "own_satisfaction_rate",
    "callback_satisfaction_rate",
    "attendance_rate",
)
PUBLIC_MIN_COUNT = 5  # a rate over fewer items could point at one resident: withheld


class PublicMeasure(SQLModel):
    label: str
    rate: float | None = Field(description="比率；件数不足时为 null")
    counted: int | None = Field(description="分母（计入的件数）；不足时为 null")
    note: str | None = Field(description="不公布的原因")


class PublicUnitResults(SQLModel):
    unit_id: int
    unit_name: str
    measures: dict[str, PublicMeasure]


class PublicResults(SQLModel):
    period_from: datetime
    period_to: datetime
    unit: PublicUnitResults
    children: list[PublicUnitResults] = Field(description="镇街下的各村（社区），供比较；村没有下级")
