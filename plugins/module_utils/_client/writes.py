# -*- coding: utf-8 -*-
# Copyright: dsenroll.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How every batch write is sent: the one place a refused batch is split and a lost answer is retried.

Moodle runs some write functions as one transaction: when it refuses one item, it rolls the whole call back
and says which only in debuginfo, if at all. So a batch refused for an item's sake is split in halves until
the refused item is alone. A write whose answer was lost may have committed: it is never resent blindly, the
writer reads back what happened first, and only the rest is sent again. A write the database refused
(``dmlwriteexception``) was rolled back, usually after losing a race for a row: it is sent again, and only when
that keeps failing is it treated as refused for an item (docs/moodle-behaviour.md#concurrency).
"""

from ansible_collections.dsenroll.moodle.plugins.module_utils._client.errors import (
    ACCESS_ERRORS,
    DatabaseWriteError,
    InputTruncatedError,
    MissingCapabilityError,
    MoodleAPIError,
    MoodleError,
    OutcomeUnknownError,
    RequestTooLargeError,
)

# Errors about the call, not about an item: every other item would meet them too.
CALL_ERRORS = ACCESS_ERRORS + (MissingCapabilityError,)


def was_cut(err):
    """Whether a write's answer was lost because the site cut the request short (docs/moodle-behaviour.md#silent-truncation)."""
    return isinstance(getattr(err, "cause", None), InputTruncatedError)


def refused_for_an_item(err):
    """An error envelope that one item of the batch may have caused (splitting the batch finds which)."""
    return isinstance(err, MoodleAPIError) and not isinstance(err, CALL_ERRORS)


def batches_of(client, items, payload_of, max_items=None):
    """Consecutive slices of ``items`` whose payloads fit one call (max_input_vars, and ``max_items`` each)."""
    sizes = [len(c) for c in client.batches([payload_of(i) for i in items], max_items=max_items)]
    start = 0
    for size in sizes:
        end = start + size
        yield items[start:end]
        start = end


class BatchWriter(object):
    """Sends a batch with ``write()``, splitting refused batches and retrying lost answers.

    A writer subclass has a ``client``, and says what one call is and what each outcome means:

    - ``payload(item)``: what the item adds to the call (counted against max_input_vars).
    - ``write(items, attempt)``: the call itself, recording success; raises a MoodleError otherwise.
      ``attempt`` is 0, or the number of answers lost before this re-send.
    - ``refuses_one(err)``: whether Moodle refused the whole call for one item's sake.
    - ``refused(item, err)``: the item Moodle refuses, once it is alone.
    - ``narrow(items)``: called once, at the first refusal, before any split; returns the items still worth
      sending (e.g. without those another run wrote meanwhile).
    - ``reconcile(items, err)``: after a lost answer, settles the items a read shows done; returns the rest.
    - ``give_up(items, err)``: the items still unsettled after ``lost_answer_attempts`` calls.
    - ``after_rollback(items)``: Moodle wrote nothing of ``items`` (DatabaseWriteError); returns those still to
      send (e.g. without those another run wrote meanwhile).

    Any other error propagates: it stops the writer's caller.
    """

    lost_answer_attempts = 1
    # Re-sends of a batch the database refused, before it counts as refused for one of its items.
    rollback_attempts = 2
    # Items per call at most, besides what max_input_vars allows.
    max_items = None
    client = None

    def payload(self, item):
        raise NotImplementedError

    def write(self, items, attempt):
        raise NotImplementedError

    def refuses_one(self, err):
        return refused_for_an_item(err)

    def refused(self, item, err):
        raise err

    def narrow(self, items):
        return items

    def reconcile(self, items, err):
        return items

    def give_up(self, items, err):
        raise err

    def after_rollback(self, items):
        return items

    def batches(self, items):
        return list(batches_of(self.client, items, self.payload, self.max_items))

    def send_all(self, items):
        """Send ``items`` in as many batches as fit, up to the client's ``parallel`` at once."""
        self.client.each(self.send, self.batches(items))

    def send(self, items, attempt=0, first=True, rollbacks=0):
        try:
            self.write(items, attempt)
        except OutcomeUnknownError as err:
            self._lost(items, err, attempt)
        except RequestTooLargeError:
            # Cut before the client lowered max_input_vars (another batch was cut by the site meanwhile).
            if len(items) == 1:
                raise
            for part in self.batches(items):
                self.send(part, attempt, first, rollbacks)
        except DatabaseWriteError as err:
            self._rolled_back(items, err, attempt, first, rollbacks)
        except MoodleError as err:
            self._refused(items, err, first)

    def _lost(self, items, err, attempt):
        rest = self.reconcile(items, err)
        if not rest:
            return
        # A request the site cut lowered the client's max_input_vars (halving it each time), so a cut does not
        # use up an attempt: the re-sends get smaller until they fit.
        if attempt + 1 >= self.lost_answer_attempts and not was_cut(err):
            self.give_up(rest, err)
            return
        # Batched again: a lost answer may have lowered the client's max_input_vars (a cut request).
        for part in self.batches(rest):
            self.send(part, attempt + 1, first=False)

    def _rolled_back(self, items, err, attempt, first, rollbacks):
        if rollbacks >= self.rollback_attempts:
            self._refused(items, err, first)
            return
        rest = self.after_rollback(items)
        if rest:
            self.send(rest, attempt, first, rollbacks + 1)

    def _refused(self, items, err, first):
        if not self.refuses_one(err):
            raise err
        self._split(items, err, first)

    def _split(self, items, err, first):
        if len(items) == 1:
            self.refused(items[0], err)
            return
        if first:
            rest = self.narrow(items)
            if len(rest) < len(items):
                if rest:
                    self.send(rest, first=False)
                return
        half = len(items) // 2
        for part in (items[:half], items[half:]):
            self.send(part, first=False)
