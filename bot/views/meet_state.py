"""The modal's state as a plain view-model: built from a draft or from a stored meeting,
read from Slack's `state.values` (bot.views.form_payload), and turned back into a
MeetingRequest. What the view carries besides its inputs is in bot.views.form_metadata.

Rebuilding the modal from this (on "add reminder", a new location kind, …) keeps what the
user typed, because every block is re-rendered with its current value.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.views.form_metadata import FormMetadata
from bot.views.rich_text import mentioned_users, notes_plain_text
from bot.views.text import EN, guest_label
from handlers.i18n import Translator
from handlers.invitation_language import chosen_language
from handlers.meet_form import MeetFormDraft
from handlers.meetings import (
    MAX_REMINDERS,
    Attendee,
    AttendeeKind,
    AttendeeRef,
    Location,
    LocationKind,
    Meeting,
    MeetingRequest,
    ReminderSpec,
    ReminderUnit,
)

DURATIONS = (15, 30, 45, 60, 90, 120)
Option = tuple[str, str]  # (value, label)


@dataclass(frozen=True)
class FormState:
    timezone: str
    key: str
    channel: str | None = None
    record: Option | None = None
    day: date | None = None
    time: str | None = None  # "HH:MM"
    duration: str = "30"  # one of DURATIONS as text, or "custom"
    duration_custom: str | None = None
    title: str = ""
    meeting_type: str | None = None
    attendees: tuple[Option, ...] = ()
    location_kind: str = LocationKind.NONE.value
    location_detail: str = ""
    video_provider: str | None = None
    # One line per reminder: (amount text or None when not picked yet, unit).
    reminders: tuple[tuple[str | None, str], ...] = ()
    # The block number of each line (bot.views.meet_modal.reminder_block_id), so removing a
    # line leaves the others' block ids, and with them what Slack shows, as they were.
    reminder_slots: tuple[int, ...] = ()
    include_description: bool = False
    description: str = ""
    notes: dict[str, Any] | None = None
    # Every associated record besides the record itself: ticked suggestions and picked ones.
    associated: tuple[Option, ...] = ()
    # Records related to the record, offered to tick (never ticked for the user).
    suggested: tuple[Option, ...] = ()
    # "More options" opened: host, reminder content, internal notes, associated records.
    advanced: bool = False
    # The meeting's outcome in the edit form; None when the field is not shown.
    outcome: str | None = None
    # The message the form was opened from (a message shortcut): its thread gets the
    # confirmation, in `channel`. Both come back in a view as the member's client sent
    # them: a Save uses them only once `seal` verifies (bot.form_seal.FormSeal.trusted).
    thread: str | None = None
    notices: tuple[str, ...] = ()
    reading: str | None = None  # how the /meet text's time was read, shown by the time
    meeting_id: int | None = None  # set when editing
    host: str | None = None  # Slack user id; None means the user filling the form
    # Calendar notices next to the time: warnings (never errors) and free alternatives
    # as ("YYYY-MM-DDTHH:MM" in `timezone`, label) for the "use_slot_N" buttons.
    conflicts: tuple[str, ...] = ()
    suggestions: tuple[Option, ...] = ()
    # Bumped when the app sets the date/time itself: Slack keeps what an input holds while
    # its block_id stays the same, so a new value needs new block ids (see when_block_id).
    when_revision: int = 0
    # The language the form is shown in (bot.i18n_context): kept in private_metadata as
    # "lang", so updates of the view need no profile lookup.
    language: str | None = None
    # What contacts read ("pl", "en"), shown under the attendees with a button to change it
    # (bot.views.invitation_blocks); None until the form opens with a default. Kept in
    # private_metadata ("il"), as no input holds it. Only a language the rep picked
    # (`language_picked`) is asked for: otherwise each contact reads their own record's
    # language, else the host's (the default shown is the first of those).
    invitation_language: str | None = None
    language_picked: bool = False
    # No calendar connected: the form says invitations go by email (set when it opens,
    # kept in private_metadata as "eo").
    email_only: bool = False
    # The server's HMAC over the team, user, key, channel and thread (bot.form_seal),
    # set when the form opens and carried unchanged ("cs" in private_metadata).
    seal: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> str:
        """The modal's private_metadata (bot.views.form_metadata)."""
        return FormMetadata(
            self.key,
            self.timezone,
            self.channel,
            self.meeting_id,
            self.when_revision,
            self.language,
            self.slots(),
            self.advanced,
            self.thread,
            self.reading,
            invitation_language=self.invitation_language,
            language_picked=self.language_picked,
            email_only=self.email_only,
            seal=self.seal,
        ).encode()

    def slots(self) -> tuple[int, ...]:
        """The block number of each reminder line (0, 1, … unless lines were removed)."""
        if len(self.reminder_slots) == len(self.reminders):
            return self.reminder_slots
        return tuple(range(len(self.reminders)))

    def with_reminder_added(self, amount: str = "1", unit: str = "hours") -> FormState:
        """One more line, under the first block number no line uses."""
        used = self.slots()
        if len(used) >= MAX_REMINDERS:
            return self
        free = next(n for n in range(MAX_REMINDERS + 1) if n not in used)
        return replace(
            self, reminders=(*self.reminders, (amount, unit)), reminder_slots=(*used, free)
        )

    def with_reminder_removed(self, slot: int) -> FormState:
        """Without the line shown under block number `slot` (the others keep theirs)."""
        lines = [(n, r) for n, r in zip(self.slots(), self.reminders, strict=True) if n != slot]
        return replace(
            self,
            reminders=tuple(r for _, r in lines),
            reminder_slots=tuple(n for n, _ in lines),
        )


