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

A failure in deferred work is logged (ids only, by the callers' own log lines), never
raised into a thread nobody joins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec

log = logging.getLogger(__name__)

P = ParamSpec("P")
OPENING, FILLING, FOLLOWING = 16, 4, 4
AFTER_ACK_THREADS = OPENING + FILLING + FOLLOWING


def _logged(fn: Callable[P, Any]) -> Callable[P, None]:
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            fn(*args, **kwargs)
        except Exception:  # a thread nobody joins: say it in the log, once
            log.exception("deferred %s failed", getattr(fn, "__name__", "work"))

    return run


class AfterAck:
    def __init__(
        self, *, opening: int = OPENING, filling: int = FILLING, following: int = FOLLOWING
    ) -> None:
        self._open = ThreadPoolExecutor(opening, thread_name_prefix="meetline-open")
        self._fill = ThreadPoolExecutor(filling, thread_name_prefix="meetline-fill")
        self._later = ThreadPoolExecutor(following, thread_name_prefix="meetline-later")

    def open(self, fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Future[None]:
        return self._open.submit(_logged(fn), *args, **kwargs)

    def fill(self, fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Future[None]:
        return self._fill.submit(_logged(fn), *args, **kwargs)

    def later(self, fn: Callable[P, Any], *args: P.args, **kwargs: P.kwargs) -> Future[None]:
        return self._later.submit(_logged(fn), *args, **kwargs)

    def shutdown(self) -> None:
        """Finish what was handed over (tests, and a process that stops cleanly)."""
        for pool in (self._open, self._fill, self._later):
            pool.shutdown(wait=True)
