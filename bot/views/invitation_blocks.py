"""What the /meet form and the confirmation say about the invitation itself: the language
contacts read it in (a select the rep can change) and, without a connected calendar,
that it goes out by email only, with a Connect button.

Separate small builders, so the form's layout (bot.views.meet_modal) places them where
it likes and the confirmation reuses the notice.
"""

from __future__ import annotations

from typing import Any

from bot.views.fields import (
    CALENDAR_CONNECT_ACTION,
    CALENDAR_NOTICE_BLOCK,
    INVITATION_LANGUAGE_ACTION,
    INVITATION_LANGUAGE_BLOCK,
)
from bot.views.meet_state import FormState
from bot.views.text import EN, mrkdwn, plain
from handlers.i18n import N_, SUPPORTED, Translator
from handlers.invitation_language import chosen_language

# Each language named in itself: the rep picks the language the contact reads.
LANGUAGE_NAMES = {"en": "English", "pl": "Polski"}
# The button that switches to a language, in the reader's (a Polish rep reads "po angielsku").
SEND_IN = {"en": N_("Send in English"), "pl": N_("Send in Polish")}


def language_name(language: str) -> str:
    return LANGUAGE_NAMES.get(language, language)


def invitation_language_block(state: FormState, t: Translator = EN) -> dict[str, Any]:
    """ "Invitation in: *Polski*  [Send in English]": what contacts read (invitation,
    updates, cancellation, reminders), changed with one click; Slack teammates always
    read their own Slack language. Not an input: the choice lives in the form's metadata,
    so the form keeps its ten inputs before "More options"."""
    current = state.invitation_language or t.language
    others = [code for code in sorted(SUPPORTED, key=language_name) if code != current]
    accessory: dict[str, Any]
    if len(others) == 1 and others[0] in SEND_IN:
        accessory = {
            "type": "button",
            "action_id": INVITATION_LANGUAGE_ACTION,
            "text": plain(t.gettext(SEND_IN[others[0]]), 75),
            "value": others[0],
        }
    else:
        accessory = {
            "type": "overflow",
            "action_id": INVITATION_LANGUAGE_ACTION,
            "options": [
                {"text": plain(language_name(code), 75), "value": code} for code in others[:5]
            ],
        }
    return {
        "type": "section",
        "block_id": INVITATION_LANGUAGE_BLOCK,
        "text": mrkdwn(t.gettext("Invitation in: *{language}*", language=language_name(current))),
        "accessory": accessory,
    }


def picked_language(body: dict[str, Any]) -> str | None:
    """The language a click on the form's language button (or menu) asks for; None when
    the payload names none Meetline speaks (it is the user's to forge)."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else {}
    if not isinstance(action, dict):
        return None
    option = action.get("selected_option")
    value = option.get("value") if isinstance(option, dict) else action.get("value")
    return chosen_language(value if isinstance(value, str) else None)


def calendar_notice_block(t: Translator = EN) -> dict[str, Any]:
    """One line for a host without a connected calendar, with the way to connect one."""
    return {
        "type": "section",
        "block_id": CALENDAR_NOTICE_BLOCK,
        "text": mrkdwn(
            ":envelope: "
            + t.gettext("Sent as email invitations; connect your calendar to add it there.")
        ),
        "accessory": {
            "type": "button",
            "action_id": CALENDAR_CONNECT_ACTION,
            "text": plain(t.gettext("Connect"), 75),
            "value": "connect",
        },
    }


def invitation_blocks(state: FormState, t: Translator = EN) -> list[dict[str, Any]]:
    """The form's invitation parts, in order."""
    blocks = [invitation_language_block(state, t)]
    if state.email_only:
        blocks.append(calendar_notice_block(t))
    return blocks
