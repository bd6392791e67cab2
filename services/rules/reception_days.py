"""Reception days (固定时间): the weekly or fortnightly slot dates, moved off holidays to the next working day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

IsWorkday = Callable[[date], bool | None]

_MAX_SHIFT_DAYS = 31  # no official holiday is longer; a broken calendar must not loop forever


@dataclass(frozen=True)
class Slot:
    slot_on: date  # the date the fixed weekday falls on
    held_on: date  # the working day it is held on


def first_slot(weekday: int, starts_on: date) -> date:
    """The first date on or after `starts_on` that falls on `weekday` (0 = Monday)."""
    return starts_on + timedelta(days=(weekday - starts_on.weekday()) % 7)


def slot_dates(weekday: int, every_weeks: int, starts_on: date, first: date, last: date) -> list[date]:
    """Slot dates in [first, last]: every `every_weeks` weeks counted from the first slot on or after `starts_on`."""
    step = 7 * every_weeks
    day = first_slot(weekday, starts_on)
    if day < first:
        day += timedelta(days=-(-(first - day).days // step) * step)
    dates = []
    while day <= last:
        dates.append(day)
        day += timedelta(days=step)
    return dates


def is_working(day: date, is_workday: IsWorkday) -> bool:
    """The official answer; Monday to Friday for a year without an official schedule."""
    official = is_workday(day)
    return day.weekday() < 5 if official is None else official


def next_workday(day: date, is_workday: IsWorkday) -> date:
    """`day` itself if it is a working day, else the next working day."""
    for offset in range(_MAX_SHIFT_DAYS + 1):
        candidate = day + timedelta(days=offset)
        if is_working(candidate, is_workday):
            return candidate
    return day


def schedule(
    weekday: int, every_weeks: int, starts_on: date, first: date, last: date, is_workday: IsWorkday
) -> list[Slot]:
    """Slots in [first, last] with the day each is held. A slot pushed by a holiday onto or past the next slot
    is dropped: that week's reception is the next regular one (never two sessions on one day)."""
    step = timedelta(days=7 * every_weeks)
    slots = []
    for slot_on in slot_dates(weekday, every_weeks, starts_on, first, last):
        held_on = next_workday(slot_on, is_workday)
        if held_on >= next_workday(slot_on + step, is_workday):
            continue
        slots.append(Slot(slot_on=slot_on, held_on=held_on))
    return slots
