"""The scheduling modal's private_metadata: what a view carries from one update to the
next and to its submission that no input holds (the submission key, the user's zone…).

The JSON keys are short because Slack refuses a view whose metadata is over 3,000
characters, and they are a wire format: a modal opened before a deploy is submitted after
it, so never rename or reuse a key (add a new one, and decode its absence):

    k     the submission's idempotency key (hex, at most 64 characters)
    tz    the IANA zone the date and time inputs are read in ("UTC" when missing)
    ch    the channel /meet was typed in (a Slack channel id), when any; trusted only
          with a `cs` that verifies (below)
    m     the id of the meeting being edited; absent for a new meeting
    w     the revision of the date/time block ids (bot.views.meet_state.when_block_id)
    lang  the language the form is shown in (bot.i18n_context)
    r     the block numbers of the reminder lines shown, in order (at most three)
    adv   1 when "More options" was opened (host, internal notes, associated records)
    th    the ts of the message the form was opened from (its shortcut): the confirmation
          goes to that message's thread in `ch`; trusted only with a `cs` that verifies
    rd    how the typed text's time was read ("Read “jutro o 3” as Tue 24 Mar, 15:00."),
          shown by the time until the app itself sets another time
    il    the language contacts read ("pl", "en"), as proposed or picked in the form
    ilp   1 when the rep picked `il` (else each contact reads their record's language)
    eo    1 when the form says the meeting goes out by email only (no calendar connected)
    cs    the seal of `ch` and `th`: an HMAC the server wrote when it opened the form,
          over the team, the user, `k`, `ch` and `th` (bot.form_seal; 43 characters of
          base64url)

Both directions drop what does not have its expected shape, so an untrusted value is
never echoed back to Slack or into a request.

The whole text comes back as the member's client sent it, so a well-shaped value is
still only what the member chose. That is fine for what steers their own form (`tz`,
`lang`, `r`…), for `k` (a random uuid the app wrote, looked up only in the submitter's
workspace) and for `m`, which the use case looks up in the submitter's workspace and
checks against their role (handlers.editing, handlers.outcomes). It is not fine for
`ch` and `th`, which say where the bot posts: the Save uses them only when `cs`
verifies for the submitting team and user (bot.form_seal.FormSeal.trusted), else it
drops them and the meeting is booked without the post in the thread. Forms opened
before `cs` existed carry no seal, so they still save but lose that post.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.envelope import MAX_METADATA, slack_id_ok
from handlers.invitation_language import chosen_language
from handlers.meetings import MAX_REMINDERS

MAX_ZONE = 64  # IANA zone names are at most ~32 characters
MAX_LANGUAGE = 16
MAX_KEY = 64
MAX_MEETING_ID = 2**31
_TS = re.compile(r"\d{1,12}\.\d{1,8}")  # a Slack message ts
SEAL = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of an HMAC-SHA256, unpadded
MAX_READING = 300  # one sentence (handlers.meet_form.how_read)
MAX_SLOT = 100  # reminder line numbers are reused, so they stay small


@dataclass(frozen=True)
class FormMetadata:
    key: str
    timezone: str = "UTC"
    channel: str | None = None
    meeting_id: int | None = None
    when_revision: int = 0
    language: str | None = None
    reminder_slots: tuple[int, ...] = ()
    advanced: bool = False
    thread: str | None = None
    reading: str | None = None
    invitation_language: str | None = None
    language_picked: bool = False
    email_only: bool = False
    seal: str | None = None

    def encode(self) -> str:
        """The private_metadata text; short by construction."""
        meta: dict[str, Any] = {
            "k": safe_key(self.key),
            "tz": _bounded(self.timezone, MAX_ZONE) or "UTC",
        }
        if self.channel and slack_id_ok("channel", self.channel):
            meta["ch"] = self.channel
        if self.meeting_id is not None:
            meta["m"] = self.meeting_id
        if self.when_revision:
            meta["w"] = self.when_revision
        if _bounded(self.language, MAX_LANGUAGE):
            meta["lang"] = self.language
        if self.reminder_slots:
            meta["r"] = list(_slots(self.reminder_slots))
        if self.advanced:
            meta["adv"] = 1
        if self.thread and _TS.fullmatch(self.thread):
            meta["th"] = self.thread
        if _bounded(self.reading, MAX_READING):
            meta["rd"] = self.reading
        if chosen_language(self.invitation_language):
            meta["il"] = self.invitation_language
            if self.language_picked:
                meta["ilp"] = 1
        if self.email_only:
            meta["eo"] = 1
        if self.seal and SEAL.fullmatch(self.seal):
            meta["cs"] = self.seal
        text = json.dumps(meta, separators=(",", ":"))
        assert len(text) <= MAX_METADATA, "private_metadata over Slack's limit"
        return text

    @classmethod
    def decode(cls, raw: str | None) -> FormMetadata:
        """What a view carried; anything missing or malformed takes its default (an empty
        key means an expired form)."""
        meta = _json_object(raw)
        tz, lang, meeting, revision = meta.get("tz"), meta.get("lang"), meta.get("m"), meta.get("w")
        reading = meta.get("rd")
        return cls(
            key=safe_key(meta.get("k")),
            timezone=(_bounded(tz, MAX_ZONE) or "UTC") if isinstance(tz, str) else "UTC",
            channel=meta["ch"] if slack_id_ok("channel", meta.get("ch")) else None,
            meeting_id=meeting
            if isinstance(meeting, int) and 0 < meeting < MAX_MEETING_ID
            else None,
            when_revision=revision if isinstance(revision, int) else 0,
            language=_bounded(lang, MAX_LANGUAGE) if isinstance(lang, str) else None,
            reminder_slots=_slots(meta.get("r")),
            advanced=meta.get("adv") == 1,
            thread=meta["th"]
            if isinstance(meta.get("th"), str) and _TS.fullmatch(meta["th"])
            else None,
            reading=_bounded(reading, MAX_READING) if isinstance(reading, str) else None,
            invitation_language=chosen_language(il)
            if isinstance(il := meta.get("il"), str)
            else None,
            language_picked=meta.get("ilp") == 1,
            email_only=meta.get("eo") == 1,
            seal=seal if isinstance(seal := meta.get("cs"), str) and SEAL.fullmatch(seal) else None,
        )


def safe_key(value: object) -> str:
    """The idempotency key we wrote (hex); anything else is treated as an expired form."""
    text = str(value or "")
    return (
        text
        if 0 < len(text) <= MAX_KEY and text.isascii() and text.replace("-", "").isalnum()
        else ""
    )


def _slots(raw: object) -> tuple[int, ...]:
    """Reminder line numbers: small distinct integers, at most MAX_REMINDERS of them."""
    if not isinstance(raw, list | tuple):
        return ()
    slots = [n for n in raw if isinstance(n, int) and not isinstance(n, bool) and 0 <= n < MAX_SLOT]
    return tuple(dict.fromkeys(slots))[:MAX_REMINDERS]


def _bounded(value: str | None, limit: int) -> str | None:
    return value if value and len(value) <= limit else None


def _json_object(raw: str | None) -> dict[str, Any]:
    try:
        meta = json.loads(raw or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}
