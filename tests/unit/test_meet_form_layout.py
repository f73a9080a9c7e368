"""The /meet form a rep sees first, and where it starts from: at most ten inputs before
"More options", a message read for the record it names exactly (never a partial match),
and a record the rep came from (re-checked in their workspace)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.views.meet_modal import meet_form_view
from bot.views.meet_options import opening_form
from bot.views.text import slack_plain_text
from handlers.domain import RecordKind, UserProfile
from handlers.meet_form import MeetFormDraft, draft_meet_form
from handlers.workspace import WorkspaceSettings
from tests.fakes import InMemoryRecords, Store
from tests.support.blockkit import validate_modal
from tests.support.view_state import stateful_elements

NOW = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
ANNA = UserProfile("T1", "U1", name="Anna", timezone="Europe/Warsaw", locale="en-US")


def inputs_before_more_options(view: dict[str, Any]) -> int:
    count = 0
    for block in view["blocks"]:
        if block["block_id"] == "more":
            return count
        count += bool(stateful_elements(block))
    raise AssertionError("no More options")


def test_a_fresh_form_with_two_default_reminders_shows_ten_inputs_at_most() -> None:
    ws = WorkspaceSettings(default_reminders=((1, "days"), (2, "hours")))
    state = opening_form(MeetFormDraft("Europe/Warsaw", "k"), None, ws, None)
    view = meet_form_view(state, durations=ws.durations)
    validate_modal(view)
    assert inputs_before_more_options(view) <= 10
    shown = {b["block_id"] for b in view["blocks"]}
    assert not shown & {"host", "notes", "associated", "related", "rem_options"}


def records() -> InMemoryRecords:
    found = InMemoryRecords(Store())
    found.add("T1", "Jane Doe", "jane@acme.example")
    found.add("T1", "Acme Sp. z o.o.", kind=RecordKind.COMPANY)
    found.add("T2", "Zofia Nowak")
    return found


def from_message(text: str) -> MeetFormDraft:
    return draft_meet_form(text, NOW, ANNA, records(), "T1", from_message=True)


def test_a_message_names_its_record_by_its_exact_name() -> None:
    draft = from_message("Spoke to Jane Doe. She wants a demo tomorrow at 3pm for 45 minutes.")
    assert draft.record is not None and draft.record.name == "Jane Doe"
    assert draft.start is not None and draft.start.hour == 15 and draft.duration_minutes == 45
    assert draft.title == "Jane Doe / Anna"


def test_a_partial_or_foreign_name_is_not_taken_for_a_record() -> None:
    for text in ("Jane wants a demo", "Zofia Nowak wants a demo", "nothing to see here"):
        draft = from_message(text)
        assert draft.record is None
        assert draft.notices == ("The message names no record: pick one below.",)


def test_a_record_the_rep_came_from_must_be_of_their_workspace() -> None:
    found = records()
    jane = found.search("T1", "Jane")[0]
    foreign = found.search("T2", "Zofia")[0]
    assert draft_meet_form("", NOW, ANNA, found, "T1", record_id=jane.id).record == jane
    refused = draft_meet_form("", NOW, ANNA, found, "T1", record_id=foreign.id)
    assert refused.record is None
    assert refused.notices == ("That record no longer exists: pick one below.",)


def test_a_slack_message_reads_as_its_reader_sees_it() -> None:
    text = "<@U2> ask <mailto:jane@acme.example|jane@acme.example> &amp; see <https://x.test|the deck> <#C1|deals>"
    assert slack_plain_text(text) == " ask jane@acme.example & see the deck deals"
