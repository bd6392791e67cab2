"""The work's measures (DESIGN.md, "Metrics"), each a numerator over an explicit denominator, computed from
what happened — timers met or missed, statuses, events, ratings, visits, sessions — never typed in. Pure:
the service reads the rows, these decide what counts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from models.enums import ClosureType, RatingLevel, RequestStatus


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        """numerator ÷ denominator to four places; None when nothing was counted (never a 0 % by default)."""
        return round(self.numerator / self.denominator, 4) if self.denominator else None


def on_time(due_at: datetime, met_at: datetime | None, now: datetime) -> bool | None:
    """A clock is counted once decided: met (on time if by its due time) or past due unmet (late). A clock
    still running before its due time is not counted yet."""
    if met_at is not None:
        return met_at <= due_at
    return False if due_at <= now else None


def clock_ratio(clocks: Iterable[tuple[datetime, datetime | None]], now: datetime) -> Ratio:
    """Of the decided clocks (due_at, met_at), those met on time."""
    decided = [result for due_at, met_at in clocks if (result := on_time(due_at, met_at, now)) is not None]
    return Ratio(sum(decided), len(decided))


NOT_ACCEPTED = frozenset({RequestStatus.registered, RequestStatus.not_accepted})
ANSWERED = frozenset({RequestStatus.replied, RequestStatus.closed})


@dataclass(frozen=True)
class RequestRow:
    """What the request measures read of one request registered in the period."""

    status: RequestStatus
    closure_type: ClosureType | None
    cycle: int
    replied: bool  # replied at least once (in any cycle)
    extended: bool  # an approved extension or a cadre's 延期 is on its timeline


@dataclass(frozen=True)
class RequestFigures:
    handling: Ratio  # 办结率: on the spot, replied or closed ÷ accepted
    on_spot: Ratio  # 当场办结率: closed on the spot ÷ accepted
    reopen: Ratio  # 重办率: reopened (a 不满意 started another cycle) ÷ replied
    extension: Ratio  # 延期率: extended ÷ accepted


def request_figures(rows: Iterable[RequestRow]) -> RequestFigures:
    """Accepted means taken on: anything but still registered or not accepted (an on-the-spot one included)."""
    accepted = [r for r in rows if r.status not in NOT_ACCEPTED]
    replied = [r for r in accepted if r.replied or r.cycle > 1]
    return RequestFigures(
        handling=Ratio(sum(r.status in ANSWERED for r in accepted), len(accepted)),
        on_spot=Ratio(sum(r.closure_type == ClosureType.on_spot for r in accepted), len(accepted)),
        reopen=Ratio(sum(r.cycle > 1 for r in replied), len(replied)),
        extension=Ratio(sum(r.extended for r in accepted), len(accepted)),
    )


def satisfaction(levels: Iterable[RatingLevel]) -> tuple[Ratio, Ratio]:
    """(满意率: satisfied or basically satisfied ÷ ratings, strict 满意率: satisfied only ÷ ratings)."""
    given = list(levels)
    pleased = sum(level in (RatingLevel.satisfied, RatingLevel.basically_satisfied) for level in given)
    return Ratio(pleased, len(given)), Ratio(sum(level == RatingLevel.satisfied for level in given), len(given))


def attendance(sessions: Iterable[tuple[str, date]], today: date) -> Ratio:
    """驻点接待率: held ÷ scheduled. A session counts once recorded (held or missed) or once its day has passed
    unrecorded (not held); one still ahead, or today's not yet recorded, does not count yet."""
    counted = [status for status, held_on in sessions if status in ("held", "missed") or held_on < today]
    return Ratio(counted.count("held"), len(counted))
