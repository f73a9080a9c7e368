"""How one meeting is shown wherever it is listed (`bot.views.manage_views`) and where a
refusal lands in a form (`bot.views.fields`): the one-line summary with the reader's role,
Edit and Cancel buttons that are distinct per meeting with a confirmation before cancelling,
and every domain field mapped to a block the forms really have."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.views.fields import FIELD_BLOCKS, REVISED_FIELDS, block_of
from bot.views.manage_views import meeting_line, meeting_manage_actions
from bot.views.messages import mention_blocks
from handlers.errors import Field
from handlers.i18n import translator
from handlers.meetings import Location, Meeting
from tests.support.blockkit import validate_blocks

START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
WHEN = (
    "<!date^1796306400^{date_short_pretty} at {time}|2026-12-03 14:00 UTC>"
    " – <!date^1796309100^{time}|2026-12-03 14:45 UTC>"
)


def words(text: str) -> list[str]:
    return text.split()


def meeting(meeting_id: int = 7, title: str = "Demo <for> Acme") -> Meeting:
    return Meeting(
        id=meeting_id, team_id="T1", uid=f"uid-{meeting_id}", sequence=0, title=title, start_utc=START,
        end_utc=START + timedelta(minutes=45), timezone="Europe/Warsaw", duration_minutes=45,
        location=Location(), host_id="UHOST", organizer_id="UORG",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("role", "suffix"),
    [
        (None, " · host <@UHOST>"),
        ("organizer", " · host <@UHOST> · you are the organizer"),
        ("host", " · you are the host"),
    ],
)
def test_the_summary_line_names_the_host_unless_the_reader_is_the_host(
    role: str | None, suffix: str
) -> None:
    assert words(meeting_line(meeting(), role)) == words(f"*Demo &lt;for&gt; Acme*\n{WHEN}{suffix}")


def test_the_summary_puts_the_time_on_its_own_line() -> None:
    assert meeting_line(meeting(), "host").splitlines()[1].startswith("<!date^")


def test_a_mention_quotes_the_notes_line_by_line() -> None:
    notes = meeting()
    notes.notes_text = "Bring the Q3 numbers\nand   the <!channel> deck"
    quoted = mention_blocks(notes, None)[-1]["text"]["text"]
    assert quoted.splitlines() == ["> Bring the Q3 numbers", "> and the &lt;!channel&gt; deck"]


def test_the_summary_line_in_polish() -> None:
    line = meeting_line(meeting(), "host", t=translator("pl"))
    assert words(line) == words(
        "*Demo &lt;for&gt; Acme*\n<!date^1796306400^{date_short_pretty} o {time}|2026-12-03 14:00 UTC>"
        " – <!date^1796309100^{time}|2026-12-03 14:45 UTC> · prowadzisz"
    )


def test_a_huge_title_is_clipped_to_what_a_section_holds() -> None:
    assert len(meeting_line(meeting(title="x" * 5000))) <= 2900


def test_each_rows_buttons_are_distinct_and_cancel_asks_first() -> None:
    rows = [
        meeting_manage_actions(meeting(7), "manage_7"),
        meeting_manage_actions(meeting(8), "manage_8"),
    ]
    validate_blocks(rows)
    edit, cancel = rows[0]["elements"]
    assert (edit["action_id"], cancel["action_id"]) == ("meeting_edit:7", "meeting_cancel:7")
    assert json.loads(edit["value"]) == json.loads(cancel["value"]) == {"m": 7}
    assert rows[1]["elements"][0]["action_id"] == "meeting_edit:8"
    assert cancel["style"] == "danger"
    assert cancel["confirm"]["text"]["text"] == (
        "“Demo <for> Acme” will be cancelled and attendees get a cancellation."
    )
    assert (cancel["confirm"]["confirm"]["text"], cancel["confirm"]["deny"]["text"]) == (
        "Cancel meeting",
        "Keep it",
    )


def test_the_buttons_in_polish_are_valid() -> None:
    row = meeting_manage_actions(meeting(), t=translator("pl"))
    validate_blocks([row])
    assert row["elements"][1]["confirm"]["deny"]["text"] == "Zostaw"


def test_every_domain_field_has_a_block() -> None:
    assert set(FIELD_BLOCKS) == set(Field)


def test_a_date_or_time_error_finds_its_revised_block() -> None:
    """After "use this slot" the inputs are date_2/time_2: the error must land there."""
    present = {"record", "date_2", "time_2", "duration", "title"}
    assert block_of(Field.DATE, present) == "date_2"
    assert block_of(Field.TIME, present) == "time_2"
    assert block_of(Field.DATE, {"date", "time"}) == "date"
    assert block_of(Field.DATE, {"date_note", "title"}) == "date"  # not a revision
    assert block_of(Field.TITLE, present) == "title"
    assert block_of(Field.REMINDERS, present) == "rem_head"
    assert {Field.DATE, Field.TIME} == REVISED_FIELDS
