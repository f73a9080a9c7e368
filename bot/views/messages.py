"""Pure builders for the messages Meetline posts (confirmation DMs and the like).

Every builder takes `t`, the reader's Translator (English by default)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from bot.views.manage_views import meeting_manage_actions
from bot.views.text import EN, clip, escape_mrkdwn, mrkdwn, plain, slack_date
from handlers.domain import Record
from handlers.editing import Cancelled, Changed, what_changed
from handlers.i18n import N_, Translator
from handlers.meetings import DEFAULT_OUTCOMES, OUTCOME_SCHEDULED, Meeting
from handlers.outcomes import outcome_label
from handlers.scheduling import Scheduled


def when_text(meeting: Meeting, *, t: Translator = EN) -> str:
    """Rendered by Slack in each reader's own zone."""
    return f"{slack_date(meeting.start_utc, t=t)} – {slack_date(meeting.end_utc, '{time}', t=t)}"


def _names(names: Sequence[str]) -> str:
    return ", ".join(escape_mrkdwn(n) for n in names)


def where_and_with(meeting: Meeting, *, t: Translator = EN) -> list[str]:
    """The "Where: …" and "With: …" lines of a meeting's summary, each when there is one."""
    lines = []
    place = meeting.location.display(meeting.join_url, t)
    if place:
        lines.append(t.gettext("Where: {place}", place=escape_mrkdwn(place)))
    if meeting.attendees:
        names = _names([a.name or a.email or "" for a in meeting.attendees[:10]])
        lines.append(t.gettext("With: {names}", names=names))
    return lines


def saved_heading(*, edited: bool, t: Translator = EN) -> str:
    """The title of the modal and of the DM after a save: an edit reads differently."""
    return t.gettext("Meeting updated") if edited else t.gettext("Meeting scheduled")


def _change_lines(before: Meeting, after: Meeting, t: Translator) -> list[str]:
    """One line per part of the meeting an edit changed; "Nothing changed." when none."""
    lines: list[str] = []
    for what in what_changed(before, after):
        if what is Changed.TIME:
            lines.append(
                t.gettext(
                    "Time changed: {before} → {after}",
                    before=when_text(before, t=t),
                    after=when_text(after, t=t),
                )
            )
        elif what is Changed.TITLE:
            lines.append(
                t.gettext(
                    "Title changed: {before} → {after}",
                    before=escape_mrkdwn(before.title),
                    after=escape_mrkdwn(after.title),
                )
            )
        elif what is Changed.HOST:
            lines.append(
                t.gettext(
                    "Host changed: {before} → {after}",
                    before=f"<@{before.host_id}>",
                    after=f"<@{after.host_id}>",
                )
            )
        else:
            lines.append(t.gettext(_CHANGED[what]))
    return lines or [t.gettext("Nothing changed.")]


_CHANGED = {  # English msgids, translated where used
    Changed.PLACE: N_("Place changed."),
    Changed.ATTENDEES: N_("Attendees changed."),
    Changed.DESCRIPTION: N_("Attendee description changed."),
    Changed.REMINDERS: N_("Reminders changed."),
    Changed.TYPE: N_("Meeting type changed."),
    Changed.NOTES: N_("Internal notes changed."),
    Changed.RECORDS: N_("Associated records changed."),
}


def confirmation_text(result: Scheduled, *, t: Translator = EN) -> str:
    """What was booked, or after an edit what changed; one fact a line."""
    meeting, before = result.meeting, result.previous
    title, when = escape_mrkdwn(meeting.title), when_text(meeting, t=t)
    if before is None:
        lines = [t.gettext("*{title}* is scheduled for {when}.", title=title, when=when)]
    else:
        lines = [t.gettext("*{title}*, {when}", title=title, when=when)]
        lines += _change_lines(before, meeting, t)
    place = meeting.location.display(meeting.join_url, t)
    if place:
        lines.append(t.gettext("Where: {place}", place=escape_mrkdwn(place)))
    if result.invited and before is None:
        lines.append(
            t.gettext("Invitations are on their way to: {names}.", names=_names(result.invited))
        )
    elif result.invited and before is not None and meeting.sequence != before.sequence:
        lines.append(
            t.gettext(
                "Updated invitations are on their way to: {names}.", names=_names(result.invited)
            )
        )
    if result.not_invited:
        lines.append(
            ":warning: "
            + t.gettext("Not invited (no valid email): {names}.", names=_names(result.not_invited))
        )
    for warning in result.warnings:
        lines.append(f":information_source: {escape_mrkdwn(warning)}")
    pending = [r for r in meeting.reminders if r.status == "pending"]  # sent ones are not
    if pending:
        lines.append(
            t.ngettext(
                "{n} reminder email is scheduled.",
                "{n} reminder emails are scheduled.",
                len(pending),
            )
        )
    text = "\n".join(lines)
    return text if len(text) <= 2900 else text[:2899] + "…"  # keep the line breaks


