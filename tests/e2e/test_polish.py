"""The reader's language end to end: a Slack user whose locale is pl-PL schedules with
`/meet jutro o 15` and reads Polish everywhere (the form, its errors, the confirmation,
App Home, the outcome prompt, her copy of the invitation); an English user's surfaces
stay English; a contact whose record names no language reads the host's."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.forms import click, meet_values
from tests.support.blockkit import assert_all_views_valid, validate_modal, validate_options_response
from tests.support.slack_requests import (
    block_actions,
    block_suggestion,
    event_body,
    view_submission,
)
from tests.support.stack import HOST, Stack

WARSAW = ZoneInfo("Europe/Warsaw")
OLA = "U4"


def add_polish_user(stack: Stack) -> None:
    stack.slack.add_user(
        OLA,
        name="ola",
        real_name="Ola Nowak",
        email="ola@meetline.example",
        tz="Europe/Warsaw",
        locale="pl-PL",
    )


def open_form(stack: Stack, text: str, user: str) -> dict[str, Any]:
    count = len(stack.slack.calls("views.update"))
    stack.client.command(text, user_id=user)
    view = stack.slack.wait_for("views.update", count=count + 1)[-1].view
    validate_modal(view)
    return view | {"id": stack.slack.wait_for("views.open")[-1].body["view"]["id"]}


def submit(stack: Stack, view: dict[str, Any], values: dict[str, Any], user: str) -> Any:
    return stack.client.interact(
        view_submission(
            view["id"],
            "meet_form",
            values,
            view=view,
            user_id=user,
            private_metadata=view["private_metadata"],
        )
    )


def blocks_by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"]}


def jane(stack: Stack) -> tuple[str, str]:
    return (f"r:{stack.record_id('Jane Doe')}", "Jane Doe")


def tomorrow() -> Any:
    return (datetime.now(WARSAW) + timedelta(days=1)).date()


def texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def book(stack: Stack, view: dict[str, Any], user: str, title: str) -> Any:
    blocks = blocks_by_id(view)
    day = datetime.strptime(blocks["date"]["element"]["initial_date"], "%Y-%m-%d").date()
    values = meet_values(
        record=jane(stack),
        day=day,
        at=blocks["time"]["element"]["initial_time"],
        title=title,
        attendees=[(f"c:{stack.record_id('Jane Doe')}", "Jane Doe")],
    )
    return submit(stack, view, values, user)


def test_a_polish_user_schedules_in_polish(stack: Stack) -> None:
    add_polish_user(stack)
    view = open_form(stack, "jutro o 15", OLA)
    blocks = blocks_by_id(view)
    assert view["title"]["text"] == "Zaplanuj spotkanie"
    assert (view["submit"]["text"], view["close"]["text"]) == ("Zapisz", "Anuluj")
    assert json.loads(view["private_metadata"])["lang"] == "pl"
    assert [
        blocks[b]["label"]["text"]
        for b in ("record", "date", "time", "duration", "title", "attendees")
    ] == ["Rekord", "Data", "Godzina rozpoczęcia", "Czas trwania", "Tytuł", "Uczestnicy"]
    hint = blocks["time"]["hint"]["text"]  # how "jutro o 15" was read, then the zone
    assert hint.startswith("Odczytano „jutro o 15” jako ") and ", 15:00." in hint
    assert hint.endswith(" W Twojej strefie czasowej w Slacku: Europe/Warsaw.")
    assert blocks["date"]["element"]["initial_date"] == tomorrow().isoformat()
    assert blocks["time"]["element"]["initial_time"] == "15:00"
    assert [o["text"]["text"] for o in blocks["location_kind"]["element"]["options"]][:2] == [
        "Bez miejsca",
        "Rozmowa telefoniczna",
    ]

    # The pickers answer in Polish too.
    picked = stack.client.interact(
        block_suggestion("record_select", "acme", block_id="record", view=view, user_id=OLA)
    ).json()
    validate_options_response(picked)
    assert picked["options"][0]["text"]["text"].startswith("Firma: Acme")
    people = stack.client.interact(
        block_suggestion("attendee_select", "", block_id="attendees", view=view, user_id=OLA)
    ).json()
    validate_options_response(people)
    assert [g["label"]["text"] for g in people["option_groups"]][0] == "Kontakty"

    # Errors next to their fields, in Polish.
    empty = meet_values(record=None, day=tomorrow(), at="15:00", title=" ", attendees=[])
    errors = submit(stack, view, empty, OLA).json()["errors"]
    assert errors == {
        "record": "Wybierz rekord, którego dotyczy spotkanie.",
        "title": "Nadaj spotkaniu tytuł.",
        "attendees": "Dodaj co najmniej jednego uczestnika.",
    }

    # The confirmation in the modal and in the DM.
    saved = book(stack, view, OLA, "Prezentacja").json()
    assert saved["response_action"] == "update"
    assert (
        saved["view"]["title"]["text"] == "Spotkanie zaplanowane"
        and saved["view"]["close"]["text"] == "Zamknij"
    )
    dm = stack.slack.wait_for("chat.postMessage", predicate=lambda c: c.args.get("channel") == OLA)[
        -1
    ].args
    assert dm["text"].startswith("Zaplanowano spotkanie *Prezentacja*: <!date^")
    assert "^{date_short_pretty} o {time}|" in dm["text"]
    assert dm["blocks"][0]["text"]["text"] == "Spotkanie zaplanowane"
    buttons = [
        e["text"]["text"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["Edytuj", "Odwołaj spotkanie"]

    # App Home.
    count = len(stack.slack.calls("views.publish"))
    stack.client.post(
        event_body({"type": "app_home_opened", "user": OLA, "tab": "home"}), "application/json"
    )
    home = stack.slack.wait_for("views.publish", count=count + 1)[-1].args["view"]
    home_blocks = blocks_by_id(home)
    assert home_blocks["upcoming_head"]["text"]["text"] == "Nadchodzące spotkania"
    assert "prowadzisz" in texts(home["blocks"])

    # Help and the timeline answer in Polish.
    assert (
        stack.client.command("pomoc", user_id=OLA)
        .json()["text"]
        .startswith("*/meet* otwiera formularz")
    )
    timeline = stack.client.command("historia Jane Doe", user_id=OLA).json()
    assert timeline["text"] == "Historia: Jane Doe" and "Zaplanowane" in texts(timeline["blocks"])
    bad = stack.client.command("raport w przyszłym roku", user_id=OLA).json()
    assert bad["text"].startswith(":warning: Nie rozumiem okresu „w przyszłym roku”")

    # Her (organizer's) copy of the invitation is Polish; so is the contact's, whose record
    # names no language: the form proposed the host's.
    (meeting,) = stack.meetings_json()
    stack.run_worker()
    subjects = {m.rcpt_tos[0]: str(m.message["Subject"]) for m in stack.smtp.wait_for(2)}
    assert subjects["ola@meetline.example"].startswith("Wysłano zaproszenie: Prezentacja @ ")
    assert subjects["jane@acme.example"].startswith("Zaproszenie: Prezentacja @ ")

    # After the meeting, the outcome prompt, and the message after a click.
    stack.clock.set(datetime.fromisoformat(meeting["end"]) + timedelta(minutes=1))
    stack.slack.clear()
    stack.run_worker()
    prompt = stack.slack.wait_for("chat.postMessage")[0].args
    assert prompt["channel"] == OLA and prompt["text"].startswith(
        "Jak poszło spotkanie *Prezentacja*"
    )
    outcome_buttons = [e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in outcome_buttons] == [
        "Odbyło się",
        "Przełożone",
        "Nieobecność",
        "Odwołane",
    ]
    stack.client.interact(
        block_actions(
            outcome_buttons[0]["action_id"],
            outcome_buttons[0]["value"],
            block_id="outcome",
            user_id=OLA,
        )
    )
    updated = stack.slack.wait_for("chat.update")[-1].args
    assert "Wynik: *Odbyło się*" in texts(updated["blocks"]) and "Zmień" in texts(updated["blocks"])
    assert_all_views_valid(stack.slack)


def test_an_english_user_reads_english(stack: Stack) -> None:
    add_polish_user(stack)  # another member's locale changes nothing for this one
    view = open_form(stack, "tomorrow 3pm", HOST)
    blocks = blocks_by_id(view)
    assert view["title"]["text"] == "Schedule a meeting"
    assert (view["submit"]["text"], view["close"]["text"]) == ("Save", "Cancel")
    assert json.loads(view["private_metadata"])["lang"] == "en"
    assert [
        blocks[b]["label"]["text"]
        for b in ("record", "date", "time", "duration", "title", "attendees")
    ] == ["Record", "Date", "Start time", "Duration", "Title", "Attendees"]
    errors = submit(
        stack,
        view,
        meet_values(record=None, day=tomorrow(), at="15:00", title=" ", attendees=[]),
        HOST,
    ).json()["errors"]
    assert errors == {
        "record": "Pick the record this meeting is about.",
        "title": "Give the meeting a title.",
        "attendees": "Add at least one attendee.",
    }
    saved = book(stack, view, HOST, "Demo").json()
    assert saved["view"]["title"]["text"] == "Meeting scheduled"
    dm = stack.slack.wait_for(
        "chat.postMessage", predicate=lambda c: c.args.get("channel") == HOST
    )[-1].args
    assert dm["text"].startswith("*Demo* is scheduled for <!date^")
    assert "^{date_short_pretty} at {time}|" in dm["text"]
    assert [
        e["text"]["text"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]
    ] == ["Edit", "Cancel meeting"]
    assert (
        stack.client.command("help", user_id=HOST)
        .json()["text"]
        .startswith("*/meet* opens the scheduling form")
    )
    assert_all_views_valid(stack.slack)


def test_the_form_shows_a_time_read_in_another_zone_in_both_zones(stack: Stack) -> None:
    """ "jutro o 16 czasu londyńskiego": 16:00 in London is 17:00 in Warsaw, all year."""
    add_polish_user(stack)
    view = open_form(stack, "Jane Doe jutro o 16 czasu londyńskiego", OLA)
    blocks = blocks_by_id(view)
    assert blocks["date"]["element"]["initial_date"] == tomorrow().isoformat()
    assert blocks["time"]["element"]["initial_time"] == "17:00"
    hint = blocks["time"]["hint"]["text"]
    assert hint.startswith("Odczytano „jutro o 16 czasu londyńskiego” jako ")
    assert ", 16:00 czasu londyńskiego, czyli " in hint and ", 17:00 Twojego czasu." in hint
    # Still said after the form changes (More options opened), until Save.
    values: dict[str, Any] = {b["block_id"]: {} for b in view["blocks"] if b["type"] == "input"}
    more = blocks_by_id(click(stack, view, values, "more_options", "more", user=OLA))
    assert "host" in more and more["time"]["hint"]["text"] == hint


def test_a_weekday_that_contradicts_the_date_leaves_the_time_empty(stack: Stack) -> None:
    add_polish_user(stack)
    blocks = blocks_by_id(open_form(stack, "Jane Doe poniedziałek 2027-03-31 o 15", OLA))
    assert "initial_time" not in blocks["time"]["element"]
    assert "initial_date" not in blocks["date"]["element"]
    assert "dzień tygodnia nie zgadza się z datą" in json.dumps(
        blocks["notices"], ensure_ascii=False
    )
