"""The composition root: the one place that builds settings, engine, repositories,
adapters, use cases and the Bolt app, for `meetline serve`, `socket`, `worker` and the
other commands.

Everything below `bot/` receives what it needs from here (a `Services` record typed by
ports), so nothing else constructs an adapter or a repository, and no module has to
import another lazily to dodge a cycle: this module imports everything and nothing
imports it but the command line (and tests).
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from adapters.calendar_factory import CalendarConfig, ConnectedCalendars
from adapters.hubspot import (
    HubSpotClient,
    HubSpotMeetingLog,
    HubSpotRecordSource,
    record_url,
)
from adapters.outbound import OutboundPolicy
from adapters.smtp_mail import SmtpMailer
from bot.after_ack import AFTER_ACK_THREADS, AfterAck
from bot.app import build_app
from bot.availability import FreeBusyCheck
from bot.calendar_oauth import CalendarOAuth, home_section
from bot.form_seal import FormSeal
from bot.i18n_context import language_lookup
from bot.listeners.manage import publish_home
from bot.notifier import SlackNotifier
from bot.profiles import ProfileService, TeamPeople
from bot.services import Services
from bot.settings import Settings
from bot.slack_clients import client_for_team
from bot.views.calendar_views import connected_text, pending_blocks, pending_text
from bot.web import WebApp
from bot.worker import SyncingWorker, start_in_background
from handlers.calendar_booking import CalendarBooking
from handlers.calendar_sync import CalendarSync
from handlers.change_settings import ChangeSettings
from handlers.clock import SystemClock
from handlers.connect_calendar import AnswerPendingConnection, ConnectCalDav
from handlers.connect_crm import ConnectCrm, CrmAccount, TokenCheck
from handlers.crm import CrmOwner
from handlers.crm_log import LogMeetings
from handlers.crm_sync import CrmSyncQueue, SyncRecords
from handlers.deliveries import Deliveries
from handlers.domain import Record
from handlers.editing import ManageMeeting
from handlers.i18n import translator
from handlers.invitations import Mailer
from handlers.jobs import ClaimedJob, JobKind
from handlers.next_meeting import NextMeeting
from handlers.outcomes import RecordOutcome
from handlers.ports import Clock, MeetingLog, PendingConnection, RecordSource
from handlers.reports import MeetingReport
from handlers.save_meeting import SaveMeeting
from handlers.scheduling import ScheduleMeeting
from handlers.seats import ChangeSeat
from handlers.worker import Worker
from storage.calendar_connections import SqlCalendarConnections
from storage.crm_connections import SqlCrmConnections, SqlCrmLogIds
from storage.crypto import SecretBox
from storage.db import make_engine, make_session_factory, normalize_url
from storage.jobs import SqlJobQueue
from storage.meetings import SqlMeetingRepository
from storage.outcome_messages import SqlOutcomeMessages
from storage.read_cache import ReadCaches
from storage.records import SqlRecordRepository
from storage.reports import SqlReportSource
from storage.unit_of_work import SqlUnitOfWorkFactory
from storage.users import SqlUserRepository
from storage.workspaces import SqlWorkspaceRepository


def build_mailer(settings: Settings) -> Mailer | None:
    """None when no mail server is configured: invitations then wait in the queue."""
    if not settings.SMTP_URL:
        return None
    return SmtpMailer(settings.SMTP_URL, settings.MAIL_FROM or "meetline@localhost")


def calendar_config(settings: Settings) -> CalendarConfig:
    return CalendarConfig(
        google_client_id=settings.GOOGLE_CLIENT_ID,
        google_client_secret=settings.GOOGLE_CLIENT_SECRET,
        google_api_url=settings.GOOGLE_API_URL,
        ms_client_id=settings.MS_CLIENT_ID,
        ms_client_secret=settings.MS_CLIENT_SECRET,
        ms_tenant_id=settings.MS_TENANT_ID or "common",
        ms_authority_url=settings.MS_AUTHORITY_URL,
        graph_api_url=settings.GRAPH_API_URL,
        zoom_account_id=settings.ZOOM_ACCOUNT_ID,
        zoom_client_id=settings.ZOOM_CLIENT_ID,
        zoom_client_secret=settings.ZOOM_CLIENT_SECRET,
        zoom_api_url=settings.ZOOM_API_URL,
        outbound=OutboundPolicy(allow_hosts=settings.caldav_allow_hosts),
    )


HTTP_THREADS = 16
"""`serve`'s HTTP threads by default. They only answer Slack (what follows an answer has
its own pools, bot.after_ack), so more of them only take turns at the GIL: with 32, a
burst of Saves cost 9% more CPU than with 16 at the same latency (make bench, three
interleaved runs each)."""


def pool_options(settings: Settings, threads: int) -> dict[str, int]:
    """Database connections for `threads` HTTP threads plus the after-ack pools, the
    free/busy pool and the worker: each may hold one at a time (PostgreSQL; SQLite
    serialises writers anyway and keeps SQLAlchemy's defaults)."""
    if not normalize_url(settings.DATABASE_URL).startswith("postgresql"):
        return {}
    return {"pool_size": threads + AFTER_ACK_THREADS + 6, "max_overflow": 10}


def build_services(
    settings: Settings,
    clock: Clock | None = None,
    calendar_seams: CalendarConfig | None = None,
    *,
    threads: int = HTTP_THREADS,
) -> Services:
    """Raises ValueError for a malformed setting the adapters check (SMTP_URL, MAIL_FROM).

    `calendar_seams` replaces the calendar configuration made from `settings` (tests: a
    retry policy without sleeping, msal's transport to a fake). `threads`: the HTTP
    server's, to size the database pool."""
    engine = make_engine(settings.DATABASE_URL, **pool_options(settings, threads))
    sessions = make_session_factory(engine)
    clock = clock or SystemClock()
    caches = ReadCaches.of(settings.cache_seconds)
    connections = SqlCalendarConnections(
        sessions,
        SecretBox(settings.SECRET_KEY) if settings.SECRET_KEY else None,
        caches.connections,
    )
    calendars = ConnectedCalendars(connections, calendar_seams or calendar_config(settings))
    users = SqlUserRepository(sessions, caches.users)
    records = SqlRecordRepository(sessions)
    meetings = SqlMeetingRepository(sessions)
    workspaces = SqlWorkspaceRepository(sessions, caches.workspaces)
    slack_clients = client_for_team(settings, engine)
    profiles = ProfileService(users, clock, settings.admin_ids)
    people = TeamPeople(profiles, users, slack_clients)
    uow = SqlUnitOfWorkFactory(sessions, caches)
    crm = SqlCrmConnections(
        sessions, SecretBox(settings.SECRET_KEY) if settings.SECRET_KEY else None
    )
    schedule = ScheduleMeeting(uow, people, clock, calendars=calendars, crm_log=crm.is_connected)
    manage = ManageMeeting(uow, people, clock, calendars=calendars, crm_log=crm.is_connected)
    free_busy = FreeBusyCheck(calendars, users, workspaces, clock)
    jobs = SqlJobQueue(sessions, engine.dialect.name)
    record_outcome = RecordOutcome(uow, clock, crm_log=crm.is_connected)
    crm_sync = CrmSyncQueue(jobs, crm, clock)
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        clock=clock,
        uow=uow,
        records=records,
        users=users,
        meetings=meetings,
        jobs=jobs,
        workspaces=workspaces,
        calendars=calendars,
        connections=connections,
        conferencing=calendars.conferencing(),
        signin=calendars,
        mailer=build_mailer(settings),
        home_sections=home_section(settings, connections, clock),
        slack_clients=slack_clients,
        profiles=profiles,
        people=people,
        free_busy=free_busy,
        after_ack=AfterAck(),
        form_seal=FormSeal.from_settings(settings),
        schedule=schedule,
        manage=manage,
        save=SaveMeeting(schedule, manage, free_busy, record_outcome, clock),
        record_outcome=record_outcome,
        change_settings=ChangeSettings(uow),
        change_seat=ChangeSeat(uow, people),
        connect_caldav=ConnectCalDav(connections, calendars.caldav_probe),
        answer_pending=AnswerPendingConnection(connections, clock),
        reports=MeetingReport(SqlReportSource(sessions), users, clock),
        next_meeting=NextMeeting(meetings, users, clock),
        crm=crm,
        connect_crm=ConnectCrm(crm, hubspot_check(settings), clock, crm_sync.start),
        crm_sync=crm_sync,
        crm_record_url=hubspot_record_url(crm),
        outcome_messages=SqlOutcomeMessages(sessions),
    )


