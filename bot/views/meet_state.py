"""The modal's state as a plain view-model: built from a draft, from Slack's submitted
`state.values`, or from a stored meeting, and turned back into a MeetingRequest.

Rebuilding the modal from this (on "add reminder", a new location kind, …) keeps what the
user typed, because every block is re-rendered with its current value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.envelope import slack_id_ok
from bot.views.text import EN
from handlers.i18n import Translator
from handlers.meet_form import MeetFormDraft
from handlers.meetings import (
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
MAX_METADATA = 3000  # Slack's limit for a view's private_metadata
MAX_ZONE = 64  # IANA zone names are at most ~32 characters
MAX_LANGUAGE = 16
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
    reminders: tuple[tuple[str | None, str], ...] = ()  # (amount text, unit)
    reminder_rows: int = 1
    include_description: bool = False
    description: str = ""
    notes: dict[str, Any] | None = None
    associated: tuple[Option, ...] = ()
    notices: tuple[str, ...] = ()
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
    extra: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> str:
        """The modal's private_metadata: short by construction (Slack refuses a view whose
        metadata is over 3,000 characters), so untrusted parts that are not of their
        expected shape are left out rather than echoed."""
        meta: dict[str, Any] = {"k": _safe_key(self.key), "tz": _bounded(self.timezone, MAX_ZONE) or "UTC"}
        if self.channel and slack_id_ok("channel", self.channel):
            meta["ch"] = self.channel
        if self.meeting_id is not None:
            meta["m"] = self.meeting_id
        if self.when_revision:
            meta["w"] = self.when_revision
        if _bounded(self.language, MAX_LANGUAGE):
            meta["lang"] = self.language
        text = json.dumps(meta, separators=(",", ":"))
        assert len(text) <= MAX_METADATA, "private_metadata over Slack's limit"
        return text


def _bounded(value: str | None, limit: int) -> str | None:
    return value if value and len(value) <= limit else None


def when_block_id(name: str, revision: int) -> str:
    """The block id of the "date"/"time" input at a given revision ("date", "date_1", …)."""
    return name if not revision else f"{name}_{revision}"


def read_metadata(raw: str | None) -> dict[str, Any]:
    try:
        meta = json.loads(raw or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


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
        reminders=reminders,
        reminder_rows=max(1, len(reminders)),
        notices=draft.notices,
        location_kind=location_kind,
        language=language,
    )


def _value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    got = values.get(block, {}).get(action)
    return got if isinstance(got, dict) else {}


def _option(raw: dict[str, Any] | None) -> Option | None:
    if not raw or not isinstance(raw.get("value"), str):
        return None
    text = raw.get("text", {})
    return (raw["value"], str(text.get("text", "")) if isinstance(text, dict) else "")


def _options(raw: Any) -> tuple[Option, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(o for o in (_option(r) for r in raw if isinstance(r, dict)) if o)


def parse_state(view: dict[str, Any]) -> FormState:
    """Read a submitted (or in-progress) modal; unknown or malformed parts become empty."""
    meta = read_metadata(view.get("private_metadata"))
    values = view.get("state", {}).get("values", {}) or {}
    raw_revision = meta.get("w")
    revision = raw_revision if isinstance(raw_revision, int) else 0
    day_raw = _value(values, when_block_id("date", revision), "date_pick").get("selected_date")
    try:
        day = date.fromisoformat(day_raw) if isinstance(day_raw, str) else None
    except ValueError:
        day = None
    duration_opt = _option(_value(values, "duration", "duration_select").get("selected_option"))
    kind_opt = _option(_value(values, "location_kind", "location_kind_select").get("selected_option"))
    kind = kind_opt[0] if kind_opt else LocationKind.NONE.value
    detail_block = {"phone": "loc_phone", "in_person": "loc_address", "custom": "loc_custom"}.get(kind)
    detail = ""
    if detail_block:
        detail = str(_value(values, detail_block, "loc_input").get("value") or "")
    provider_opt = _option(_value(values, "loc_video", "video_provider_select").get("selected_option"))
    reminders: list[tuple[str | None, str]] = []
    rows = 0
    for i in range(3):
        if f"rem_amount_{i}" not in values and f"rem_unit_{i}" not in values:
            continue
        rows = i + 1
        amount = _value(values, f"rem_amount_{i}", f"rem_amount_input_{i}").get("value")
        unit_opt = _option(_value(values, f"rem_unit_{i}", f"rem_unit_select_{i}").get("selected_option"))
        reminders.append((str(amount) if amount not in (None, "") else None, unit_opt[0] if unit_opt else "minutes"))
    include = _value(values, "rem_options", "include_description").get("selected_options") or []
    notes = _value(values, "notes", "notes_input").get("rich_text_value")
    type_opt = _option(_value(values, "meeting_type", "meeting_type_select").get("selected_option"))
    return FormState(
        timezone=_bounded(meta["tz"], MAX_ZONE) or "UTC" if isinstance(meta.get("tz"), str) else "UTC",
        key=_safe_key(meta.get("k")),
        channel=meta["ch"] if slack_id_ok("channel", meta.get("ch")) else None,
        meeting_id=meta["m"] if isinstance(meta.get("m"), int) and 0 < meta["m"] < 2**31 else None,
        record=_option(_value(values, "record", "record_select").get("selected_option")),
        day=day,
        time=_value(values, when_block_id("time", revision), "time_pick").get("selected_time"),
        when_revision=revision,
        language=_bounded(meta["lang"], MAX_LANGUAGE) if isinstance(meta.get("lang"), str) else None,
        duration=duration_opt[0] if duration_opt else "30",
        duration_custom=_value(values, "duration_custom", "duration_custom_input").get("value"),
        title=str(_value(values, "title", "title_input").get("value") or ""),
        meeting_type=type_opt[0] if type_opt else None,
        attendees=_options(_value(values, "attendees", "attendee_select").get("selected_options")),
        location_kind=kind,
        location_detail=detail,
        video_provider=provider_opt[0] if provider_opt else None,
        reminders=tuple(reminders),
        reminder_rows=max(1, rows),
        include_description=bool(include),
        description=str(_value(values, "description", "description_input").get("value") or ""),
        notes=notes if isinstance(notes, dict) else None,
        associated=_options(_value(values, "associated", "associated_select").get("selected_options")),
        host=_value(values, "host", "host_select").get("selected_user"),
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


def to_request(state: FormState, *, team_id: str, user_id: str, phone_region: str | None,
               language: str = "en") -> MeetingRequest:
    """The submission as a request; `language` (handlers.i18n.language_for of the user's
    Slack locale) is the language the rules answer in."""
    record_id = _int(state.record[0][2:]) if state.record and state.record[0].startswith("r:") else None
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
        meeting_type=state.meeting_type,
        associated_record_ids=associated,
        phone_region=phone_region,
        language=language,
    )


def with_changes(state: FormState, **changes: Any) -> FormState:
    return replace(state, **changes)


def from_meeting(
    meeting: Meeting,
    *,
    key: str,
    labels: dict[int, str],
    durations: tuple[int, ...] = DURATIONS,
    t: Translator = EN,
) -> FormState:
    """The edit form: the stored meeting in the host's zone. `labels` names records by id
    (records deleted since are named in `t`'s language)."""
    local = meeting.start_utc.astimezone(ZoneInfo(meeting.timezone))
    duration = str(meeting.duration_minutes) if meeting.duration_minutes in durations else "custom"
    attendees = tuple(
        (AttendeeRef(AttendeeKind.CONTACT, str(a.record_id)).encode(), labels.get(a.record_id, a.name))
        if a.record_id is not None
        else (AttendeeRef(AttendeeKind.USER, str(a.slack_user_id)).encode(), f"@{a.name}")
        for a in meeting.attendees
        if a.record_id is not None or a.slack_user_id
    )
    reminders = []
    for r in sorted(meeting.reminders, key=lambda r: -r.offset_minutes)[:3]:
        for unit, size in (("weeks", 10080), ("days", 1440), ("hours", 60), ("minutes", 1)):
            if r.offset_minutes % size == 0:
                reminders.append((str(r.offset_minutes // size), unit))
                break
    record_opt = None
    if meeting.record_id is not None:
        record_opt = (f"r:{meeting.record_id}", labels.get(meeting.record_id) or t.gettext("Record"))
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
        reminder_rows=max(1, len(reminders)),
        include_description=meeting.include_description_in_reminders,
        description=meeting.description,
        notes=meeting.notes,
        associated=tuple((f"r:{rid}", labels.get(rid) or t.gettext("Record {id}", id=rid))
                         for rid in meeting.record_ids),
        host=meeting.host_id,
        language=t.language,
    )


def _safe_key(value: object) -> str:
    """The idempotency key we wrote (hex); anything else is treated as an expired form."""
    text = str(value or "")
    return text if 0 < len(text) <= 64 and text.isascii() and text.replace("-", "").isalnum() else ""
