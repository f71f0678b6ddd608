"""The limiter of requests waiting on a PLC: per principal and in total, refusing at once, thread-safe."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.errors import TooManyRequestsError
from app.services import access, limits, plc_waits
from app.services.plc_waits import WaitLimiter


def test_a_principal_beyond_its_limit_is_refused_naming_the_setting_while_another_gets_a_slot() -> None:
    limiter = WaitLimiter(per_user=2, total=10)
    with limiter.slot("alice", "user 'alice'"), limiter.slot("alice", "user 'alice'"):
        with pytest.raises(TooManyRequestsError) as refused, limiter.slot("alice", "user 'alice'", retry_after=7):
            pass
        with limiter.slot("bob", "user 'bob'"):
            assert (limiter.in_progress("alice"), limiter.in_progress("bob"), limiter.in_progress()) == (2, 1, 3)
    error = refused.value
    assert (error.status_code, error.code, error.headers) == (429, "too_many_plc_requests", {"Retry-After": "7"})
    assert "user 'alice' already has 2" in error.message and "PLC_WAITS_PER_USER" in error.message
    assert error.details == [{"scope": "user", "limit": 2, "setting": "PLC_WAITS_PER_USER", "retry_after": 7}]


def test_the_total_limit_refuses_every_principal_once_reached() -> None:
    limiter = WaitLimiter(per_user=5, total=2)
    with limiter.slot("alice", "a"), limiter.slot("bob", "b"):
        with pytest.raises(TooManyRequestsError) as refused, limiter.slot("carol", "c"):
            pass
    assert "this server already has 2" in refused.value.message
    assert refused.value.details[0]["setting"] == "PLC_WAITS_TOTAL" and refused.value.details[0]["scope"] == "server"


def test_a_slot_is_given_back_when_the_wait_ends_and_when_it_fails() -> None:
    limiter = WaitLimiter(per_user=1, total=1)
    with pytest.raises(ConnectionError), limiter.slot("alice", "a"):
        raise ConnectionError("the PLC went away")
    with limiter.slot("alice", "a"):
        assert limiter.in_progress("alice") == 1
    assert limiter.in_progress() == 0 and limiter.in_progress("alice") == 0


def test_many_threads_at_once_never_get_more_slots_than_the_limit() -> None:
    limiter, threads = WaitLimiter(per_user=3, total=100), 50
    barrier, answered, release = threading.Barrier(threads), threading.Semaphore(0), threading.Event()

    def attempt(_: int) -> bool:
        barrier.wait()
        try:
            with limiter.slot("alice", "a"):
                answered.release()
                release.wait(30)
                return True
        except TooManyRequestsError:
            answered.release()
            return False

    with ThreadPoolExecutor(threads) as pool:
        results = pool.map(attempt, range(threads))
        for _ in range(threads):  # every thread has its answer while the admitted ones still hold their slots
            assert answered.acquire(timeout=30)
        assert limiter.in_progress("alice") == 3
        release.set()
        assert sum(results) == 3
    assert limiter.in_progress() == 0


def session_as(principal: access.Principal | None, settings: Settings) -> Session:
    return Session(info={access.PRINCIPAL_KEY: principal, limits.SETTINGS_KEY: settings})


def test_a_users_sessions_and_tokens_share_one_limit_and_the_limiter_follows_the_settings() -> None:
    settings = Settings.model_construct(plc_waits_per_user=1, plc_waits_total=50, plc_probe_timeout=2.5)
    signed_in = access.Principal(user_id=7, username="alice", session_id=1)
    by_token = access.Principal(user_id=7, username="alice", token_id=3)
    with plc_waits.waiting_on_plc(session_as(signed_in, settings)):
        with pytest.raises(TooManyRequestsError) as refused, plc_waits.waiting_on_plc(session_as(by_token, settings)):
            pass
        with plc_waits.waiting_on_plc(session_as(access.Principal(user_id=8, username="bob"), settings)):
            assert plc_waits.limiter_for(settings).in_progress() == 2
    assert "user 'alice'" in refused.value.message and refused.value.headers == {"Retry-After": "3"}
    assert plc_waits.limiter_for(settings) is plc_waits.limiter_for(settings.model_copy())
