"""Rate limits counted in the shared cache: at most N events per window for one key.

A module declares its ``Limit``\\s in one place and, per event, either checks first and counts
afterwards (``retry_after`` before a sign-in, ``hit`` when it fails) or takes a slot at once
(``consume``, e.g. for sending a code). Keys are whatever is limited: a sign-in name, a client
address, a device.

Counts live in Django's default cache, so every process and node counts together: in memory
in tests, in files on a single server, in Redis when REDIS_URL is set. Each window's count is
one entry started with ``cache.add`` and raised with ``cache.incr`` (atomic in Redis and in
memory; the file cache is one server's best effort). The window slides, the way a "sliding
window counter" does: the estimate is this window's count plus the previous window's count
weighted by the share of it the sliding window still covers, so a burst across a window
boundary cannot double the limit.
"""

import contextlib
import hashlib
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.timesince import timeuntil


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events per ``window`` for one key."""

    name: str
    count: int
    window: timedelta

    @property
    def seconds(self):
        return int(self.window.total_seconds())


class RateLimited(ValidationError):
    """A refusal until ``retry_after`` seconds have passed; the API answers it with ``status``
    and a Retry-After header, pages with the message on the form."""

    status = 429

    def __init__(self, message, retry_after, code="rate_limited"):
        super().__init__(message, code=code)
        self.retry_after = max(1, math.ceil(retry_after))


def now():
    """The clock the windows are counted on (tests move it)."""
    return time.time()


def wait_text(seconds):
    """The wait in the user's language, rounded up: "5 minutes", "2 hours, 10 minutes"."""
    minutes = max(1, math.ceil(seconds / 60))
    start = datetime.fromtimestamp(0, UTC)
    return timeuntil(start + timedelta(minutes=minutes), start, depth=2)


def _cache_key(limit, key, index):
    # Names and addresses are hashed: fixed-length keys, and no personal data in cache files.
    digest = hashlib.sha256(str(key).encode()).hexdigest()[:32]
    return f"ratelimit:{limit.name}:{digest}:{index}"


def _counts(limit, key, at):
    index = int(at // limit.seconds)
    previous_key, current_key = (_cache_key(limit, key, i) for i in (index - 1, index))
    counts = cache.get_many([previous_key, current_key])
    elapsed = (at - index * limit.seconds) / limit.seconds
    return counts.get(previous_key, 0), counts.get(current_key, 0), elapsed


def retry_after(limit, key):
    """Seconds until one more event for ``key`` fits ``limit``; 0 when it fits now.

    A missing key (e.g. no client address) is never limited.
    """
    if key is None:
        return 0
    at = now()
    previous, current, elapsed = _counts(limit, key, at)
    window = limit.seconds
    if current >= limit.count:
        # Only in the next window, once this window's weight has dropped enough:
        # current * (1 - f) + 1 <= count.
        return (1 - elapsed) * window + (1 - (limit.count - 1) / current) * window
    if previous * (1 - elapsed) + current + 1 <= limit.count:
        return 0
    # previous * (1 - f) + current + 1 <= count, for the share f of this window gone by.
    return (1 - (limit.count - 1 - current) / previous - elapsed) * window


def hit(limit, key):
    """Count one event for ``key``."""
    if key is None:
        return
    index = int(now() // limit.seconds)
    cache_key = _cache_key(limit, key, index)
    # Kept through the next window, which still weighs it.
    timeout = 2 * limit.seconds
    cache.add(cache_key, 0, timeout)
    try:
        cache.incr(cache_key)
    except ValueError:  # expired or evicted between add and incr
        cache.set(cache_key, 1, timeout)
    # The file cache's incr stores the entry again with the default timeout.
    cache.touch(cache_key, timeout)


def _uncount(limit, key):
    with contextlib.suppress(ValueError):  # gone already: nothing to take back
        cache.decr(_cache_key(limit, key, int(now() // limit.seconds)))


def consume(pairs, message):
    """Count one event for every ``(limit, key)`` pair, or raise RateLimited and count none
    when any of them is used up. ``message`` is formatted with ``wait``.

    The events are counted first and taken back on refusal, so concurrent requests cannot
    both slip through the last slot.
    """
    pairs = [(limit, key) for limit, key in pairs if key is not None]
    for limit, key in pairs:
        hit(limit, key)
    over = []
    for limit, key in pairs:
        previous, current, elapsed = _counts(limit, key, now())
        if previous * (1 - elapsed) + current > limit.count:
            over.append((limit, key))
    if over:
        for limit, key in pairs:
            _uncount(limit, key)
        wait = max(retry_after(limit, key) for limit, key in over)
        raise RateLimited(message % {"wait": wait_text(wait)}, wait)
