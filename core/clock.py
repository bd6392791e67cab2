"""The one place that reads the wall clock; rules take `now` as an argument instead."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
