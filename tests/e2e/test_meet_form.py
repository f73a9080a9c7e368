"""The /meet form as a rep fills it, in English and in Polish, found by its labels alone:
the fields in a CRM dialog's order, one line per reminder, the rest behind "More options",
the record associated once and its related records offered, not ticked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.forms import dispatched, press, suggestions
from tests.e2e.test_polish import OLA, add_polish_user
from tests.support.blockkit import assert_all_views_valid
from tests.support.slack_requests import view_submission
from tests.support.stack import HOST, Stack
from tests.support.view_state import LabelledForm, stateful_elements

WARSAW = ZoneInfo("Europe/Warsaw")


@dataclass(frozen=True)
class Words:
    """What the rep reads in the form, in one language."""

    user: str
    record: str
    duration: str
    forty_five: str
    date: str
    time: str
    title: str
    attendees: str
    location: str
    phone: str
    phone_number: str
    reminders: str
    add_reminder: str
    remove: str
    hours_before: str
    description: str
    more: str
    host: str
    notes: str
    related: str
    saved: str


ENGLISH = Words(
    HOST,
    "Record",
    "Duration",
    "45 min",
    "Date",
    "Start time",
    "Title",
    "Attendees",
    "Location",
    "Phone call",
    "Phone number",
    "Reminder emails",
    "+ Add reminder",
    "Remove",
    "hours before",
    "Description for attendees",
    "More options",
    "Host",
    "Internal notes",
    "Also log on related records",
    "Meeting scheduled",
)
POLISH = Words(
    OLA,
    "Rekord",
    "Czas trwania",
    "45 min",
    "Data",
    "Godzina rozpoczęcia",
    "Tytuł",
    "Uczestnicy",
    "Miejsce",
    "Rozmowa telefoniczna",
    "Numer telefonu",
    "Przypomnienia e-mail",
    "+ Dodaj przypomnienie",
    "Usuń",
    "godz. przed",
    "Opis dla uczestników",
    "Więcej opcji",
    "Prowadzący",
    "Notatki wewnętrzne",
    "Zapisz też w powiązanych rekordach",
    "Spotkanie zaplanowane",
)


def open_blank_form(stack: Stack, user: str) -> LabelledForm:
    count = len(stack.slack.calls("views.update"))
    stack.client.command("", user_id=user)
    view = stack.slack.wait_for("views.update", count=count + 1)[-1].view
    return LabelledForm(view | {"id": stack.slack.wait_for("views.open")[-1].body["view"]["id"]})


def inputs_before_more(form: LabelledForm, more: str) -> list[str]:
    """What a rep can fill before "More options": input blocks and reminder lines."""
    shown: list[str] = []
    for block in form.view["blocks"]:
        if any(
            e.get("type") == "button" and e["text"]["text"] == more
            for e in block.get("elements", [])
        ):
            return shown
        if stateful_elements(block):
            shown.append(block["block_id"])
    raise AssertionError("no More options button")


@pytest.mark.parametrize("words", [ENGLISH, POLISH], ids=["english", "polish"])
def test_a_rep_books_by_the_labels_alone(stack: Stack, words: Words) -> None:
    add_polish_user(stack)
    form = open_blank_form(stack, words.user)
    labels = form.labels()
    order = [words.record, words.duration, words.date, words.time, words.title, words.attendees]
    assert [label for label in labels if label in order] == order
    assert len(inputs_before_more(form, words.more)) <= 10

    jane = next(
        o
        for o in suggestions(stack, form, words.record, "Jane", words.user)
        if "Jane" in o["text"]["text"]
    )
    form.choose_found(words.record, jane)
    dispatched(stack, form, words.record, words.user)  # brings Jane as attendee and a title
    attendees = form.values[form.input(words.attendees)["block_id"]]
    assert [
        "Jane Doe" in o["text"]["text"] for o in next(iter(attendees.values()))["selected_options"]
    ] == [True]

    day = (datetime.now(WARSAW) + timedelta(days=4)).date()
    form.choose(words.duration, words.forty_five)
    form.set(words.date, "selected_date", day.isoformat())
    form.set(words.time, "selected_time", "11:15")
    form.type_text(words.title, "Discovery call")
    form.choose(words.location, words.phone)
    dispatched(stack, form, words.location, words.user)
    form.type_text(words.phone_number, "+48 22 123 45 67")
    form.type_text(words.description, "Agenda: rollout")
    assert len(inputs_before_more(form, words.more)) <= 10

    # Two reminder lines, then one removed: the title typed so far survives each update.
    press(stack, form, words.add_reminder, words.user)
    press(stack, form, words.add_reminder, words.user)
    first, second = form.after(words.reminders)
    amount, unit, remove = first["elements"]
    assert remove["text"]["text"] == words.remove
    form.choose_in(first, amount, "2")
    form.choose_in(first, unit, words.hours_before)
    press(stack, form, words.remove, words.user)  # the first Remove: the line just set
    (line,) = form.after(words.reminders)
    assert line["block_id"] == second["block_id"]
    amount, unit, _ = line["elements"]
    form.choose_in(line, amount, "2")
    form.choose_in(line, unit, words.hours_before)
    assert (
        form.values[form.input(words.title)["block_id"]]["title_input"]["value"] == "Discovery call"
    )
    assert len(inputs_before_more(form, words.more)) <= 10
    assert words.host not in form.labels() and words.notes not in form.labels()

    press(stack, form, words.more, words.user)
    assert {words.host, words.notes, words.related} <= set(form.labels())
    related = form.input(words.related)["element"]
    offered = [o["text"]["text"] for o in related["options"]]
    assert any("Acme renewal 2027" in o for o in offered) and any(
        "Login problem" in o for o in offered
    )
    assert not any("Jane Doe" in o for o in offered)  # the record itself is not offered again
    assert "initial_options" not in related  # suggested, never ticked for the rep
    form.tick(words.related, next(o for o in offered if "Acme renewal 2027" in o))

    saved = stack.client.interact(
        view_submission(
            form.view["id"],
            "meet_form",
            form.values,
            private_metadata=form.view["private_metadata"],
            view=form.view,
            user_id=words.user,
        )
    ).json()
    assert saved["response_action"] == "update", saved
    assert words.saved in saved["view"]["title"]["text"]
    (meeting,) = stack.meetings_json()
    start = datetime.combine(day, datetime.strptime("11:15", "%H:%M").time(), WARSAW)
    assert meeting["start"] == start.astimezone(UTC).isoformat()
    assert meeting["duration_minutes"] == 45 and meeting["title"] == "Discovery call"
    assert meeting["location"]["kind"] == "phone"
    assert [r["offset_minutes"] for r in meeting["reminders"]] == [120]
    assert meeting["description"] == "Agenda: rollout"
    deal, ticket = stack.record_id("Acme renewal 2027"), stack.record_id("Login problem")
    assert meeting["record_ids"][0] == stack.record_id("Jane Doe")
    assert deal in meeting["record_ids"] and ticket not in meeting["record_ids"]
    assert meeting["host"] == words.user
    assert_all_views_valid(stack.slack)
