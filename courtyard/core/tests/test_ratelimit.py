"""Rate limits in the shared cache: counting, sliding windows, refusals with the wait."""

import time
from datetime import timedelta

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from courtyard.core import ratelimit
from courtyard.core.ratelimit import Limit, RateLimited

FIVE_AN_HOUR = Limit("test.five", 5, timedelta(hours=1))
HOUR = 3600
MESSAGE = "Too many; try again in %(wait)s."


@pytest.fixture
def clock(monkeypatch):
    """The limits' clock, at the start of an hour; ``clock.at(seconds)`` moves it."""

    class Clock:
        time = 1_000 * HOUR

        def at(self, seconds):
            self.time = 1_000 * HOUR + seconds

    clock = Clock()
    monkeypatch.setattr(ratelimit, "now", lambda: clock.time)
    return clock


def take(times, key="a", limit=FIVE_AN_HOUR):
    for _ in range(times):
        ratelimit.consume([(limit, key)], MESSAGE)


def test_a_limit_allows_its_count_then_refuses_with_the_wait(clock):
    take(5)
    clock.at(30 * 60)
    with pytest.raises(RateLimited) as refused:
        take(1)
    assert refused.value.code == "rate_limited" and refused.value.status == 429
    # The five weigh on the next window too: one more fits once a fifth of it has passed.
    assert refused.value.retry_after == 30 * 60 + 12 * 60
    assert refused.value.message.replace("\xa0", " ") == "Too many; try again in 42 minutes."


def test_a_refused_event_is_not_counted(clock):
    take(5)
    for _ in range(3):
        with pytest.raises(RateLimited):
            take(1)
    assert ratelimit.retry_after(FIVE_AN_HOUR, "a") == HOUR + 12 * 60


def test_keys_and_limits_are_counted_apart(clock):
    take(5, "a")
    take(5, "b")
    take(5, "a", Limit("test.other", 5, timedelta(hours=1)))


def test_the_window_slides_so_a_burst_at_its_end_cannot_double(clock):
    clock.at(HOUR - 1)
    take(5)
    clock.at(HOUR + 1)  # a new fixed window, but the last hour already holds five
    with pytest.raises(RateLimited):
        take(1)
    clock.at(HOUR + 15 * 60)  # three quarters of the old window still weigh: 3.75 + 1 fits
    take(1)
    with pytest.raises(RateLimited):
        take(1)
    clock.at(3 * HOUR)
    take(5)


def test_any_pair_over_its_limit_refuses_all_and_counts_none(clock):
    take(5, "address")
    with pytest.raises(RateLimited):
        ratelimit.consume([(FIVE_AN_HOUR, "name"), (FIVE_AN_HOUR, "address")], MESSAGE)
    assert ratelimit.retry_after(FIVE_AN_HOUR, "name") == 0
    take(5, "name")


def test_hit_and_retry_after_count_without_refusing(clock):
    for _ in range(7):
        ratelimit.hit(FIVE_AN_HOUR, "a")
    assert ratelimit.retry_after(FIVE_AN_HOUR, "a") > 0
    assert ratelimit.retry_after(FIVE_AN_HOUR, "b") == 0


def test_a_missing_key_is_never_limited(clock):
    for _ in range(10):
        ratelimit.consume([(FIVE_AN_HOUR, None)], MESSAGE)
        ratelimit.hit(FIVE_AN_HOUR, None)
    assert ratelimit.retry_after(FIVE_AN_HOUR, None) == 0


def test_the_file_cache_keeps_a_count_for_its_window(tmp_path, monkeypatch):
    """The file cache's incr stores the entry again with the cache's default timeout."""
    files = FileBasedCache(str(tmp_path), {"TIMEOUT": 1})
    monkeypatch.setattr(ratelimit, "cache", files)
    for _ in range(5):
        ratelimit.hit(FIVE_AN_HOUR, "a")
    time.sleep(1.2)
    assert ratelimit.retry_after(FIVE_AN_HOUR, "a") > 0
