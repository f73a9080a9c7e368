"""Work that follows an ack, off the HTTP thread.

The Bolt app runs with `process_before_response=True`: a listener runs in the HTTP
thread and Slack gets its answer when the listener returns, so an ack costs the
signature check, the parse and the ack, never a wait for a free listener thread. What
must happen after the answer is handed to one of three bounded pools here:

- `open`: the trigger-bound `views.open` of a light view (the trigger lives 3 s). I/O
  only, so it has threads to spare and never queues behind form building.
- `fill`: building the full form and sending it with `views.update`. CPU work, so the
  pool is small (about the cores): a burst queues here instead of starving the acks
  and the opens of the GIL.
- `later`: what follows a commit or a click (the confirmation DM, a report): nobody
  is waiting on a trigger for it.

Slack's answers come first, then the opens, then the rest. In one process the GIL runs
one thread at a time, so deferred work started while a burst is still arriving takes
turns with the server's own thread reading the next requests and with their acks: under
50 /meet at once the last acks waited for most of the burst's form building (ack p99
1.8-2.3x the bare Bolt app's; waiting until the moment no request was being answered
was not enough: between two arrivals there is such a moment). So each kind waits for a
quiet moment of what comes before it (bot.after_ack.Activity.quiet_for):

- `open` until no Slack request has been answered for `OPEN_QUIET` seconds, at most
  `OPEN_WAIT` (the trigger lives 3 s);
- `fill` until no request has been answered and no open is to be made for `FILL_QUIET`,
  at most `WAIT`;
- `later` (nobody is waiting for it) likewise for `LATER_QUIET`, at most `WAIT`.

The bounds keep steady traffic from starving anything. make bench, 50 users: /meet ack
p99 0.4-0.6x the bare app's (was 1.8-2.3x), views.open 1.2-1.9x (was 2.4-2.8x).

`activity` counts both, Slack requests being answered and deferred work queued or
running: when it has been zero for a moment the process is between bursts, which is when
bot.tuning's out-of-band collector runs the garbage collector.

A failure in deferred work is logged (ids only, by the callers' own log lines), never
raised into a thread nobody joins.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, ParamSpec

log = logging.getLogger(__name__)

P = ParamSpec("P")
OPENING, FILLING, FOLLOWING = 16, 4, 4
AFTER_ACK_THREADS = OPENING + FILLING + FOLLOWING
OPEN_QUIET, OPEN_WAIT = 0.01, 0.2
FILL_QUIET, LATER_QUIET, WAIT = 0.02, 0.1, 0.5
"""Seconds of quiet each kind of deferred work waits for, and how long at most."""


def _logged(fn: Callable[P, Any]) -> Callable[P, None]:
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # a thread nobody joins: say it in the log, once
            log.exception("deferred %s failed", getattr(fn, "__name__", "work"))

    return run


class Activity:
    """How many things are going on (Slack requests being answered, deferred work queued
    or running: each instance counts its own), and since when there has been none.
    Deferred work waits for a quiet moment of what comes before it, and the garbage
    collector for one of everything (bot.tuning.OutOfBandGc). Waiters are woken only when
    the count starts or stops being zero, so a burst costs them no wake-ups."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._count = 0
        self._clock = clock
        self._idle_since = clock()
        self._changed = threading.Condition()

    def enter(self) -> None:
        with self._changed:
            self._count += 1
            if self._count == 1:
                self._changed.notify_all()

    def leave(self) -> None:
        with self._changed:
            self._count -= 1
            if not self._count:
                self._idle_since = self._clock()
                self._changed.notify_all()

    @contextmanager
    def busy(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()

    def quiet_for(self, seconds: float, timeout: float) -> bool:
        """Wait, at most `timeout` seconds, until nothing has been going on for `seconds`;
        True when that is so."""
        deadline = self._clock() + timeout
        with self._changed:
            while True:
                now = self._clock()
                if not self._count and now - self._idle_since >= seconds:
                    return True
                if now >= deadline:
                    return False
                until = deadline if self._count else min(deadline, self._idle_since + seconds)
                self._changed.wait(max(until - now, 0.0))

    def wait_busy(self, timeout: float) -> bool:
        """Wait, at most `timeout` seconds, until something is going on; True if it is."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count > 0, timeout)


class AfterAck:
    def __init__(
        self,
        *,
        opening: int = OPENING,
        filling: int = FILLING,
        following: int = FOLLOWING,
        open_wait: float = OPEN_WAIT,
        wait: float = WAIT,
    ) -> None:
        self._open = ThreadPoolExecutor(opening, thread_name_prefix="meetline-open")
        self._fill = ThreadPoolExecutor(filling, thread_name_prefix="meetline-fill")
        self._later = ThreadPoolExecutor(following, thread_name_prefix="meetline-later")
        self._answering = Activity()  # Slack requests only
        self._urgent = Activity()  # Slack requests, and views.open calls to make
        self._open_wait, self._wait = open_wait, wait
        self.activity = Activity()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Held by the HTTP thread while it answers a Slack request."""
        with self.activity.busy(), self._answering.busy(), self._urgent.busy():
            yield

    def open(self, fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Future[None]:
        """`fn` once no request has been answered for a moment; fills and follow-ups
        wait until it has run (`_urgent`)."""
        return self._submit(
            self._open,
            (self.activity, self._urgent),
            self._after(self._answering, _logged(fn), OPEN_QUIET, self._open_wait),
            *args,
            **kwargs,
        )

    def fill(self, fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Future[None]:
        return self._submit(
            self._fill,
            (self.activity,),
            self._after(self._urgent, _logged(fn), FILL_QUIET, self._wait),
            *args,
            **kwargs,
        )

    def later(self, fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Future[None]:
        return self._submit(
            self._later,
            (self.activity,),
            self._after(self._urgent, _logged(fn), LATER_QUIET, self._wait),
            *args,
            **kwargs,
        )

    @staticmethod
    def _submit(
        pool: ThreadPoolExecutor,
        counted_in: tuple[Activity, ...],
        fn: Callable[P, None],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> Future[None]:
        """`fn` on `pool`, counted in each of `counted_in` from now until it has run."""
        for activity in counted_in:
            activity.enter()

        def done(_: object) -> None:
            for activity in counted_in:
                activity.leave()

        try:
            future = pool.submit(fn, *args, **kwargs)
        except BaseException:
            done(None)
            raise
        future.add_done_callback(done)
        return future

    @staticmethod
    def _after(
        first: Activity, fn: Callable[P, None], quiet: float, at_most: float
    ) -> Callable[P, None]:
        """`fn`, once `first` has been quiet for `quiet` seconds or after `at_most`."""

        def run(*args: P.args, **kwargs: P.kwargs) -> None:
            if at_most > 0:
                first.quiet_for(quiet, timeout=at_most)
            fn(*args, **kwargs)

        return run

    def shutdown(self) -> None:
        """Finish what was handed over (tests, and a process that stops cleanly)."""
        for pool in (self._open, self._fill, self._later):
            pool.shutdown(wait=True)