def when_block_id(name: str, revision: int) -> str:
    """The block id of the "date"/"time" input at a given revision ("date", "date_1", …)."""
    return name if not revision else f"{name}_{revision}"


def reminder_block_id(slot: int) -> str:
    """The block id of a reminder line ("rem_0" …): its selects are "rem_amount_N" and
    "rem_unit_N", its remove button "rem_remove_N"."""
    return f"rem_{slot}"


def from_draft(
    draft: MeetFormDraft,
    *,
    channel: str | None,
    attendees: tuple[Option, ...],
    associated: tuple[Option, ...],
    record: Option | None,
    default_reminders: tuple[tuple[int, str], ...] = (),
    durations: tuple[int, ...] = DURATIONS,
    location_kind: str = "none",
    language: str | None = None,
    suggested: tuple[Option, ...] = (),
) -> FormState:
    start = draft.start
    duration = str(draft.duration_minutes) if draft.duration_minutes in durations else "custom"
    reminders = tuple((str(n), unit) for n, unit in default_reminders[:3])
    return FormState(
        timezone=draft.timezone,
        key=draft.idempotency_key,
        channel=channel,
        record=record,
        day=start.date() if start else None,
        time=start.strftime("%H:%M") if start else None,
        duration=duration,
        duration_custom=None if duration != "custom" else str(draft.duration_minutes),
        title=draft.title,
        attendees=attendees,
        associated=associated,
        suggested=suggested,
        reminders=reminders,
        reminder_slots=tuple(range(len(reminders))),
        notices=draft.notices,
        reading=draft.reading,
        location_kind=location_kind,
        language=language,
    )


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).strip()) if text not in (None, "") else None
    except ValueError:
        return None


def _time(text: str | None) -> time | None:
    try:
        return time.fromisoformat(text) if text else None
    except ValueError:
        return None


def to_request(
    state: FormState, *, team_id: str, user_id: str, phone_region: str | None, language: str = "en"
) -> MeetingRequest:
    """The submission as a request; `language` (handlers.i18n.language_for of the user's
    Slack locale) is the language the rules answer in."""
    record_id = (
        _int(state.record[0][2:]) if state.record and state.record[0].startswith("r:") else None
    )
    duration = _int(state.duration_custom) if state.duration == "custom" else _int(state.duration)
    refs = tuple(r for r in (AttendeeRef.decode(v) for v, _ in state.attendees) if r)
    try:
        kind = LocationKind(state.location_kind)
    except ValueError:
        kind = LocationKind.NONE
    reminders = []
    for amount, unit in state.reminders:
        if amount is None:
            continue  # an empty row is simply not a reminder
        try:
            unit_enum = ReminderUnit(unit)
        except ValueError:
            unit_enum = ReminderUnit.MINUTES
        reminders.append(ReminderSpec(_int(amount), unit_enum, amount))
    associated = tuple(
        i for i in (_int(v[2:]) for v, _ in state.associated if v.startswith("r:")) if i is not None
    )
    return MeetingRequest(
        idempotency_key=state.key,
        team_id=team_id,
        organizer_id=user_id,
        host_id=state.host or user_id,
        timezone=state.timezone,
        record_id=record_id,
        title=state.title,
        day=state.day,
        start_time=_time(state.time),
        duration_minutes=duration,
        attendees=refs,
        location=Location(kind, state.location_detail, state.video_provider),
        reminders=tuple(reminders),
        include_description_in_reminders=state.include_description,
        description=state.description,
        notes=state.notes,
        notes_text=notes_plain_text(state.notes),
        mentions=tuple(mentioned_users(state.notes)),
        meeting_type=state.meeting_type,
        associated_record_ids=associated,
        phone_region=phone_region,
        language=language,
        outcome=state.outcome,
        invitation_language=chosen_language(state.invitation_language)
        if state.language_picked
        else None,
    )


