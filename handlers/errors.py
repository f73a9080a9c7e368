"""The one shape in which use cases say no.

A use case raises a `DomainError`; `bot/errors.py` is the one place that turns it into
what Slack shows (field errors in a modal, an ephemeral line). Fields are named in
domain terms: which block of which form shows a field is the views' business, so a
form can be redrawn without touching a rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Field(StrEnum):
    """A form field as the rules know it."""

    # the meeting form
    RECORD = "record"
    DATE = "date"
    TIME = "time"
    DURATION = "duration"
    TITLE = "title"
    ATTENDEES = "attendees"
    PHONE = "phone"
    ADDRESS = "address"
    VIDEO = "video"
    CUSTOM_LOCATION = "custom_location"
    REMINDERS = "reminders"  # the reminders as a whole (too many)
    REMINDER_1 = "reminder_1"
    REMINDER_2 = "reminder_2"
    REMINDER_3 = "reminder_3"
    HOST = "host"
    OUTCOME = "outcome"
    ASSOCIATED = "associated"
    # workspace settings
    DURATIONS = "durations"
    DEFAULT_REMINDERS = "default_reminders"
    TIMEZONE = "timezone"
    WORK_END = "work_end"
    # seats and roles
    USER = "user"
    SEAT = "seat"
    ROLES = "roles"
    # a CalDAV account
    CALDAV_URL = "caldav_url"
    CALDAV_USER = "caldav_user"
    CALDAV_PASSWORD = "caldav_password"
    CALDAV_CALENDAR = "caldav_calendar"
    # a CRM connection
    CRM_TOKEN = "crm_token"

    @classmethod
    def reminder(cls, index: int) -> Field:
        """The amount of the `index`-th reminder (0-based); past the last one, all of them."""
        slots = (cls.REMINDER_1, cls.REMINDER_2, cls.REMINDER_3)
        return slots[index] if 0 <= index < len(slots) else cls.REMINDERS


class DomainError(Exception):
    """Something the user asked for cannot be done; `message` is for them, in their language."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing named does not exist in the caller's workspace (a foreign id looks the same)."""


class Reason(StrEnum):
    """What the caller was refused (handlers.policy decided): the bot words it for the reader."""

    SET_OUTCOME = "set_outcome"  # host or admin of the meeting's workspace
    CHANGE_OUTCOME = "change_outcome"  # the same right, asked before the buttons are shown
    EDIT_MEETING = "edit_meeting"  # host, organizer or admin
    CANCEL_MEETING = "cancel_meeting"  # as editing
    CHANGE_SETTINGS = "change_settings"  # admins


class NotAllowed(DomainError):
    """The caller may not do this. `host` is the meeting's host when the wording names
    who could (a Slack user id); the message is the bot's, so it may mention them."""

    def __init__(self, reason: Reason, *, host: str = "") -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.host = host


class ValidationFailed(DomainError):
    """The request breaks form rules: a message per field, and warnings that never block."""

    def __init__(self, errors: Mapping[Field, str], warnings: tuple[str, ...] = ()) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors: dict[Field, str] = dict(errors)
        self.warnings = warnings
