"""Fault injection: what a flaky proxy, PHP or network does to a Moodle call."""

import threading

# write_race: the call is refused with dmlwriteexception before its function runs, as Moodle refuses the loser of
# two concurrent first calls of an API user (docs/moodle-behaviour.md#concurrency).
KINDS = ("latency", "http_status", "reset_before", "commit_then_drop", "write_race")
STATUSES = (429, 500, 502, 503, 504)
REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}


def error_page(status):
    """The short HTML page a reverse proxy sends instead of Moodle's answer."""
    title = "%d %s" % (status, REASONS[status])
    return (
        "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n" % (title, title)
    ).encode()


class Fault:
    """One rule: which calls it hits (per function, Nth calls or next N calls) and what it does."""

    def __init__(self, kind, wsfunction=None, on_calls=None, times=None, latency=0.0, status=500):
        if kind not in KINDS:
            raise ValueError("fault kind must be one of %s" % ", ".join(KINDS))
        if kind == "http_status" and int(status) not in STATUSES:
            raise ValueError("status must be one of %s" % ", ".join(map(str, STATUSES)))
        if on_calls is not None and times is not None:
            raise ValueError("give on_calls or times, not both")
        self.kind = kind
        self.wsfunction = wsfunction
        self.on_calls = set(int(n) for n in on_calls) if on_calls is not None else None
        self.times = int(times) if times is not None else None
        self.latency = float(latency or 0)
        self.status = int(status)
        self.seen = 0
        self.fired = 0

    def applies(self, wsfunction):
        """Count a call of a matching function and say whether this fault fires on it."""
        if self.wsfunction is not None and wsfunction != self.wsfunction:
            return False
        self.seen += 1
        if self.on_calls is not None:
            hit = self.seen in self.on_calls
        elif self.times is not None:
            hit = self.fired < self.times
        else:
            hit = True
        if hit:
            self.fired += 1
        return hit

    def as_dict(self):
        data = dict(vars(self))
        data["on_calls"] = sorted(self.on_calls) if self.on_calls is not None else None
        return data


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, **options):
        fault = Fault(**options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self):
        with self._lock:
            self._faults = []

    def pick(self, wsfunction):
        """The first fault that fires on this call (every matching rule counts the call)."""
        chosen = None
        with self._lock:
            for fault in self._faults:
                if fault.applies(wsfunction) and chosen is None:
                    chosen = fault
        return chosen

    def as_list(self):
        with self._lock:
            return [f.as_dict() for f in self._faults]
