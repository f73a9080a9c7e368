"""Deferred work gives way to Slack requests being answered (bot.after_ack)."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from bot.after_ack import AfterAck


def test_open_waits_for_the_answers_a_moment_and_fill_and_later_until_they_are_given() -> None:
    after_ack = AfterAck(open_wait=0.1, wait=30)
    ran: list[str] = []
    answering = after_ack.answering()
    answering.__enter__()
    try:
        filled = after_ack.fill(ran.append, "fill")
        followed = after_ack.later(ran.append, "later")
        after_ack.open(ran.append, "open").result(timeout=10)  # its trigger expires: bounded
        time.sleep(0.2)
        assert ran == ["open"]  # the answer is still being given
    finally:
        answering.__exit__(None, None, None)
    filled.result(timeout=10)
    followed.result(timeout=10)
    assert sorted(ran) == ["fill", "later", "open"]
    after_ack.shutdown()


def test_the_full_form_waits_until_the_opens_are_made() -> None:
    after_ack = AfterAck(open_wait=0, wait=30)
    release = threading.Event()
    ran: list[str] = []

    def open_view() -> None:
        release.wait(10)
        ran.append("open")

    try:
        opened = after_ack.open(open_view)
        filled = after_ack.fill(ran.append, "fill")
        time.sleep(0.2)
        assert ran == []  # a views.open is still to be made: it comes first
        release.set()
        opened.result(timeout=10)
        filled.result(timeout=10)
        assert ran == ["open", "fill"]
    finally:
        release.set()
        after_ack.shutdown()


def test_deferred_work_waits_no_longer_than_its_bound() -> None:
    after_ack = AfterAck(wait=0.1)
    done = threading.Event()
    with after_ack.answering():  # steady traffic: never idle
        after_ack.fill(done.set)
        assert done.wait(timeout=5)
    after_ack.shutdown()


def test_a_failing_job_is_logged_and_the_pool_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    after_ack = AfterAck(wait=0)

    def broken() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="bot.after_ack"):
        after_ack.later(broken).result(timeout=5)
    assert "deferred broken failed" in caplog.text
    ran: list[int] = []
    after_ack.later(ran.append, 1).result(timeout=5)
    assert ran == [1]
    after_ack.shutdown()
