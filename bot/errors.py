"""The one translation of domain errors (handlers.errors) into what Slack shows.

A modal submission answers with `response_action: errors`, keyed by the block ids of
the view (bot.views.fields); a click gets one line of text, ephemeral where it happened
or as a DM (`tell_error`). Refusals are worded here, not in handlers, so
they may mention people the Slack way.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.views.fields import block_of
from bot.views.text import clip
from handlers.errors import DomainError, Field, NotAllowed, Reason, ValidationFailed
from handlers.i18n import Translator


def error_text(error: DomainError, t: Translator) -> str:
    """One line for the reader; a form error's messages joined."""
    if isinstance(error, NotAllowed):
        return refusal_text(error, t)
    return error.message


def tell_error(
    client: WebClient,
    body: dict[str, Any],
    user_id: str,
    error: DomainError,
    t: Translator,
    *,
    dm_when_no_channel: bool = True,
) -> None:
    """A click's error for whoever clicked: ephemeral where the click happened, else (a click
    in App Home) a DM when `dm_when_no_channel`. An error with nothing to say is not posted."""
    text = error_text(error, t)
    if not text:
        return
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get(
        "id"
    )
    if channel:
        client.chat_postEphemeral(channel=channel, user=user_id, text=text)
    elif dm_when_no_channel:
        client.chat_postMessage(channel=user_id, text=text)


def refusal_text(error: NotAllowed, t: Translator) -> str:
    reason = error.reason
    if reason is Reason.SET_OUTCOME:
        return t.gettext(
            "Only <@{host}>, the host, or a Meetline admin can set the outcome of this meeting.",
            host=error.host,
        )
    if reason is Reason.CHANGE_OUTCOME:
        return t.gettext(
            "Only {host}, the host, or a Meetline admin can change the outcome.",
            host=f"<@{error.host}>",
        )
    if reason is Reason.EDIT_MEETING:
        return t.gettext("Only the host, the organizer or a Meetline admin can edit this meeting.")
    if reason is Reason.CANCEL_MEETING:
        return t.gettext(
            "Only the host, the organizer or a Meetline admin can cancel this meeting."
        )
    return t.gettext("Only Meetline admins can change settings.")


def modal_errors(
    error: DomainError, view: dict[str, Any], t: Translator, fallback: Field = Field.RECORD
) -> dict[str, str]:
    """`errors` for a view_submission ack. Slack accepts them only on input blocks present
    in the view, so a message whose field is not shown (or an error of no field) joins
    the `fallback` field's block, else the first input's."""
    present = {str(b.get("block_id")) for b in view.get("blocks", []) if b.get("type") == "input"}
    fields = (
        error.errors if isinstance(error, ValidationFailed) else {fallback: error_text(error, t)}
    )
    shown: dict[str, str] = {}
    rest: list[str] = []
    for field, message in fields.items():
        block = block_of(field, present)
        if block in present:
            shown[block] = message
        else:
            rest.append(message)
    if rest:
        target = block_of(fallback, present)
        if target not in present:
            target = next(
                (
                    str(b.get("block_id"))
                    for b in view.get("blocks", [])
                    if b.get("type") == "input"
                ),
                target,
            )
        shown[target] = clip(" ".join([shown.get(target, ""), *rest]).strip(), 2000)
    return shown
