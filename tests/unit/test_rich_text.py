"""The /meet notes' rich text as the meeting keeps it: plain text and the mentions that
become DMs (bot.views.rich_text, read once into the request)."""

from __future__ import annotations

from typing import Any

from bot.views.meet_state import FormState, to_request
from bot.views.rich_text import mentioned_users, notes_plain_text

NOTES: dict[str, Any] = {
    "type": "rich_text",
    "elements": [
        {
            "type": "rich_text_section",
            "elements": [
                {"type": "text", "text": "Ask "},
                {"type": "user", "user_id": "U2"},
                {"type": "text", "text": " about "},
                {"type": "link", "url": "https://x.test/p", "text": "pricing"},
                {"type": "emoji", "name": "moneybag"},
            ],
        },
        {
            "type": "rich_text_quote",
            "elements": [
                {"type": "user", "user_id": "U3"},
                {"type": "text", "text": " and "},
                {"type": "user", "user_id": "U2"},
            ],
        },
    ],
}


def test_mentions_in_order_once_each() -> None:
    assert mentioned_users(NOTES) == ["U2", "U3"]
    assert (
        mentioned_users(None) == [] and mentioned_users({"type": "rich_text", "elements": []}) == []
    )


def test_plain_text_keeps_mentions_links_and_lines() -> None:
    assert notes_plain_text(NOTES) == "Ask <@U2> about pricing:moneybag:\n<@U3> and <@U2>"
    assert notes_plain_text(None) == ""


def test_the_request_carries_what_was_read() -> None:
    request = to_request(
        FormState(timezone="UTC", key="k", notes=NOTES),
        team_id="T",
        user_id="U1",
        phone_region=None,
    )
    assert request.mentions == ("U2", "U3") and request.notes_text.startswith("Ask <@U2>")
    assert request.notes == NOTES  # kept for the edit form
