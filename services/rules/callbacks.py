"""回访 (callbacks) as rules: who may call back, what a callback must say, which satisfaction counts for a
reply cycle, and when an unrated reply is closed. Pure: the clock and the time zone are passed in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.enums import RatingLevel, Resolution, Role, SatisfactionSource

# Staff of the first unit, or of a unit above it (a village's staff, a town's callback desk), call back.
CALLERS = frozenset({Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre})


def outcome_problem(
    reached: bool, resolution: Resolution | None, satisfaction: RatingLevel | None
) -> tuple[str, str] | None:
    """(field, message) when the answers do not fit the attempt: a reached resident says whether it is solved
    and how satisfied they are; an attempt that did not reach them has no answers to record."""
    if reached and resolution is None:
        return "resolution", "接通回访须记录是否解决"
    if reached and satisfaction is None:
        return "satisfaction", "接通回访须记录居民是否满意"
    if not reached and resolution is not None:
        return "resolution", "未接通的回访不能记录是否解决"
    if not reached and satisfaction is not None:
        return "satisfaction", "未接通的回访不能记录满意度"
    return None


def counting_source(rated_by_resident: bool, called_back: bool) -> SatisfactionSource | None:
    """Which satisfaction counts for one reply cycle: the resident's own rating whenever there is one (it is
    their own word), else a reached callback's; nothing without either."""
    if rated_by_resident:
        return SatisfactionSource.own
    return SatisfactionSource.callback if called_back else None


def uncallable(phone_last4: str | None) -> bool:
    """A request whose reporter left no phone (staff may register one without) cannot be called back: it is
    marked so on the request and in 待回访, and counts in 无法回访率."""
    return phone_last4 is None


def pleased(level: RatingLevel) -> bool:
    """满意 and 基本满意 count as satisfied; 不满意 does not (and reopens the request)."""
    return level != RatingLevel.unsatisfied


def unrated_close_before(now: datetime, days: int, tz: ZoneInfo) -> datetime:
    """Replies given before this instant have waited `days` whole local days after the reply day (counted as
    the 7-day feedback promise is, to the end of the Nth day): nobody rated or called back, they close."""
    last_day = now.astimezone(tz).date() - timedelta(days=days)
    return datetime.combine(last_day, time(0), tzinfo=tz).astimezone(UTC)
