"""Use cases: put a booked meeting into the host's calendar, keep it in step with edits
and cancellations, and make the video link (Zoom) the invitations carry.

These run as jobs (`calendar_create`, `calendar_update`, `calendar_cancel`) because a
calendar or Zoom can be slow, throttled or down, and the Slack request that booked the
meeting must not wait for them. What the rules here guarantee:

- **Nothing lost.** A revoked token or a provider that stays down never drops the
  attendees: they get Meetline's own email invitation instead, and the host is told.
- **Nothing doubled.** Calendar creates are idempotent on the meeting UID (adapters), the
  Zoom meeting id is stored before the calendar call so a retry updates rather than
  creates, and Meetline mails its own .ics only where the provider does not invite
  (CalDAV, or no calendar at all).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from handlers.calendars import (
    CalendarAuthError,
    CalendarError,
    CalendarEvent,
    CalendarNotFoundError,
    CalendarPort,
    ConferencingError,
    ConferencingPort,
    Guest,
    VideoKind,
)
from handlers.domain import UserProfile
from handlers.i18n import language_for, translator
from handlers.jobs import ClaimedJob, JobKind, JobQueue
from handlers.meetings import LocationKind, Meeting
from handlers.ports import CalendarDirectory, Clock, MeetingRepository, PeopleDirectory
from handlers.rules import valid_email
from handlers.scheduling import invitation_jobs, invitation_recipients
from handlers.worker import GiveUp, RetryLater

log = logging.getLogger(__name__)

ZOOM = "zoom"
PROVIDER_NAMES = {
    "google": "Google Calendar",
    "microsoft": "Microsoft 365",
    "caldav": "CalDAV calendar",
    ZOOM: "Zoom",
}
_ZOOM_ID = re.compile(r"^https://(?:[\w-]+\.)*zoom\.us/(?:j|w|my)/(\d{9,12})\b")


# --------------------------------------------------------------------------- ports


@dataclass(frozen=True)
class CalendarAccount:
    """A user's calendar connection as background work needs it."""

    id: int
    team_id: str
    user_id: str
    provider: str  # "google" | "microsoft" | "caldav"
    email: str | None
    active: bool
    sync_enabled: bool = True
    sync_state: dict[str, Any] | None = None


class CalendarAccounts(CalendarDirectory, Protocol):
    """Connected calendars: which one a user has, the adapter for it, and its upkeep."""

    def account(self, team_id: str, user_id: str) -> CalendarAccount | None:
        """The user's calendar connection, active or revoked; None when they have none
        (or chose email-only invitations)."""
        ...

    def account_by_id(self, account_id: int) -> CalendarAccount | None: ...

    def calendar(self, account: CalendarAccount, *, interactive: bool = False) -> CalendarPort:
        """The adapter for the account. `interactive` trades retries for a short timeout
        (a person is waiting). Raises `CalendarAuthError` when the stored credentials
        cannot be used at all."""
        ...

    def mark_revoked(self, account_id: int) -> bool:
        """Stop using the connection until the user reconnects; True if it was active."""
        ...

    def save_sync_state(self, account_id: int, state: dict[str, Any] | None) -> None: ...

    def syncable(self) -> list[CalendarAccount]:
        """Active connections with two-way sync enabled."""
        ...


class CalendarNotifier(Protocol):
    def notify_user(self, team_id: str, user_id: str, text: str) -> None: ...

    def calendar_disconnected(self, team_id: str, user_id: str, provider: str) -> None:
        """Tell the user their calendar stopped working and offer to reconnect."""
        ...


# --------------------------------------------------------------------------- helpers


def zoom_meeting_id(meeting: Meeting) -> str | None:
    """The Zoom meeting behind the meeting's link, if it has one.

    A Zoom-only meeting stores the Zoom id as its calendar event; with a calendar, the
    event id is the calendar's and the Zoom id is read back from the join URL, which
    always carries it (https://<host>.zoom.us/j/<id>?pwd=…).
    """
    if meeting.calendar_provider == ZOOM and meeting.calendar_event_id:
        return meeting.calendar_event_id
    match = _ZOOM_ID.match(meeting.join_url or "")
    return match.group(1) if match else None


def wants_zoom(meeting: Meeting) -> bool:
    return meeting.location.kind is LocationKind.VIDEO and meeting.location.provider == ZOOM


