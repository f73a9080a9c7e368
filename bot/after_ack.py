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

Slack's answers come first. In one process the GIL runs one thread at a time, so a fill
or a confirmation DM started while a burst of /meet acks and Saves is being answered
takes turns with them and delays every answer. `fill` and `later` work therefore waits
until no Slack request is being answered (`answering()`, held by bot.web around each
one), for at most `YIELD_SECONDS`, so steady traffic never starves it. `open` does not
wait: the trigger it carries expires.

A failure in deferred work is logged (ids only, by the callers' own log lines), never
raised into a thread nobody joins.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ParamSpec

log = logging.getLogger(__name__)

P = ParamSpec("P")
OPENING, FILLING, FOLLOWING = 16, 4, 4
AFTER_ACK_THREADS = OPENING + FILLING + FOLLOWING
YIELD_SECONDS = 0.05
"""How long deferred work gives way to Slack requests being answered, at most."""


def _logged(fn: Callable[P, Any]) -> Callable[P, None]:
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # a thread nobody joins: say it in the log, once
            log.exception("deferred %s failed", getattr(fn, "__name__", "work"))

    return run


class Answering:
    """How many Slack requests the HTTP threads are answering right now."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._idle:
            self._count += 1
        try:
            yield
        finally:
            with self._idle:
                self._count -= 1
                if not self._count:
                    self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Until no request is being answered, or `timeout` seconds; True when idle."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._count, timeout)


class AfterAck:
    def __init__(
        self,
        *,
        opening: int = OPENING,
        filling: int = FILLING,
        following: int = FOLLOWING,
        yield_seconds: float = YIELD_SECONDS,
    ) -> None:
        self._open = ThreadPoolExecutor(opening, thread_name_prefix="meetline-open")
        self._fill = ThreadPoolExecutor(filling, thread_name_prefix="meetline-fill")
        self._later = ThreadPoolExecutor(following, thread_name_prefix="meetline-later")
        self._answering = Answering()
        self._yield = yield_seconds

    def answering(self) -> AbstractContextManager[None]:
        """Held by the HTTP thread while it answers a Slack request."""
        return self._answering.request()

    def open(self, fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Future[None]:
        return self._open.submit(_logged(fn), *args, **kwargs)

    def fill(self, fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Future[None]:
        return self._fill.submit(self._after_answers(_logged(fn)), *args, **kwargs)

    def later(self, fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Future[None]:
        return self._later.submit(self._after_answers(_logged(fn)), *args, **kwargs)

    def _after_answers(self, fn: Callable[P, None]) -> Callable[P, None]:
        def run(*args: P.args, **kwargs: P.kwargs) -> None:
            self._answering.wait_idle(self._yield)
            fn(*args, **kwargs)

        return run

    def shutdown(self) -> None:
        """Finish what was handed over (tests, and a process that stops cleanly)."""
        for pool in (self._open, self._fill, self._later):
            pool.shutdown(wait=True)
