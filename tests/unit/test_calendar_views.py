"""Calendar connection views (`bot.views.calendar_views`): the CalDAV form re-opened after a
failed check keeps what was typed but never the password, and reads back trimmed; the
"is this account yours?" question and its answers; all valid Block Kit, also in Polish.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.views.calendar_views import (
    PENDING_CANCEL,
    PENDING_CONNECT,
    caldav_modal,
    pending_answer_text,
    pending_blocks,
    pending_text,
    read_caldav_modal,
)
from handlers.connect_calendar import CalDavAccount
from handlers.i18n import translator
from tests.support.blockkit import validate_blocks, validate_modal


def typed(view: dict[str, Any], **values: str) -> dict[str, Any]:
    """The view as Slack submits it: each input's typed value, else its initial value."""
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        value = values.get(block["block_id"], element.get("initial_value"))
        state[block["block_id"]] = {element["action_id"]: {"type": element["type"], "value": value}}
    return {**view, "state": {"values": state}}


def fields(account: CalDavAccount) -> tuple[str, str, str, str]:
    return (account.url, account.username, account.password, account.calendar)


def test_the_caldav_form_reads_back_what_was_typed_trimmed() -> None:
    view = caldav_modal()
    validate_modal(view)
    account = read_caldav_modal(
        typed(
            view,
            caldav_url=" https://dav.example.com/anna/ ",
            caldav_username="anna@example.com ",
            caldav_password=" app-pass-1 ",
        )
    )
    assert fields(account) == (
        "https://dav.example.com/anna/",
        "anna@example.com",
        "app-pass-1",
        "",
    )


def test_the_form_shown_again_keeps_the_details_but_never_the_password() -> None:
    view = caldav_modal("https://dav.example.com/", "anna", "Work")
    validate_modal(view)
    initial = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert initial == {
        "caldav_url": "https://dav.example.com/",
        "caldav_username": "anna",
        "caldav_password": None,
        "caldav_calendar": "Work",
    }
    account = read_caldav_modal(typed(view, caldav_password="again"))
    assert fields(account) == (
        "https://dav.example.com/",
        "anna",
        "again",
        "Work",
    )


def test_a_malformed_submission_reads_as_empty() -> None:
    account = read_caldav_modal({"state": {"values": {"caldav_url": {"value": None}}}})
    assert fields(account) == ("", "", "", "")
    assert read_caldav_modal({}).url == ""


def test_the_caldav_form_in_polish_is_valid() -> None:
    view = caldav_modal(t=translator("pl"))
    validate_modal(view)
    assert view["submit"]["text"] == "Połącz"


@pytest.mark.parametrize("language", ["en", "pl"])
def test_an_unexpected_account_is_only_connected_by_its_owners_click(language: str) -> None:
    blocks = pending_blocks("google", "anna.private@gmail.com", "pend-1", t=translator(language))
    validate_blocks(blocks)
    buttons = blocks[1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (PENDING_CONNECT, "pend-1"),
        (PENDING_CANCEL, "pend-1"),
    ]
    assert "anna.private@gmail.com" in blocks[0]["text"]["text"]


def test_the_question_names_the_account_or_the_provider() -> None:
    assert pending_text("google", "a<b>@example.com") == "Connect a&lt;b&gt;@example.com?"
    assert pending_text("microsoft", None) == "Connect this Microsoft 365 account?"


def test_each_answer_replaces_the_question() -> None:
    assert pending_answer_text("connected", "google", "anna@example.com").startswith(
        ":white_check_mark: Your "
    )
    assert "anna@example.com" in pending_answer_text("connected", "google", "anna@example.com")
    assert (
        pending_answer_text("cancelled", "google", None)
        == "Not connected. Nothing from that account was kept."
    )
    assert pending_answer_text("gone", "google", None).startswith(
        "This confirmation has expired or is not yours."
    )
    assert pending_answer_text("cancelled", "google", None, t=translator("pl")) == (
        "Nie połączono. Nic z tego konta nie zostało zachowane."
    )
