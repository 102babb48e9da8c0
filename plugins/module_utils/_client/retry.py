# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The retry policy: which failures are retried, how often, how far apart.

Only failures that cannot have changed anything are retried: any failure of a read-only function
(``_names.functions.READ_ONLY``), and a write that provably never left this host (connection refused).
A write whose answer was lost is the caller's to reconcile (errors.OutcomeUnknownError).
"""

# HTTP statuses a proxy or an overloaded PHP-FPM returns for a request worth repeating.
TRANSIENT_STATUSES = frozenset((429, 500, 502, 503, 504))


class RetryPolicy(object):
    """``total`` extra attempts, waiting ``backoff_factor * 2**n`` seconds (at most ``max_backoff``)."""

    def __init__(self, total=3, backoff_factor=0.5, max_backoff=10.0, statuses=TRANSIENT_STATUSES):
        if total < 0 or backoff_factor < 0 or max_backoff < 0:
            raise ValueError("retries: total, backoff_factor and max_backoff must not be negative")
        self.total = int(total)
        self.backoff_factor = float(backoff_factor)
        self.max_backoff = float(max_backoff)
        self.statuses = frozenset(statuses)

    def delay(self, attempt, retry_after=None):
        """Seconds to wait before retry number ``attempt`` (0-based); honours Retry-After."""
        wait = min(self.max_backoff, self.backoff_factor * (2**attempt))
        if retry_after is not None:
            wait = min(self.max_backoff, max(wait, retry_after))
        return wait

    @classmethod
    def from_option(cls, value):
        """Build from the ``retries`` option: an int (attempts) or a dict of the constructor's keys."""
        if value is None:
            return cls()
        if isinstance(value, bool):
            raise ValueError("retries must be an integer or a dictionary")
        if isinstance(value, int):
            return cls(total=value)
        if isinstance(value, str) and value.strip().isdigit():
            return cls(total=int(value))
        if isinstance(value, dict):
            unknown = set(value) - set(("total", "backoff_factor", "max_backoff", "statuses"))
            if unknown:
                raise ValueError(
                    "retries: unknown keys %s (known: total, backoff_factor, max_backoff, statuses)"
                    % ", ".join(sorted(unknown))
                )
            kwargs = dict(value)
            if "statuses" in kwargs:
                kwargs["statuses"] = [int(s) for s in kwargs["statuses"]]
            try:
                return cls(**kwargs)
            except TypeError as exc:
                raise ValueError("retries: %s" % exc)
        raise ValueError("retries must be an integer or a dictionary, not %r" % (value,))
