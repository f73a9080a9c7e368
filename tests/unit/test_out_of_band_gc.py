"""Garbage is collected between bursts, not in the middle of one (bot.tuning.OutOfBandGc),
and what counts as a burst (bot.after_ack.Activity)."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.after_ack import Activity, AfterAck
from bot.tuning import OutOfBandGc


class Cycle:
    """Garbage only the collector can free: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def eventually(condition: Callable[[], bool], seconds: float = 10) -> bool:
    """A liveness wait, not a timing: polls until `condition` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def collections() -> Iterator[list[str]]:
    """The names of the threads that ran each collection from now on."""
    seen: list[str] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(threading.current_thread().name)

    gc.collect()
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)
        gc.enable()


def collector(activity: Activity, **kwargs: Any) -> OutOfBandGc:
    options: dict[str, Any] = {"quiet": 0.02, "check": 0.02, "young_min": 1} | kwargs
    return OutOfBandGc(activity, **options).start()


def test_nothing_is_collected_while_a_request_is_answered_then_the_garbage_goes(
    collections: list[str],
) -> None:
    activity = Activity()
    oob = collector(activity, sustained=60)
    try:
        with activity.busy():
            garbage = weakref.ref(Cycle())
            kept = [[i] for i in range(5000)]  # allocations that would trigger CPython's gc
            time.sleep(0.3)
            assert collections == []  # in the middle of the burst: no pause
            assert garbage() is not None
            assert not gc.isenabled()
            del kept
        assert eventually(lambda: garbage() is None)  # the burst is over: collected
        assert set(collections) == {"meetline-gc"}
    finally:
        oob.stop()
    assert gc.isenabled()


def test_work_that_never_pauses_gets_cpythons_own_collection_back(
    collections: list[str],
) -> None:
    activity = Activity()
    oob = collector(activity, sustained=0.2)
    try:
        with activity.busy():
            assert eventually(gc.isenabled)  # busy for longer than `sustained`
            garbage = weakref.ref(Cycle())
            kept = [[i] for i in range(5000)]
            assert eventually(lambda: garbage() is None)  # by CPython's own thresholds
            del kept
        assert eventually(lambda: not gc.isenabled())  # quiet again: out of band again
    finally:
        oob.stop()


def test_too_many_young_objects_get_cpythons_own_collection_back_while_busy(
    collections: list[str],
) -> None:
    activity = Activity()
    oob = collector(activity, sustained=60, young_max=2000)
    try:
        with activity.busy():
            kept = [[i] for i in range(10_000)]
            assert eventually(gc.isenabled)
            del kept
    finally:
        oob.stop()


def test_deferred_work_counts_as_activity_until_it_has_run() -> None:
    after_ack = AfterAck(wait=0)
    release = threading.Event()
    try:
        done = after_ack.later(release.wait, 10)
        assert not after_ack.activity.quiet_for(0, timeout=0.2)
        release.set()
        done.result(timeout=10)
        assert after_ack.activity.quiet_for(0, timeout=10)
    finally:
        release.set()
        after_ack.shutdown()


def test_a_request_being_answered_counts_as_activity() -> None:
    after_ack = AfterAck()
    try:
        with after_ack.answering():
            assert not after_ack.activity.quiet_for(0, timeout=0.2)
            assert after_ack.activity.wait_busy(timeout=0)
        assert after_ack.activity.quiet_for(0, timeout=10)
        assert not after_ack.activity.wait_busy(timeout=0)
    finally:
        after_ack.shutdown()


def test_quiet_means_quiet_for_the_whole_period() -> None:
    now = [100.0]
    activity = Activity(clock=lambda: now[0])
    with activity.busy():
        pass
    assert not activity.quiet_for(5, timeout=0)  # idle since 100.0, not for 5 s yet
    now[0] = 105.0
    assert activity.quiet_for(5, timeout=0)
