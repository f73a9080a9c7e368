"""Job handlers that deliver what a saved meeting promised: invitations, reminder
emails and @-mention DMs.

Each handler re-reads the meeting, so a job queued before an edit or a cancellation
acts on the meeting as it is now (or does nothing), and each checks whether its effect
already happened, so a job that runs twice after a crash does not mail twice.

Every mail is in its recipient's language: a Slack teammate's by their Slack locale;
a contact's as the form chose it (`Meeting.invitation_language`), else their record's
language, else the host's (handlers.invitation_language); `_recipient_language` is the
one place that decides.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from datetime import datetime
from typing import Any, cast

from handlers.domain import Record, UserProfile
from handlers.i18n import DEFAULT_LANGUAGE, language_for, translator
from handlers.invitation_language import contact_language
from handlers.invitations import Invitation, Mailer, MailError, Person, ReminderEmail
from handlers.jobs import ClaimedJob, JobKind, JobQueue
from handlers.meetings import OUTCOME_SCHEDULED, Attendee, Meeting
from handlers.outcomes import next_working_morning
from handlers.ports import Clock, MeetingRepository, Notifier, PeopleDirectory, RecordRepository
from handlers.worker import Dropped, GiveUp, RetryLater
from handlers.workspace import WorkspaceRepository

log = logging.getLogger(__name__)

# Why a reminder was not sent, kept on its job: a reminder after the start would be false.
_TOO_LATE = "dropped: the meeting had already started when the reminder could go out"


class Deliveries:
    def __init__(
        self,
        meetings: MeetingRepository,
        records: RecordRepository,
        people: PeopleDirectory,
        queue: JobQueue,
        clock: Clock,
        *,
        mailer: Mailer | None,
        notifier: Notifier | None,
        mail_from: str | None = None,
        workspaces: WorkspaceRepository | None = None,
    ) -> None:
        self._meetings = meetings
        self._records = records
        self._people = people
        self._queue = queue
        self._clock = clock
        self._mailer = mailer
        self._notifier = notifier
        self._mail_from = mail_from
        self._workspaces = workspaces
        # What `batch` read for the claimed batch being run (None between batches).
        self._memo: dict[tuple[Any, ...], object] | None = None

    # ------------------------------------------------------------------ helpers

    def _meeting(self, job: ClaimedJob, *, batched: bool = False) -> Meeting | None:
        """The job's meeting as it is now; `batched`: as `batch` read it for the batch
        (for handlers that only read it, so no write of this batch can make it stale)."""
        meeting_id = int(job.payload["meeting_id"])
        key = ("meeting", job.team_id, meeting_id)
        if batched and self._memo is not None and key in self._memo:
            return cast(Meeting | None, self._memo[key])
        return self._meetings.get(job.team_id, meeting_id)

    def _record(self, team_id: str, record_id: int) -> Record | None:
        key = ("record", team_id, record_id)
        if self._memo is not None and key in self._memo:
            return cast(Record | None, self._memo[key])
        return self._records.get(team_id, record_id)

    def _user(self, team_id: str, user_id: str) -> UserProfile | None:
        key = ("user", team_id, user_id)
        if self._memo is not None and key in self._memo:
            return cast(UserProfile | None, self._memo[key])
        profile = self._people.user(team_id, user_id)
        if self._memo is not None:
            self._memo[key] = profile
        return profile

    def _read_ahead(
        self, memo: dict[tuple[Any, ...], object], team_id: str, meeting_ids: set[int]
    ) -> None:
        meetings = self._meetings.get_many(team_id, sorted(meeting_ids))
        memo.update({("meeting", team_id, m): meetings.get(m) for m in meeting_ids})
        record_ids = {
            a.record_id
            for meeting in meetings.values()
            for a in meeting.attendees
            if a.record_id is not None
        }
        records = self._records.get_many(team_id, sorted(record_ids))
        memo.update({("record", team_id, r): records.get(r) for r in record_ids})

    @contextmanager
    def batch(self, jobs: Sequence[ClaimedJob]) -> Iterator[None]:
        """One claimed batch (Worker's batch scope): the reminder mails' meetings and
        their attendees' records read in one go, hosts and workspace settings once per
        batch, and one mail server connection for every mail. The worker runs one batch
        at a time."""
        memo: dict[tuple[Any, ...], object] = {}
        wanted: dict[str, set[int]] = defaultdict(set)
        for job in jobs:
            meeting_id = job.payload.get("meeting_id")
            if job.kind == JobKind.REMINDER_MAIL and job.team_id and isinstance(meeting_id, int):
                wanted[job.team_id].add(meeting_id)
        try:
            for team_id, meeting_ids in wanted.items():
                self._read_ahead(memo, team_id, meeting_ids)
        except Exception:  # e.g. the database restarting: each job reads (and fails) alone
            log.warning("reading a batch of reminder jobs ahead failed", exc_info=True)
            memo = {}
        self._memo = memo
        try:
            with self._mailer.session() if self._mailer and wanted else nullcontext():
                yield
        finally:
            self._memo = None

    def _organizer(self, meeting: Meeting) -> Person:
        host = self._user(meeting.team_id, meeting.host_id)
        email = (host.email if host else None) or self._mail_from
        if not email:
            raise GiveUp("the host has no email address and MAIL_FROM is not set")
        return Person(email=email, name=(host.name if host else "") or "")

    def _recipient_zone(self, team_id: str, attendee: Attendee | None) -> str | None:
        if attendee is None:
            return None
        if attendee.timezone:
            return attendee.timezone
        if attendee.record_id is not None:
            record = self._record(team_id, attendee.record_id)
            return record.timezone if record else None
        return None

    def _default_language(self, team_id: str) -> str:
        if self._workspaces is None:
            return DEFAULT_LANGUAGE
        key = ("workspace", team_id)
        if self._memo is not None and key in self._memo:
            return str(self._memo[key])
        language = language_for(self._workspaces.get(team_id).default_language)
        if self._memo is not None:
            self._memo[key] = language
        return language

    def _user_language(self, team_id: str, user_id: str | None) -> str:
        """A teammate's Slack language, else the workspace default."""
        default = self._default_language(team_id)
        profile = self._user(team_id, user_id) if user_id else None
        return language_for(profile.locale, default) if profile else default

    def _recipient_language(self, meeting: Meeting, attendee: Attendee | None, email: str) -> str:
        """Teammates (the host included) by their Slack locale; everyone else, contacts
        and people removed by an edit, in the meeting's invitation language."""
        if attendee is not None and attendee.slack_user_id:
            return self._user_language(meeting.team_id, attendee.slack_user_id)
        if attendee is None and self._is_host(meeting, email):
            return self._user_language(meeting.team_id, meeting.host_id)
        if meeting.invitation_language:
            return language_for(meeting.invitation_language)
        record = (
            self._record(meeting.team_id, attendee.record_id)
            if attendee is not None and attendee.record_id is not None
            else None
        )
        return contact_language(record, self._user_language(meeting.team_id, meeting.host_id))

    def _is_host(self, meeting: Meeting, email: str) -> bool:
        """The host's own copy (invitation_recipients adds the host's address)."""
        host = self._user(meeting.team_id, meeting.host_id)
        return host is not None and (host.email or "").lower() == email.lower()

    def _mailer_or_give_up(self) -> Mailer:
        if self._mailer is None:
            raise GiveUp("no mail server is configured (set SMTP_URL and MAIL_FROM)")
        return self._mailer

    @staticmethod
    def _mail_failed(exc: MailError) -> Exception:
        """The failure as stored in `jobs.last_error` and told to the organizer: the SMTP
        status only. The server's reply quotes the recipient, and the job's payload
        already says who it was for."""
        if exc.transient:
            status = f"SMTP {exc.smtp_code}" if exc.smtp_code else "mail server unreachable"
            return RetryLater(f"the mail could not be sent for now ({status})")
        status = f"SMTP {exc.smtp_code}" if exc.smtp_code else "unusable address or mail set-up"
        return GiveUp(f"the mail was refused ({status})")

    # ------------------------------------------------------------------ invitations

    def invitation_for(
        self, meeting: Meeting, method: str = "REQUEST", language: str = DEFAULT_LANGUAGE
    ) -> Invitation:
        return Invitation(
            uid=meeting.uid,
            sequence=meeting.sequence,
            method="CANCEL" if method == "CANCEL" else "REQUEST",
            title=meeting.title,
            start_utc=meeting.start_utc,
            end_utc=meeting.end_utc,
            organizer=self._organizer(meeting),
            attendees=tuple(Person(a.email, a.name) for a in meeting.attendees if a.email),
            description=meeting.description,
            location=meeting.location.display(meeting.join_url, translator(language)),
            join_url=meeting.join_url,
            timezone=meeting.timezone,
            language=language,
        )

    def send_invitation(self, job: ClaimedJob) -> None:
        meeting = self._meeting(job)
        if meeting is None:
            return
        sequence = int(job.payload.get("sequence", 0))
        method = str(job.payload.get("method", "REQUEST"))
        if meeting.sequence != sequence or (meeting.status == "cancelled" and method != "CANCEL"):
            return  # a newer version of the meeting has its own invitation jobs
        email = str(job.payload["email"])
        attendee = next((a for a in meeting.attendees if (a.email or "").lower() == email), None)
        if (
            attendee is not None
            and attendee.invited_sequence is not None
            and attendee.invited_sequence >= sequence
            and method == "REQUEST"
        ):
            return  # already delivered at this version
        mailer = self._mailer_or_give_up()
        language = self._recipient_language(meeting, attendee, email)
        invitation = replace(
            self.invitation_for(meeting, method, language),
            recipient_timezone=self._recipient_zone(meeting.team_id, attendee),
        )
        if attendee is None and self._is_host(meeting, email):
            invitation = replace(invitation, for_organizer=True)
        elif method == "CANCEL" and attendee is None:
            # Removed from the meeting by an edit: the cancellation names them alone.
            invitation = replace(invitation, attendees=(Person(email, ""),))
        try:
            mailer.send_invitation(invitation, Person(email, attendee.name if attendee else ""))
        except MailError as exc:
            raise self._mail_failed(exc) from exc
        self._meetings.mark_invited(meeting.team_id, meeting.id, email, sequence)

    # ------------------------------------------------------------------ reminders

    def send_reminder(self, job: ClaimedJob) -> None:
        """Fan out one reminder into one mail job per attendee, each retried on its own."""
        meeting = self._meeting(job)
        if meeting is None or meeting.status == "cancelled":
            return
        offset = int(job.payload["offset_minutes"])
        if not any(r.offset_minutes == offset for r in meeting.reminders):
            return  # the reminder was removed by an edit
        start_key = int(meeting.start_utc.timestamp())
        now = self._clock.now()
        if now >= meeting.start_utc:
            self._meetings.set_reminder_status(meeting.team_id, meeting.id, offset, "dropped")
            raise Dropped(_TOO_LATE)
        for attendee in meeting.attendees:
            if not attendee.email or attendee.response == "declined":
                continue
            self._queue.enqueue(
                JobKind.REMINDER_MAIL,
                {
                    "meeting_id": meeting.id,
                    "email": attendee.email,
                    "offset_minutes": offset,
                    "start": start_key,
                },
                now,
                dedupe_key=f"remind-mail:{meeting.id}:{start_key}:{offset}:{attendee.email}",
            )
        self._meetings.set_reminder_status(meeting.team_id, meeting.id, offset, "sent")

    def send_reminder_email(self, job: ClaimedJob) -> None:
        meeting = self._meeting(job, batched=True)
        if meeting is None or meeting.status == "cancelled":
            return
        if int(job.payload.get("start", 0)) != int(meeting.start_utc.timestamp()):
            return  # the meeting moved; its reminders were re-queued for the new time
        email = str(job.payload["email"])
        attendee = next(
            (a for a in meeting.attendees if (a.email or "").lower() == email.lower()), None
        )
        if attendee is None:
            return  # removed from the meeting since
        now = self._clock.now()
        if now >= meeting.start_utc:  # queued in time, but retried or run late
            raise Dropped(_TOO_LATE)
        mailer = self._mailer_or_give_up()
        language = self._recipient_language(meeting, attendee, email)
        reminder = ReminderEmail(
            title=meeting.title,
            start_utc=meeting.start_utc,
            end_utc=meeting.end_utc,
            organizer=self._organizer(meeting),
            location=meeting.location.display(meeting.join_url, translator(language)),
            join_url=meeting.join_url,
            description=meeting.description if meeting.include_description_in_reminders else None,
            timezone=meeting.timezone,
            recipient_timezone=self._recipient_zone(meeting.team_id, attendee),
            language=language,
            sent_at=now,
        )
        try:
            mailer.send_reminder(reminder, Person(email, attendee.name))
        except MailError as exc:
            raise self._mail_failed(exc) from exc

    # ------------------------------------------------------------------ mentions

    def mention_dm(self, job: ClaimedJob) -> None:
        meeting = self._meeting(job)
        if meeting is None or self._notifier is None:
            return
        user_id = str(job.payload["user_id"])
        if self._user(meeting.team_id, user_id) is None:
            return  # not in this workspace, or deactivated: ignored, as promised
        record = (
            self._record(meeting.team_id, meeting.record_id)
            if meeting.record_id is not None
            else None
        )
        self._notifier.mention(meeting, user_id, record)

    def report_failure(self, job: ClaimedJob, error: str, now: datetime | None = None) -> None:
        """Tell the organizer what could not be delivered, in Slack."""
        if self._notifier is None or "meeting_id" not in job.payload:
            return
        meeting = self._meetings.get(job.team_id, int(job.payload["meeting_id"]))
        if meeting is None:
            return
        t = translator(self._user_language(meeting.team_id, meeting.organizer_id))
        target = job.payload.get("email")
        values = {"email": target, "title": meeting.title, "error": error}
        if job.kind == JobKind.INVITE and target:
            text = t.gettext(
                "The invitation to {email} for “{title}” could not be delivered: {error}", **values
            )
        elif job.kind == JobKind.REMINDER_MAIL and target:
            text = t.gettext(
                "A reminder email to {email} for “{title}” could not be delivered: {error}",
                **values,
            )
        elif job.kind == JobKind.CALENDAR_CREATE:
            # The calendar job's own final-failure hook queues the email invitations.
            text = t.gettext(
                "“{title}” could not be added to the host's calendar: {error}. The meeting is kept "
                "in Meetline and the attendees are invited by email instead.",
                **values,
            )
        elif job.kind == JobKind.CALENDAR_UPDATE:
            text = t.gettext(
                "The calendar event for “{title}” could not be updated: {error}", **values
            )
        elif job.kind == JobKind.CALENDAR_CANCEL:
            text = t.gettext(
                "The calendar event for “{title}” could not be cancelled: {error}. "
                "Delete it in the calendar by hand.",
                **values,
            )
        else:
            text = t.gettext("A delivery for “{title}” could not be completed: {error}", **values)
        self._notifier.notify_user(meeting.team_id, meeting.organizer_id, text)

    # ------------------------------------------------------------------ outcome prompt

    def outcome_prompt(self, job: ClaimedJob) -> None:
        """After the end, ask the host how it went, unless that is already known."""
        meeting = self._meeting(job)
        if meeting is None or meeting.status == "cancelled" or meeting.outcome != "SCHEDULED":
            return
        if int(job.payload.get("end", int(meeting.end_utc.timestamp()))) != int(
            meeting.end_utc.timestamp()
        ):
            return  # the meeting moved; the prompt was re-queued for the new end
        if self._notifier is None:
            raise GiveUp("Slack is not configured for background messages")
        self._notifier.outcome_prompt(meeting)
        when = next_working_morning(
            self._clock.now(), self._zone_of(meeting.team_id, meeting.host_id)
        )
        self._queue.enqueue(
            JobKind.OUTCOME_NUDGE,
            {"meeting_id": meeting.id},
            when,
            dedupe_key=f"nudge:{meeting.id}:{int(meeting.end_utc.timestamp())}",
        )

    def _zone_of(self, team_id: str, user_id: str) -> str:
        profile = self._user(team_id, user_id)
        return profile.timezone if profile else "UTC"

    def outcome_nudge(self, job: ClaimedJob) -> None:
        """One nudge the next working morning; after that the daily digest takes over."""
        meeting = self._meeting(job)
        if meeting is None or meeting.status == "cancelled" or meeting.outcome != OUTCOME_SCHEDULED:
            return
        if self._notifier is None:
            raise GiveUp("Slack is not configured for background messages")
        self._notifier.outcome_prompt(meeting, nudge=True)
        self._queue_digest(meeting.team_id, meeting.host_id)

    def _queue_digest(self, team_id: str, user_id: str) -> None:
        when = next_working_morning(self._clock.now(), self._zone_of(team_id, user_id))
        self._queue.enqueue(
            JobKind.OUTCOME_DIGEST,
            {"team_id": team_id, "user_id": user_id},
            when,
            dedupe_key=f"digest:{team_id}:{user_id}:{when.date().isoformat()}",
        )

    def outcome_digest(self, job: ClaimedJob) -> None:
        """Every working morning, the meetings still missing an outcome, until none are."""
        team_id, user_id = str(job.payload["team_id"]), str(job.payload["user_id"])
        waiting = self._meetings.awaiting_outcome(team_id, user_id, self._clock.now(), limit=20)
        if not waiting or self._notifier is None:
            return
        self._notifier.outcome_digest(team_id, user_id, waiting)
        self._queue_digest(team_id, user_id)