def confirmation_blocks(
    result: Scheduled,
    heading: str | None = None,
    *,
    t: Translator = EN,
    manage: bool = True,
    text: str | None = None,
) -> list[dict[str, Any]]:
    """The saved meeting; with its Edit and Cancel buttons unless `manage` is off (a
    channel's thread, where others read along). `text`: its `confirmation_text`, when
    the caller has it already."""
    blocks = [
        {
            "type": "header",
            "block_id": "head",
            "text": plain(heading or t.gettext("Meeting scheduled"), 150),
        },
        {
            "type": "section",
            "block_id": "summary",
            "text": mrkdwn(text if text is not None else confirmation_text(result, t=t)),
        },
    ]
    if manage and result.meeting.status != "cancelled":
        blocks.append(meeting_manage_actions(result.meeting, t=t))
    return blocks


def cancelled_text(meeting: Meeting, *, t: Translator = EN) -> str:
    """The notification text of a cancelled meeting's message (mrkdwn, like every `text`)."""
    return t.gettext("{title} was cancelled.", title=escape_mrkdwn(meeting.title))


def cancelled_blocks(cancelled: Cancelled, *, t: Translator = EN) -> list[dict[str, Any]]:
    """Says who hears of it: "Attendees get a cancellation" only when one is mailed."""
    meeting = cancelled.meeting
    values = {"title": escape_mrkdwn(meeting.title), "when": when_text(meeting, t=t)}
    if cancelled.told:
        text = t.gettext(
            "*{title}* ({when}) was cancelled. Attendees get a cancellation.", **values
        )
    else:
        text = t.gettext(
            "*{title}* ({when}) was cancelled. No attendee was emailed: none had received "
            "an invitation by email.",
            **values,
        )
    return [{"type": "section", "block_id": "cancelled", "text": mrkdwn(":x: " + text)}]


def mention_text(meeting: Meeting, record: Record | None, *, t: Translator = EN) -> str:
    values = {
        "organizer": f"<@{meeting.organizer_id}>",
        "title": escape_mrkdwn(meeting.title),
        "when": when_text(meeting, t=t),
    }
    if record is None:
        return t.gettext("{organizer} mentioned you in the notes of *{title}*, {when}.", **values)
    return t.gettext(
        "{organizer} mentioned you in the notes of *{title}* about *{record}*, {when}.",
        record=escape_mrkdwn(record.name),
        **values,
    )


def mention_blocks(
    meeting: Meeting, record: Record | None, *, t: Translator = EN
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "mention",
            "text": mrkdwn(mention_text(meeting, record, t=t)),
        },
    ]
    if meeting.notes_text:
        # Escape everything the organizer typed, then restore only real user mentions.
        safe = re.sub(r"&lt;@([UW][A-Z0-9]+)&gt;", r"<@\1>", escape_mrkdwn(meeting.notes_text))
        blocks.append(
            {
                "type": "section",
                "block_id": "notes",
                "text": mrkdwn(clip("> " + safe.replace("\n", "\n> "), 2900, keep_lines=True)),
            }
        )
    return blocks


def outcome_prompt_text(meeting: Meeting, *, t: Translator = EN) -> str:
    return t.gettext(
        "How did *{title}* ({when}) go?",
        title=escape_mrkdwn(meeting.title),
        when=when_text(meeting, t=t),
    )