def hubspot_client(services: Services, team_id: str) -> HubSpotClient | None:
    """The workspace's HubSpot with its stored token (None: not connected)."""
    token = services.crm.token(team_id)
    return HubSpotClient(token, services.settings.HUBSPOT_API_URL) if token else None


def hubspot_sources(services: Services) -> Callable[[str], RecordSource | None]:
    """A workspace's HubSpot as a record source (None: not connected)."""

    def source(team_id: str) -> RecordSource | None:
        client = hubspot_client(services, team_id)
        return HubSpotRecordSource(client) if client is not None else None

    return source


def hubspot_owners(services: Services) -> Callable[[str], list[CrmOwner] | None]:
    """A workspace's HubSpot owners (None: not connected)."""

    def owners(team_id: str) -> list[CrmOwner] | None:
        client = hubspot_client(services, team_id)
        return client.owners() if client is not None else None

    return owners


def hubspot_logs(services: Services) -> Callable[[str], MeetingLog | None]:
    """A workspace's HubSpot as its meeting log (None: not connected)."""

    def log(team_id: str) -> MeetingLog | None:
        client = hubspot_client(services, team_id)
        return HubSpotMeetingLog(client) if client is not None else None

    return log


def hubspot_record_url(crm: SqlCrmConnections) -> Callable[[str, Record], str | None]:
    def url(team_id: str, record: Record) -> str | None:
        connection = crm.get(team_id)
        if connection is None:
            return None
        return record_url(record.external_id, connection.portal_id, connection.ui_domain)

    return url


