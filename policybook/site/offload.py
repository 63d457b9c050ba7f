"""Slow pages off the event loop, bounded (shell): the live compare page.

A visitor chooses any pair of versions, and a redline of two large versions can take
a while. Computed on the event loop, two such requests stalled every page of the site.
Here each computation runs in a small pool of worker threads (`workers`: two, so that a
cached pair is not queued behind a long comparison), with at most
`waiting` more queued behind them; identical requests in flight share one computation
(single flight); a request that finds the pool and its queue full is refused at once
(429, "try again"), and one that waits longer than `wait_seconds` gets a clear "still
being prepared" page (503 with Retry-After) while the work finishes in the background,
so that the reload finds it in the cache of comparisons (see `cached_compare`).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from ..document import Document
from ..errors import PolicybookError
from .changes import Compare, Comparison

T = TypeVar("T")


class Busy(PolicybookError):
    """Too many slow pages are being computed; the visitor should try again shortly."""

    def __init__(self, message: str, retry_after: int, status: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status  # 429: refused at once; 503: still being prepared


class Offload(Generic[T]):
    def __init__(self, *, workers: int = 2, waiting: int = 2, wait_seconds: float = 8.0,
                 name: str = "policybook-compare") -> None:
        self.workers = workers
        self.waiting = waiting
        self.wait_seconds = wait_seconds
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        # Re-entrant: a future that is already done runs its callback (which takes the
        # lock) at once, inside `run`'s locked block.
        self._lock = threading.RLock()
        self._flight: dict[Hashable, Future[T]] = {}
        self.started = 0  # computations started (for tests and the benchmark)
        self.refused = 0

    async def run(self, key: Hashable, work: Callable[[], T]) -> T:
        """`work()`'s result, computed off the loop (shared with an identical request in
        flight); raises Busy when the pool is full or the wait is over."""
        with self._lock:
            future = self._flight.get(key)
            if future is None:
                if len(self._flight) >= self.workers + self.waiting:
                    self.refused += 1
                    raise Busy("Many comparisons are being prepared right now; please try "
                               "again in a few seconds.", 5, 429)
                future = self._pool.submit(work)
                self.started += 1
                self._flight[key] = future
                future.add_done_callback(functools.partial(self._done, key))
        try:
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)),
                                          self.wait_seconds)
        except TimeoutError:
            raise Busy("This comparison is large and is still being prepared; reload "
                       "the page in a few seconds.", max(1, round(self.wait_seconds)),
                       503) from None

    def _done(self, key: Hashable, _future: Future[T]) -> None:
        with self._lock:
            self._flight.pop(key, None)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _digest(doc: Document) -> str:
    return hashlib.sha256(doc.path.encode() + b"\0" + doc.source.encode()).hexdigest()


def cached_compare(compare: Compare, size: int = 64) -> Compare:
    """`compare`, remembering the last `size` comparisons by the pair of texts compared
    (a bounded cache: visitors can ask for any of n² pairs)."""
    cache: OrderedDict[tuple[str, str], Comparison] = OrderedDict()
    lock = threading.Lock()

    def compare_cached(old: Document | None, new: Document) -> Comparison:
        if old is None:
            return compare(None, new)
        key = (_digest(old), _digest(new))
        with lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
                return found
        result = compare(old, new)
        with lock:
            cache[key] = result
            while len(cache) > size:
                cache.popitem(last=False)
        return result

    return compare_cached
