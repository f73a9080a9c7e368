"""Fast under a burst, as a user notices it: Save answers at once (its errors inline, in
the answer itself), what follows the commit still arrives after the answer, and a
process that caches settings shows a change at once.

The served app here keeps its read caches on (CACHE_SECONDS=60, longer than any test),
unlike the other e2e tests', so a stale read would show.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.forms import meet_values
from tests.e2e.test_schedule_flow import contacts, in_days, jane, open_form, submit
from tests.e2e.test_team_flow import admin_settings, set_user
from tests.support.blockkit import assert_all_views_valid
from tests.support.stack import HOST, Stack, running_stack

SLOW_DM = 5.0  # seconds the fake Slack takes to accept the confirmation DM


@pytest.fixture
def cached_stack(seeded_url: str, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(seeded_url, tmp_path, {"CACHE_SECONDS": "60"}, seeded=True) as running:
        yield running


def test_save_answers_errors_inline_and_the_dm_follows_the_answer(cached_stack: Stack) -> None:
    stack = cached_stack
    view = open_form(stack)
    past = meet_values(
        record=jane(stack), day=in_days(-1), at="10:00", attendees=contacts(stack, "Jane Doe")
    )
    refused = submit(stack, view, past).json()
    assert refused["response_action"] == "errors" and "future" in refused["errors"]["date"]
    assert stack.meetings_json() == [] and stack.slack.calls("chat.postMessage") == []

    stack.slack.delay("chat.postMessage", SLOW_DM)
    fine = meet_values(
        record=jane(stack),
        day=in_days(3),
        at="10:30",
        title="Burst demo",
        attendees=contacts(stack, "Jane Doe"),
    )
    saved = submit(stack, view, fine)
    # The answer does not wait for the DM: it is sent after the commit, behind the ack.
    assert saved.json()["response_action"] == "update" and saved.elapsed < SLOW_DM
    assert [m["title"] for m in stack.meetings_json()] == ["Burst demo"]
    (dm,) = stack.slack.wait_for("chat.postMessage", timeout=SLOW_DM + 10)
    assert dm.args["channel"] == HOST and "Burst demo" in dm.args["text"]
    assert_all_views_valid(stack.slack)


def test_a_settings_change_reaches_the_very_next_form(cached_stack: Stack) -> None:
    stack = cached_stack
    set_user(stack, HOST, "--admin")  # before the app first reads (and caches) Anna
    before = {b["block_id"]: b for b in open_form(stack)["blocks"]}
    assert [o["value"] for o in before["duration"]["element"]["options"]][:2] == ["15", "30"]

    assert admin_settings(stack, durations="20, 40") == {}
    stack.slack.clear()
    after = {b["block_id"]: b for b in open_form(stack)["blocks"]}
    assert [o["value"] for o in after["duration"]["element"]["options"]] == ["20", "40", "custom"]
