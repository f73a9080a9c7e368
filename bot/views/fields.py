"""Which block of a form shows each domain field (handlers.errors.Field).

Block ids live here and in the view builders only: rules name fields in domain terms,
and `bot.errors` looks the block up here to put a message next to it.
"""

from __future__ import annotations

from typing import Final

from bot.views.calendar_views import (
    F_CALDAV_CALENDAR,
    F_CALDAV_PASSWORD,
    F_CALDAV_URL,
    F_CALDAV_USER,
)
from bot.views.crm_views import F_CRM_TOKEN
from handlers.errors import Field

FIELD_BLOCKS: Final[dict[Field, str]] = {
    # the /meet form (bot.views.meet_modal)
    Field.RECORD: "record",
    Field.DATE: "date",  # "date_<revision>" once a suggested time was used
    Field.TIME: "time",
    Field.DURATION: "duration_custom",  # only the custom length can be wrong
    Field.TITLE: "title",
    Field.ATTENDEES: "attendees",
    Field.PHONE: "loc_phone",
    Field.ADDRESS: "loc_address",
    Field.VIDEO: "loc_video",
    Field.CUSTOM_LOCATION: "loc_custom",
    # Reminder lines are actions blocks of selects (nothing to mistype), and Slack shows
    # errors on input blocks only: a reminder's message joins the form's first field.
    Field.REMINDER_1: "rem_head",
    Field.REMINDER_2: "rem_head",
    Field.REMINDER_3: "rem_head",
    Field.REMINDERS: "rem_head",
    Field.HOST: "host",
    Field.ASSOCIATED: "associated",
    Field.OUTCOME: "outcome",
    # workspace settings (bot.views.admin_views)
    Field.DURATIONS: "durations",
    Field.DEFAULT_REMINDERS: "reminders",
    Field.TIMEZONE: "timezone",
    Field.WORK_END: "work_end",
    # seats and roles
    Field.USER: "user",
    Field.SEAT: "seat",
    Field.ROLES: "roles",
    # a CalDAV account (bot.views.calendar_views)
    Field.CRM_TOKEN: F_CRM_TOKEN,
    Field.CALDAV_URL: F_CALDAV_URL,
    Field.CALDAV_USER: F_CALDAV_USER,
    Field.CALDAV_PASSWORD: F_CALDAV_PASSWORD,
    Field.CALDAV_CALENDAR: F_CALDAV_CALENDAR,
}

REVISED_FIELDS: Final = frozenset({Field.DATE, Field.TIME})
"""Inputs whose block id carries a revision suffix, so Slack forgets the old value."""


def block_of(field: Field, present: set[str]) -> str:
    """The id of the block showing `field` among the `present` ones (its revision included)."""
    block = FIELD_BLOCKS[field]
    if field in REVISED_FIELDS:
        for candidate in present:
            prefix, _, suffix = candidate.partition("_")
            if prefix == block and (not suffix or suffix.isdigit()):
                return candidate
    return block


# The /meet form's invitation parts (bot.views.invitation_blocks), kept apart from the
# layout of the rest of the form.
INVITATION_LANGUAGE_BLOCK: Final = "invitation_language"
INVITATION_LANGUAGE_ACTION: Final = "invitation_language_select"
CALENDAR_NOTICE_BLOCK: Final = "calendar_notice"
CALENDAR_CONNECT_ACTION: Final = "calendar_connect_prompt"
