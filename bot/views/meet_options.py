"""The /meet form's choices as Slack options: pickers' answers and what a picked record
pre-fills. Pure functions from domain objects to (value, label) pairs and option dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.views.meet_state import FormState, from_draft
from bot.views.text import EN, clip, record_label
from handlers.domain import Record, UserProfile
from handlers.i18n import Translator
from handlers.meet_form import MeetFormDraft, RecordPrefill
from handlers.meetings import AttendeeKind, AttendeeRef
from handlers.workspace import WorkspaceSettings

Choice = tuple[str, str]  # (option value, label), as the form state keeps them


def contact_choice(record: Record, t: Translator = EN) -> Choice:
    return (AttendeeRef(AttendeeKind.CONTACT, str(record.id)).encode(), record_label(record, t=t))


def record_choice(record: Record, t: Translator = EN) -> Choice:
    return (f"r:{record.id}", record_label(record, t=t))


def prefill_choices(
    prefill: RecordPrefill | None, t: Translator = EN
) -> tuple[tuple[Choice, ...], tuple[Choice, ...]]:
    """(attendees, records to suggest) a picked record adds to the form: its related
    records are offered, not ticked, and the record itself is associated anyway."""
    if prefill is None:
        return (), ()
    return (
        tuple(contact_choice(r, t) for r in prefill.attendees),
        tuple(record_choice(r, t) for r in prefill.associated if r.id != prefill.record.id),
    )


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": label}, "value": value}


def attendee_option_groups(
    contacts: Sequence[Record], teammates: Sequence[UserProfile], t: Translator = EN
) -> list[dict[str, Any]]:
    """The attendee picker's answer: contacts, then teammates (empty groups left out)."""
    groups = []
    if contacts:
        groups.append(
            {
                "label": {"type": "plain_text", "text": t.gettext("Contacts")},
                "options": [_option(*contact_choice(c, t)) for c in contacts],
            }
        )
    if teammates:
        groups.append(
            {
                "label": {"type": "plain_text", "text": t.gettext("Teammates")},
                "options": [
                    _option(
                        AttendeeRef(AttendeeKind.USER, u.slack_user_id).encode(),
                        clip(
                            f"@{u.name or u.slack_user_id}" + (f" ({u.email})" if u.email else ""),
                            75,
                        ),
                    )
                    for u in teammates
                ],
            }
        )
    return groups


def opening_form(
    draft: MeetFormDraft,
    prefill: RecordPrefill | None,
    ws: WorkspaceSettings,
    channel: str | None,
    t: Translator = EN,
) -> FormState:
    """The /meet form as it opens: what the command's text said, what its record brings,
    and the workspace's defaults (reminders, durations, video)."""
    attendees, suggested = prefill_choices(prefill, t)
    record = record_choice(draft.record, t) if draft.record is not None else None
    return from_draft(
        draft,
        channel=channel,
        attendees=attendees,
        associated=(),
        suggested=suggested,
        record=record,
        default_reminders=ws.default_reminders,
        durations=ws.durations,
        location_kind="video" if ws.video_default_on else "none",
        language=t.language,
    )