def outcome_blocks(
    meeting: Meeting, outcomes: tuple[str, ...] = DEFAULT_OUTCOMES, *, t: Translator = EN
) -> list[dict[str, Any]]:
    """The DM after a meeting: buttons while no outcome is set, else the outcome and "Change"."""
    summary = "\n".join([outcome_prompt_text(meeting, t=t), *where_and_with(meeting, t=t)])
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "summary",
            "text": mrkdwn(clip(summary, 2900, keep_lines=True)),
        }
    ]
    if meeting.outcome == OUTCOME_SCHEDULED:
        blocks.append(outcome_buttons(meeting, outcomes, t=t))
    else:
        outcome = escape_mrkdwn(outcome_label(meeting.outcome, t))
        blocks.append(
            {
                "type": "section",
                "block_id": "outcome_set",
                "text": mrkdwn(t.gettext("Outcome: *{outcome}*", outcome=outcome)),
                "accessory": {
                    "type": "button",
                    "action_id": f"outcome_change:{meeting.id}",
                    "text": plain(t.gettext("Change"), 75),
                    "value": json.dumps({"m": meeting.id}),
                },
            }
        )
    return blocks


def outcome_buttons(
    meeting: Meeting,
    outcomes: tuple[str, ...] = DEFAULT_OUTCOMES,
    block_id: str = "outcome",
    *,
    t: Translator = EN,
) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": block_id,
        "elements": [
            {
                "type": "button",
                "action_id": f"outcome_{_action_name(code, i)}:{meeting.id}",
                "text": plain(outcome_label(code, t), 75),
                "value": json.dumps({"m": meeting.id, "o": code}),
                **({"style": "primary"} if code == "COMPLETED" else {}),
            }
            for i, code in enumerate(outcomes[:25])
        ],
    }


def _action_name(code: str, index: int) -> str:
    """A built-in outcome by name; a workspace's own by position, since an admin's name
    ("Umowa złożona", "Change") may not fit the listener's pattern or may collide."""
    return code.lower() if code in DEFAULT_OUTCOMES else f"custom_{index}"


def outcome_change_blocks(
    meeting: Meeting, outcomes: tuple[str, ...] = DEFAULT_OUTCOMES, *, t: Translator = EN
) -> list[dict[str, Any]]:
    """Buttons again, to change an outcome already set."""
    reopened = Meeting(**{**meeting.__dict__, "outcome": OUTCOME_SCHEDULED})
    return outcome_blocks(reopened, outcomes, t=t)


def outcome_nudge_text(meeting: Meeting, *, t: Translator = EN) -> str:
    return t.gettext("Reminder: {prompt}", prompt=outcome_prompt_text(meeting, t=t))


def outcome_nudge_block(*, t: Translator = EN) -> dict[str, Any]:
    return {
        "type": "context",
        "block_id": "nudge",
        "elements": [mrkdwn(":wave: " + t.gettext("A gentle reminder: no outcome yet."))],
    }


def digest_text(count: int, *, t: Translator = EN) -> str:
    """The digest's notification text (its blocks say the same in a sentence)."""
    return t.gettext("Meetings that still need an outcome: {n}.", n=count)


def digest_done_blocks(*, t: Translator = EN) -> list[dict[str, Any]]:
    """The digest once every meeting in it has an outcome."""
    return [
        {"type": "section", "block_id": "digest_done", "text": mrkdwn(t.gettext("All caught up."))}
    ]


def digest_blocks(
    meetings: Sequence[Meeting], outcomes: tuple[str, ...] = DEFAULT_OUTCOMES, *, t: Translator = EN
) -> list[dict[str, Any]]:
    """The daily list of meetings without an outcome, each with its buttons (≤50 blocks)."""
    head = t.ngettext(
        "*{n} meeting still needs an outcome.* One click each:",
        "*{n} meetings still need an outcome.* One click each:",
        len(meetings),
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "block_id": "digest_head", "text": mrkdwn(head)}
    ]
    for m in list(meetings)[:24]:
        blocks.append(
            {
                "type": "section",
                "block_id": f"digest_{m.id}",
                "text": mrkdwn(outcome_prompt_text(m, t=t)),
            }
        )
        blocks.append(outcome_buttons(m, outcomes, block_id=f"digest_outcome_{m.id}", t=t))
    return blocks


def digest_message(
    waiting: Sequence[Meeting], outcomes: tuple[str, ...], t: Translator = EN
) -> dict[str, Any]:
    """The daily digest redrawn after one of its lines got an outcome."""
    if not waiting:
        return {"text": t.gettext("All caught up."), "blocks": digest_done_blocks(t=t)}
    return {"text": digest_text(len(waiting), t=t), "blocks": digest_blocks(waiting, outcomes, t=t)}
