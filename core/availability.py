"""Which database errors mean "unavailable, ask again soon", and one log line per outage, not one per request."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# How long a client is asked to wait before trying again while the database is away.
RETRY_AFTER_SECONDS = 5

_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, DisconnectionError)


def is_unavailable(exc: BaseException) -> bool:
    """An error that says the database cannot be reached or did not answer in time (not a bug of ours):
    refused or lost connections, a locked or read-only store, a pool checkout that timed out."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _summary(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first_line[:200]}"


class OutageLog:
    """Logs the first failure of an outage and its end, and counts what failed in between."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._failures = 0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException) -> None:
        """Note a failure; only the first of an outage is logged."""
        with self._lock:
            self._failures += 1
            if self._down_since is not None:
                return
            self._down_since = time.monotonic()
        self._log.error("database unavailable, answering 503 until it is back: %s", _summary(exc))

    def recovered(self) -> None:
        """Note a success; the first after an outage is logged with the outage's length."""
        if self._down_since is None:  # the common case: no lock taken
            return
        with self._lock:
            if self._down_since is None:
                return
            seconds, failures = time.monotonic() - self._down_since, self._failures
            self._down_since, self._failures = None, 0
        self._log.warning("database available again after %.1f s (%d failed requests or jobs)", seconds, failures)


database_outage = OutageLog(logging.getLogger("bandeng.db"))
