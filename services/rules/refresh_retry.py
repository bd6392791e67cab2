"""When a spent refresh token comes back: a phone on a weak signal whose answer was lost, or a copy.

A refresh that reached the server but whose answer never reached the phone leaves the phone holding the spent
token; refusing it would sign a grid worker out in a field. Within a short window after it was spent, and only
while nothing issued after it has been used, it is taken as that retry. Anything else is reuse: a copy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def is_lost_answer_retry(
    spent_at: datetime, now: datetime, window: timedelta, later_tokens_used: Iterable[bool]
) -> bool:
    """True when the token was spent at most `window` ago and no token issued after it was ever used (its
    successor still unspent: the phone never got it). A window of zero turns retries off."""
    if window <= timedelta(0) or now - spent_at > window:
        return False
    later = list(later_tokens_used)
    return bool(later) and not any(later)