def hubspot_check(settings: Settings) -> TokenCheck:
    """A token's check against HUBSPOT_API_URL (a cheap read per scope)."""

    def check(token: str) -> CrmAccount | None:
        return HubSpotClient(token, settings.HUBSPOT_API_URL).check()

    return check


def calendar_oauth_for(services: Services) -> CalendarOAuth:
    """The /oauth/ handler wired to this process's services: a DM and a fresh App Home
    tell the user the connection worked, or a DM asks them to confirm a foreign account."""
    client_for = services.slack_clients
    language_of = language_lookup(services)
    profiles = services.profiles

    def email_of(team_id: str, user_id: str) -> str | None:
        client = client_for(team_id)
        if client is None:
            return None
        profile = profiles.lookup(client, team_id, user_id)
        return profile.email if profile is not None else None

    def ask(pending: PendingConnection) -> None:
        client = client_for(pending.team_id)
        if client is None:
            return
        t = translator(language_of(pending.team_id, pending.user_id))
        client.chat_postMessage(
            channel=pending.user_id,
            text=pending_text(pending.provider, pending.email, t=t),
            blocks=pending_blocks(pending.provider, pending.email, pending.id, t=t),
        )

    def connected(team_id: str, user_id: str, provider: str, email: str | None) -> None:
        client = client_for(team_id)
        if client is None:
            return
        t = translator(language_of(team_id, user_id))
        client.chat_postMessage(channel=user_id, text=connected_text(provider, email, t=t))
        publish_home(client, services, team_id, user_id)

    return CalendarOAuth(
        services.settings,
        services.connections,
        services.signin,
        services.clock,
        on_connected=connected,
        language_of=language_of,
        email_of=email_of,
        on_pending=ask,
    )


