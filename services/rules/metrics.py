"""The work's measures (DESIGN.md, "Metrics"), each a numerator over an explicit denominator, computed from
what happened — timers met or missed, statuses, events, ratings, visits, sessions — never typed in. Pure:
the service reads the facts grouped and counted (a group and how many share it), these decide what counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from models.enums import ClosureType, RatingLevel, RequestStatus, Resolution, SatisfactionSource
from services.rules.callbacks import counting_source, pleased


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        """numerator ÷ denominator to four places; None when nothing was counted (never a 0 % by default)."""
        return round(self.numerator / self.denominator, 4) if self.denominator else None


def on_time(met: bool, by_due: bool, past_due: bool) -> bool | None:
    """A clock is counted once decided: met (on time if by its due time) or past due unmet (late). A clock
    still running before its due time is not counted yet."""
    if met:
        return by_due
    return False if past_due else None


def clock_ratio(groups: Iterable[tuple[bool, bool, bool, int]]) -> Ratio:
    """Of the decided clocks, grouped as (met, met by its due time, past due, how many), those met on time."""
    on, decided = 0, 0
    for met, by_due, past_due, count in groups:
        result = on_time(met, by_due, past_due)
        if result is not None:
            decided += count
            on += count if result else 0
    return Ratio(on, decided)


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
    unrated_closed: bool = False  # closed as 未评价 at some point: nobody rated it or reached the resident
    no_phone: bool = False  # the resident left no phone: nobody can call them back


@dataclass(frozen=True)
class RequestFigures:
    handling: Ratio  # 办结率: on the spot, replied or closed ÷ accepted
    on_spot: Ratio  # 当场办结率: closed on the spot ÷ accepted
    reopen: Ratio  # 重办率: reopened (a 不满意 started another cycle) ÷ replied
    extension: Ratio  # 延期率: extended ÷ accepted
    unrated_close: Ratio  # 未评价结案率: closed as 未评价 ÷ replied
    uncallable: Ratio  # 无法回访: no phone ÷ replied


def request_figures(groups: Iterable[tuple[RequestRow, int]]) -> RequestFigures:
    """Accepted means taken on: anything but still registered or not accepted (an on-the-spot one included)."""
    accepted = [(r, n) for r, n in groups if r.status not in NOT_ACCEPTED]
    replied = [(r, n) for r, n in accepted if r.replied or r.cycle > 1]

    def ratio(rows: list[tuple[RequestRow, int]], counted: Callable[[RequestRow], bool]) -> Ratio:
        return Ratio(sum(n for r, n in rows if counted(r)), sum(n for _, n in rows))

    return RequestFigures(
        handling=ratio(accepted, lambda r: r.status in ANSWERED),
        on_spot=ratio(accepted, lambda r: r.closure_type == ClosureType.on_spot),
        reopen=ratio(replied, lambda r: r.cycle > 1),
        extension=ratio(accepted, lambda r: r.extended),
        unrated_close=ratio(replied, lambda r: r.unrated_closed),
        uncallable=ratio(replied, lambda r: r.no_phone),
    )


def satisfaction(groups: Iterable[tuple[RatingLevel, int]]) -> tuple[Ratio, Ratio]:
    """(满意率: satisfied or basically satisfied ÷ ratings, strict 满意率: satisfied only ÷ ratings)."""
    counts = dict.fromkeys(RatingLevel, 0)
    for level, n in groups:
        counts[level] += n
    given = sum(counts.values())
    pleased = counts[RatingLevel.satisfied] + counts[RatingLevel.basically_satisfied]
    return Ratio(pleased, given), Ratio(counts[RatingLevel.satisfied], given)


@dataclass(frozen=True)
class CallbackRow:
    """What the measures read of one callback attempt of the period."""

    reached: bool
    resolution: Resolution | None
    satisfaction: RatingLevel | None
    rated_by_resident: bool  # the resident rated the same cycle themselves


def resolution(groups: Iterable[tuple[CallbackRow, int]]) -> tuple[Ratio, Ratio]:
    """(解决率: 已解决 ÷ valid callbacks, 部分解决 ÷ valid callbacks, shown beside it). A callback is valid when it
    reached the resident; an attempt that did not is no answer."""
    valid = [(row.resolution, n) for row, n in groups if row.reached]
    total = sum(n for _, n in valid)
    solved = sum(n for found, n in valid if found == Resolution.resolved)
    partly = sum(n for found, n in valid if found == Resolution.partly_resolved)
    return Ratio(solved, total), Ratio(partly, total)


@dataclass(frozen=True)
class SatisfactionFigures:
    combined: Ratio  # 满意率: every reply cycle once, by the satisfaction that counts
    combined_strict: Ratio  # the same, 满意 only
    own: Ratio  # residents' own ratings
    callback: Ratio  # satisfactions recorded on reached callbacks


def satisfaction_by_source(
    ratings: Iterable[tuple[RatingLevel, int]], callbacks: Iterable[tuple[CallbackRow, int]]
) -> SatisfactionFigures:
    """满意率 from each source over its own denominator, and combined: the residents' own ratings, and the
    reached callbacks of cycles the resident did not rate (when both exist the resident's own counts). A
    reply closed as 未评价 has neither, so it is in no 满意率 at all."""
    own = [(level, n) for level, n in ratings]
    called = [(RatingLevel(row.satisfaction), row, n) for row, n in callbacks if row.reached and row.satisfaction]
    by_callback = SatisfactionSource.callback
    counted = [(level, n) for level, row, n in called if counting_source(row.rated_by_resident, True) == by_callback]
    combined, combined_strict = satisfaction([*own, *counted])
    return SatisfactionFigures(
        combined=combined,
        combined_strict=combined_strict,
        own=satisfaction(own)[0],
        callback=Ratio(sum(n for level, _, n in called if pleased(level)), sum(n for _, _, n in called)),
    )


def attendance(groups: Iterable[tuple[str, bool, int]]) -> Ratio:
    """驻点接待率: held ÷ scheduled, over sessions grouped as (status, its day has passed, how many). A session
    counts once recorded (held or missed) or once its day has passed unrecorded (not held); one still ahead,
    or today's not yet recorded, does not count yet."""
    held = counted = 0
    for status, passed, n in groups:
        if status in ("held", "missed") or passed:
            counted += n
            held += n if status == "held" else 0
    return Ratio(held, counted)