def calendar_video(meeting: Meeting, provider: str) -> VideoKind | None:
    """Meet and Teams links are made by the calendar itself, each only by its own."""
    if meeting.location.kind is not LocationKind.VIDEO:
        return None
    if meeting.location.provider == "google_meet" and provider == "google":
        return "google_meet"
    if meeting.location.provider == "teams" and provider == "microsoft":
        return "teams"
    return None


def calendar_event(
    meeting: Meeting, organizer: tuple[str, str], provider: str, join_url: str | None
) -> CalendarEvent:
    """The meeting as the host's calendar should show it."""
    organizer_email, organizer_name = organizer
    guests = []
    seen = {organizer_email.lower()}
    for attendee in meeting.attendees:
        email = (attendee.email or "").strip()
        if email and valid_email(email) and email.lower() not in seen:
            seen.add(email.lower())
            guests.append(Guest(email, attendee.name))
    video = calendar_video(meeting, provider)
    if meeting.location.kind is LocationKind.VIDEO:
        location = "" if video is not None else (join_url or "")
    else:
        location = meeting.location.display(None)
    return CalendarEvent(
        meeting_id=meeting.id,
        uid=meeting.uid,
        sequence=meeting.sequence,
        title=meeting.title,
        description=meeting.description,
        start_utc=meeting.start_utc,
        end_utc=meeting.end_utc,
        timezone=meeting.timezone,
        location=location,
        organizer_email=organizer_email,
        organizer_name=organizer_name,
        attendees=tuple(guests),
        want_video=video,
        join_url=join_url if video is None else None,
    )


# --------------------------------------------------------------------------- use cases