__all__ = [
    "build_services",
    "build_worker",
    "calendar_oauth_for",
    "slack_app",
    "start_in_background",
    "web_app",
]


def slack_app(services: Services) -> App:
    return build_app(services)


def web_app(services: Services, app: App) -> WebApp:
    """The WSGI app `meetline serve` runs: Slack, health and the calendar sign-in."""
    return WebApp(app, services, calendar_oauth_for(services))


def build_worker(services: Services) -> Worker:
    """The worker with every job kind mapped to its use case (a kind without a handler
    would be retried until it fails: tests/unit/test_worker_kinds.py)."""
    notifier = SlackNotifier(
        services.slack_clients,
        language_lookup(services),
        lambda team_id: services.workspaces.get(team_id).outcomes,
        services.outcome_messages,
    )
    deliveries = Deliveries(
        services.meetings,
        services.records,
        services.people,
        services.jobs,
        services.clock,
        mailer=services.mailer,
        notifier=notifier,
        mail_from=services.settings.MAIL_FROM,
        workspaces=services.workspaces,
    )
    handlers = {
        JobKind.INVITE: deliveries.send_invitation,
        JobKind.REMIND: deliveries.send_reminder,
        JobKind.REMINDER_MAIL: deliveries.send_reminder_email,
        JobKind.MENTION: deliveries.mention_dm,
        JobKind.OUTCOME: deliveries.outcome_prompt,
        JobKind.OUTCOME_NUDGE: deliveries.outcome_nudge,
        JobKind.OUTCOME_DIGEST: deliveries.outcome_digest,
    }
    calendars = services.calendars
    booking = CalendarBooking(
        services.meetings,
        services.people,
        services.jobs,
        services.clock,
        calendars,
        conferencing=services.conferencing,
        notifier=notifier,
        mail_from=services.settings.MAIL_FROM,
    )
    handlers |= {
        JobKind.CALENDAR_CREATE: booking.calendar_create,
        JobKind.CALENDAR_UPDATE: booking.calendar_update,
        JobKind.CALENDAR_CANCEL: booking.calendar_cancel,
    }
    sync = CalendarSync(
        calendars,
        services.meetings,
        services.jobs,
        services.clock,
        notifier=notifier,
        conferencing=services.conferencing,
    )
    handlers |= {JobKind.CALENDAR_SYNC: sync.sync}
    language_of = language_lookup(services)
    crm_sync = SyncRecords(
        services.records,
        hubspot_sources(services),
        services.crm,
        services.jobs,
        services.clock,
        notifier,
        lambda team_id, user_id: translator(language_of(team_id, user_id)),
        owners=hubspot_owners(services),
        users=services.users,
    )
    crm_log = LogMeetings(
        services.meetings,
        services.records,
        services.people,
        hubspot_logs(services),
        SqlCrmLogIds(services.sessions),
        services.jobs,
        services.clock,
        services.workspaces,
    )
    handlers |= {JobKind.CRM_SYNC: crm_sync.run, JobKind.CRM_LOG: crm_log.run}

    def on_final_failure(job: ClaimedJob, error: str) -> None:
        booking.on_final_failure(job, error)  # a calendar down for good: invite by email instead
        deliveries.report_failure(job, error)

    # 25 a batch: a mail server that times out (10 s a mail) still lets the whole batch
    # finish within the 300 s lease, and reading a batch's meetings costs a few round
    # trips per batch instead of per job.
    return SyncingWorker(
        services.jobs,
        handlers,
        services.clock,
        on_final_failure=on_final_failure,
        sync=sync,
        crm_schedule=services.crm_sync.schedule_due,
        batch=25,
        batch_scope=deliveries.batch,
    )