def with_changes(state: FormState, **changes: Any) -> FormState:
    return replace(state, **changes)


def _attendee_option(attendee: Attendee, labels: dict[int, str], t: Translator) -> Option | None:
    """A stored attendee as the edit form lists it: a contact, a teammate, or a guest
    with an address only (`e:` and Attendee.guest_ref), listed too so that a Save keeps
    them; an attendee with none of these (a name only) has no invitation to lose."""
    if attendee.record_id is not None:
        ref = AttendeeRef(AttendeeKind.CONTACT, str(attendee.record_id))
        return ref.encode(), labels.get(attendee.record_id, attendee.name)
    if attendee.slack_user_id:
        return AttendeeRef(AttendeeKind.USER, attendee.slack_user_id).encode(), f"@{attendee.name}"
    guest = attendee.guest_ref()
    if guest is None or not attendee.email:
        return None
    label = guest_label(attendee.name, attendee.email, t=t)
    return AttendeeRef(AttendeeKind.EMAIL, guest).encode(), label


def from_meeting(
    meeting: Meeting,
    *,
    key: str,
    labels: dict[int, str],
    durations: tuple[int, ...] = DURATIONS,
    t: Translator = EN,
    with_outcome: bool = False,
) -> FormState:
    """The edit form: the stored meeting in the host's zone, every part shown (the host,
    notes and records it already has). `labels` names records by id (those deleted at
    their source included, marked so); a record gone from the database altogether is
    named by its id in `t`'s language. `with_outcome` adds the outcome field."""
    local = meeting.start_utc.astimezone(ZoneInfo(meeting.timezone))
    duration = str(meeting.duration_minutes) if meeting.duration_minutes in durations else "custom"
    attendees = tuple(
        option for a in meeting.attendees if (option := _attendee_option(a, labels, t))
    )
    reminders = []
    for r in sorted(meeting.reminders, key=lambda r: -r.offset_minutes)[:3]:
        for unit, size in (("weeks", 10080), ("days", 1440), ("hours", 60), ("minutes", 1)):
            if r.offset_minutes % size == 0:
                reminders.append((str(r.offset_minutes // size), unit))
                break
    record_opt = None
    if meeting.record_id is not None:
        record_opt = (
            f"r:{meeting.record_id}",
            labels.get(meeting.record_id) or t.gettext("Record"),
        )
    return FormState(
        timezone=meeting.timezone,
        key=key,
        meeting_id=meeting.id,
        record=record_opt,
        day=local.date(),
        time=local.strftime("%H:%M"),
        duration=duration,
        duration_custom=str(meeting.duration_minutes) if duration == "custom" else None,
        title=meeting.title,
        meeting_type=meeting.meeting_type,
        attendees=attendees,
        location_kind=meeting.location.kind.value,
        location_detail=meeting.location.detail,
        video_provider=meeting.location.provider,
        reminders=tuple(reminders),
        reminder_slots=tuple(range(len(reminders))),
        include_description=meeting.include_description_in_reminders,
        description=meeting.description,
        notes=meeting.notes,
        associated=tuple(
            (f"r:{rid}", labels.get(rid) or t.gettext("Record {id}", id=rid))
            for rid in meeting.record_ids
            if rid != meeting.record_id  # the record is shown once, as the record
        ),
        host=meeting.host_id,
        language=t.language,
        advanced=True,
        outcome=meeting.outcome if with_outcome else None,
        invitation_language=meeting.invitation_language,
        language_picked=meeting.invitation_language is not None,
    )