class CalendarBooking:
    def __init__(
        self,
        meetings: MeetingRepository,
        people: PeopleDirectory,
        queue: JobQueue,
        clock: Clock,
        accounts: CalendarAccounts | None,
        *,
        conferencing: ConferencingPort | None = None,
        notifier: CalendarNotifier | None = None,
        mail_from: str | None = None,
    ) -> None:
        self._meetings = meetings
        self._people = people
        self._queue = queue
        self._clock = clock
        self._accounts = accounts
        self._conferencing = conferencing
        self._notifier = notifier
        self._mail_from = mail_from

    # ------------------------------------------------------------------ jobs

    def calendar_create(self, job: ClaimedJob) -> None:
        meeting = self._meetings.get(job.team_id, int(job.payload["meeting_id"]))
        if meeting is None or meeting.status == "cancelled":
            return
        host = self._people.user(meeting.team_id, meeting.host_id)
        join_url = meeting.join_url
        if wants_zoom(meeting) and not join_url:
            join_url = self._create_zoom(meeting, host)
        account = self._active_account(meeting)
        if account is None:
            self._invite_by_email(meeting, host, include_host=True)
            self._link_ready(meeting, meeting.join_url, join_url)
            return
        try:
            calendar = self._accounts_or_fail().calendar(account)
            result = calendar.create_event(
                calendar_event(
                    meeting, self._organizer(meeting, host, account), account.provider, join_url
                )
            )
        except CalendarAuthError as exc:
            log.warning("calendar of %s/%s refused: %s", meeting.team_id, meeting.host_id, exc)
            self._disconnected(account)
            self._invite_by_email(meeting, host, include_host=True)
            return
        except CalendarError as exc:
            raise self._calendar_failed(exc, account.provider) from exc
        # Before any invitation job: the invitations carry the link stored here.
        self._meetings.set_calendar_event(
            meeting.team_id,
            meeting.id,
            account.provider,
            result.event_id,
            result.join_url or join_url,
            result.event_url,
        )
        if not result.sends_invitations:
            # The event sits in the host's own calendar already; the attendees need ours.
            self._invite_by_email(meeting, host, include_host=False)
        self._link_ready(meeting, meeting.join_url, result.join_url or join_url)

    def calendar_update(self, job: ClaimedJob) -> None:
        meeting = self._meetings.get(job.team_id, int(job.payload["meeting_id"]))
        if meeting is None or meeting.status == "cancelled" or not meeting.calendar_event_id:
            return
        if int(job.payload.get("sequence", meeting.sequence)) != meeting.sequence:
            return  # a newer edit queued its own update
        host = self._people.user(meeting.team_id, meeting.host_id)
        join_url = self._sync_zoom(meeting, host)
        if meeting.calendar_provider == ZOOM:
            zoom_id = zoom_meeting_id(meeting) if join_url else None
            self._meetings.set_calendar_event(
                meeting.team_id, meeting.id, ZOOM if zoom_id else None, zoom_id, join_url
            )
            return
        account = self._active_account(meeting)
        if account is None or account.provider != meeting.calendar_provider:
            if account is None and self._had_revoked_account(meeting):
                raise GiveUp(
                    "the host's calendar is disconnected; reconnect it and edit the meeting again"
                )
            raise GiveUp("the host's calendar connection changed; the event was left as it was")
        event = calendar_event(
            meeting, self._organizer(meeting, host, account), account.provider, join_url
        )
        try:
            calendar = self._accounts_or_fail().calendar(account)
            try:
                result = calendar.update_event(meeting.calendar_event_id, event)
            except CalendarNotFoundError:
                # Deleted in the calendar while still booked here: put it back.
                result = calendar.create_event(event)
        except CalendarAuthError as exc:
            self._disconnected(account)
            raise GiveUp(
                f"the host's calendar refused the change ({exc}); reconnect it and edit again"
            ) from exc
        except CalendarError as exc:
            raise self._calendar_failed(exc, account.provider) from exc
        self._meetings.set_calendar_event(
            meeting.team_id,
            meeting.id,
            account.provider,
            result.event_id,
            result.join_url or join_url,
            result.event_url,
        )

    def calendar_cancel(self, job: ClaimedJob) -> None:
        meeting = self._meetings.get(job.team_id, int(job.payload["meeting_id"]))
        if meeting is None or not meeting.calendar_event_id:
            return
        zoom_id = zoom_meeting_id(meeting)
        if zoom_id and self._conferencing is not None:
            try:
                self._conferencing.delete_meeting(zoom_id)
            except ConferencingError as exc:
                raise self._zoom_failed(exc) from exc
        if meeting.calendar_provider == ZOOM:
            return
        account = self._active_account(meeting)
        if account is None or account.provider != meeting.calendar_provider:
            raise GiveUp(
                "the host's calendar is no longer connected; delete the event there by hand"
            )
        host = self._people.user(meeting.team_id, meeting.host_id)
        event = calendar_event(
            meeting, self._organizer(meeting, host, account), account.provider, meeting.join_url
        )
        try:
            self._accounts_or_fail().calendar(account).cancel_event(
                meeting.calendar_event_id, event
            )
        except CalendarAuthError as exc:
            self._disconnected(account)
            raise GiveUp(
                f"the host's calendar refused the cancellation ({exc}); delete the event there"
            ) from exc
        except CalendarError as exc:
            raise self._calendar_failed(exc, account.provider) from exc

    def on_final_failure(self, job: ClaimedJob, error: str) -> None:
        """A calendar that stays down must not cost the attendees their invitation."""
        if job.kind != JobKind.CALENDAR_CREATE or "meeting_id" not in job.payload:
            return
        meeting = self._meetings.get(job.team_id, int(job.payload["meeting_id"]))
        if meeting is None or meeting.status == "cancelled":
            return
        if meeting.calendar_provider in ("google", "microsoft") and meeting.calendar_event_id:
            return  # the event exists and its provider invited the attendees
        host = self._people.user(meeting.team_id, meeting.host_id)
        self._invite_by_email(meeting, host, include_host=meeting.calendar_provider != "caldav")

    # ------------------------------------------------------------------ details

    def _accounts_or_fail(self) -> CalendarAccounts:
        if self._accounts is None:
            raise GiveUp("calendars are not configured (set SECRET_KEY)")
        return self._accounts

    def _active_account(self, meeting: Meeting) -> CalendarAccount | None:
        if self._accounts is None:
            return None
        account = self._accounts.account(meeting.team_id, meeting.host_id)
        return account if account is not None and account.active else None

    def _had_revoked_account(self, meeting: Meeting) -> bool:
        account = (
            self._accounts.account(meeting.team_id, meeting.host_id) if self._accounts else None
        )
        return account is not None and not account.active

    def _organizer(
        self, meeting: Meeting, host: UserProfile | None, account: CalendarAccount | None
    ) -> tuple[str, str]:
        """The host as organizer: the calendar's own address first (replies go there)."""
        name = host.name if host else ""
        for email in (
            account.email if account else None,
            host.email if host else None,
            self._mail_from,
        ):
            if email and valid_email(email):
                return email, name
        raise GiveUp("the host has no email address and MAIL_FROM is not set")

    def _invite_by_email(
        self, meeting: Meeting, host: UserProfile | None, *, include_host: bool
    ) -> None:
        emails = invitation_recipients(meeting.attendees, host if include_host else None)
        for spec in invitation_jobs(meeting.id, emails, self._clock.now(), meeting.sequence):
            self._queue.enqueue(spec.kind, spec.payload, spec.run_at, dedupe_key=spec.dedupe_key)

    def _link_ready(self, meeting: Meeting, before: str | None, after: str | None) -> None:
        """The confirmation went out before the video link existed: send the link now."""
        if not after or after == before or self._notifier is None:
            return
        host = self._people.user(meeting.team_id, meeting.host_id)
        t = translator(
            language_for(host.locale if host else None)
        )  # the host reads their Slack language
        name = {"google_meet": "Google Meet", "teams": "Microsoft Teams", ZOOM: "Zoom"}.get(
            meeting.location.provider or ""
        ) or t.gettext("Video call")
        try:
            self._notifier.notify_user(
                meeting.team_id,
                meeting.host_id,
                t.gettext(
                    "{provider} link for “{title}”: {url}",
                    provider=name,
                    title=meeting.title,
                    url=after,
                ),
            )
        except RetryLater:
            log.warning("link DM to %s could not be sent now", meeting.host_id)

    def _disconnected(self, account: CalendarAccount) -> None:
        if (
            self._accounts is not None
            and self._accounts.mark_revoked(account.id)
            and self._notifier
        ):
            try:
                self._notifier.calendar_disconnected(
                    account.team_id, account.user_id, account.provider
                )
            except RetryLater:
                log.warning("reconnect DM to %s could not be sent now", account.user_id)

    def _create_zoom(self, meeting: Meeting, host: UserProfile | None) -> str:
        if self._conferencing is None:
            raise GiveUp(
                "Zoom is not configured (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)"
            )
        if host is None or not host.email:
            raise GiveUp("the host has no email address, so no Zoom meeting can be made for them")
        try:
            link = self._conferencing.create_meeting(
                meeting.title,
                meeting.start_utc,
                self._minutes(meeting),
                host.email,
                meeting.timezone,
            )
        except ConferencingError as exc:
            raise self._zoom_failed(exc) from exc
        # Stored at once: Zoom has no idempotency key, so a retry must find this link. A
        # meeting already in a calendar keeps that event id (the Zoom id is in the URL).
        if meeting.calendar_event_id and meeting.calendar_provider not in (None, ZOOM):
            self._meetings.set_calendar_event(
                meeting.team_id,
                meeting.id,
                meeting.calendar_provider,
                meeting.calendar_event_id,
                link.join_url,
            )
        else:
            self._meetings.set_calendar_event(
                meeting.team_id, meeting.id, ZOOM, link.meeting_id, link.join_url
            )
        return link.join_url

    def _sync_zoom(self, meeting: Meeting, host: UserProfile | None) -> str | None:
        """Bring the Zoom meeting in line with an edit; the join URL the event should carry."""
        zoom_id = zoom_meeting_id(meeting)
        if self._conferencing is None:
            return meeting.join_url
        try:
            if wants_zoom(meeting) and zoom_id:
                self._conferencing.update_meeting(
                    zoom_id,
                    meeting.title,
                    meeting.start_utc,
                    self._minutes(meeting),
                    meeting.timezone,
                )
                return meeting.join_url
            if wants_zoom(meeting):
                return self._create_zoom(meeting, host)
            if zoom_id:  # the edit moved the meeting off Zoom
                self._conferencing.delete_meeting(zoom_id)
                return None
        except ConferencingError as exc:
            raise self._zoom_failed(exc) from exc
        return meeting.join_url

    @staticmethod
    def _minutes(meeting: Meeting) -> int:
        return meeting.duration_minutes or max(
            1, int((meeting.end_utc - meeting.start_utc).total_seconds() // 60)
        )

    @staticmethod
    def _calendar_failed(exc: CalendarError, provider: str) -> Exception:
        name = PROVIDER_NAMES.get(provider, provider)
        if exc.transient:
            return RetryLater(f"{name} is unavailable for now: {exc}")
        return GiveUp(f"{name} refused the event: {exc}")

    @staticmethod
    def _zoom_failed(exc: ConferencingError) -> Exception:
        if exc.transient:
            return RetryLater(f"Zoom is unavailable for now: {exc}")
        return GiveUp(f"Zoom refused the meeting: {exc}")
