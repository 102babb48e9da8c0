# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several batches in flight at once, gently: how the client spreads independent batches over its connections.

A large enrolment is dominated by Moodle's own work per request (docs/moodle-behaviour.md#concurrency), which a
site with several PHP workers does side by side. So independent batches are sent concurrently, at most
``parallel`` at a time, and fewer when the site shows strain: an answer 429 or 503, or a broken connection, halves
the number in flight, which then climbs back by one after as many successes as are in flight (additive increase,
multiplicative decrease, as TCP does).

The first request of a client is always sent alone: Moodle records the API user's first web service call in a
user preference, and concurrent first calls race to insert it (docs/moodle-behaviour.md#concurrency).
"""

import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait


class Throttle(object):
    """How many requests may be in flight: between 1 and ``ceiling``, lowered on strain, raised slowly after."""

    def __init__(self, ceiling):
        if ceiling < 1:
            raise ValueError("parallel must be at least 1")
        self.ceiling = int(ceiling)
        self.limit = self.ceiling
        self.lowest = self.ceiling  # for reports: the fewest in flight the site's strain led to
        self.cuts = 0
        self._in_flight = 0
        self._successes = 0
        # A cut counts once per generation: the requests already in flight when the site first showed strain
        # all meet the same strain, and must not halve the limit again each.
        self._generation = 0
        self._cond = threading.Condition()

    def acquire(self):
        """Wait for a free slot; returns the ticket to give back to ``release``."""
        with self._cond:
            while self._in_flight >= self.limit:
                self._cond.wait()
            self._in_flight += 1
            return self._generation

    def release(self, ticket, strained=False):
        with self._cond:
            self._in_flight -= 1
            if strained:
                self._successes = 0
                if ticket == self._generation:
                    self._generation += 1
                    self.limit = max(1, self.limit // 2)
                    self.lowest = min(self.lowest, self.limit)
                    self.cuts += 1
            elif self.limit < self.ceiling:
                self._successes += 1
                if self._successes >= self.limit:
                    self._successes = 0
                    self.limit += 1
            self._cond.notify_all()


_worker = threading.local()


def in_worker():
    """Whether this thread is one of ``each``'s workers (whose own batched calls then run one after another)."""
    return getattr(_worker, "active", False)


def each(function, items, parallel, first_alone=False):
    """``[function(item) for item in items]``, up to ``parallel`` at a time, results in the order of ``items``.

    The first exception stops it: no further item is started, those running finish, and the exception of the
    earliest failed item is raised. ``first_alone``: run the first item before starting any other.
    """
    items = list(items)
    if parallel <= 1 or len(items) <= 1 or in_worker():
        return [function(item) for item in items]
    results = [None] * len(items)
    start = 0
    if first_alone:
        results[0] = function(items[0])
        start = 1
    errors = {}

    def run(index):
        _worker.active = True
        try:
            results[index] = function(items[index])
        except BaseException as exc:  # re-raised in the caller's thread below
            errors[index] = exc
            raise
        finally:
            _worker.active = False

    pending = list(range(start, len(items)))
    with ThreadPoolExecutor(max_workers=min(parallel, len(pending))) as pool:
        running = set()
        while pending or running:
            while pending and len(running) < parallel and not errors:
                running.add(pool.submit(run, pending.pop(0)))
            running = wait(running, return_when=FIRST_COMPLETED).not_done
            if errors:
                pending = []
    if errors:
        raise errors[min(errors)]
    return results
