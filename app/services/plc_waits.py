"""Requests that wait on a PLC, limited per user and per server process; beyond a limit, refused at once.

Testing or browsing an endpoint and starting a HIL run (or the twin's OPC UA server) wait in a threadpool
thread until the PLC answers or the wait times out. A few users clicking "test" on a dead line must not take
every thread: each user (all their sessions and tokens; the local user; sessions no request opened count as
one) may have ``PLC_WAITS_PER_USER`` such requests in progress, the whole process ``PLC_WAITS_TOTAL``. A
request beyond either is a 429 at once, never queued: a queue would hold the thread and the client just the
same, and the caller learns more from "retry in N s" than from a request that hangs.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.errors import TooManyRequestsError
from app.services import access, limits

__all__ = ["WaitLimiter", "limiter_for", "waiting_on_plc"]

CODE = "too_many_plc_requests"


class WaitLimiter:
    """Counts waits in progress per principal and in total; ``slot`` refuses beyond either limit (thread-safe)."""

    def __init__(self, per_user: int, total: int) -> None:
        self.per_user = per_user
        self.total = total
        self._lock = threading.Lock()
        self._by_principal: Counter[Hashable] = Counter()
        self._in_progress = 0

    def in_progress(self, principal: Hashable | None = None) -> int:
        """Waits in progress: of one principal, or in total."""
        with self._lock:
            return self._in_progress if principal is None else self._by_principal[principal]

    @contextmanager
    def slot(self, principal: Hashable, who: str, retry_after: int = 1) -> Iterator[None]:
        """Hold one of ``principal``'s slots for the block, or raise ``TooManyRequestsError`` at once."""
        with self._lock:
            if self._by_principal[principal] >= self.per_user:
                raise self._refusal(f"{who} already has", self.per_user, "PLC_WAITS_PER_USER", "user", retry_after)
            if self._in_progress >= self.total:
                raise self._refusal("this server already has", self.total, "PLC_WAITS_TOTAL", "server", retry_after)
            self._by_principal[principal] += 1
            self._in_progress += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_progress -= 1
                self._by_principal[principal] -= 1
                if not self._by_principal[principal]:
                    del self._by_principal[principal]

    @staticmethod
    def _refusal(subject: str, limit: int, setting: str, scope: str, retry_after: int) -> TooManyRequestsError:
        message = (f"{subject} {limit} request(s) waiting on a PLC, the limit (setting {setting}); "
                   f"retry when one has ended (after about {retry_after} s)")
        details = [{"scope": scope, "limit": limit, "setting": setting, "retry_after": retry_after}]
        return TooManyRequestsError(message, details, code=CODE, retry_after=retry_after)


_limiters: dict[tuple[int, int], WaitLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(settings: Settings) -> WaitLimiter:
    """The process-wide limiter for the settings' limits (one per pair of limits, made on first use)."""
    key = (settings.plc_waits_per_user, settings.plc_waits_total)
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = WaitLimiter(*key)
        return limiter


def _principal_key(principal: access.Principal | None) -> tuple[Hashable, str]:
    if principal is None:
        return "internal", "this server's own work"
    if principal.local or principal.user_id is None:
        return "local", "the local user"
    return ("user", principal.user_id), f"user {principal.username!r}"  # a token counts for its user


@contextmanager
def waiting_on_plc(session: Session) -> Iterator[None]:
    """Hold one of the request principal's PLC-wait slots for the block; 429 ``too_many_plc_requests`` if none."""
    settings = limits.settings_of(session)
    key, who = _principal_key(access.principal_of(session))
    with limiter_for(settings).slot(key, who, retry_after=max(1, math.ceil(settings.plc_probe_timeout))):
        yield
