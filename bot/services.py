"""What the Slack surface is handed: one record of ports, built by `bot.wiring`.

Every field is typed by what it does (a Protocol from `handlers`, or a small one here),
never by the class that implements it, so listeners cannot reach past a port and tests
can build a `Services` from fakes. The engine and session factory are here only for
Slack's own stores (installations, OAuth state, event dedupe) and the health check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.after_ack import AfterAck
from bot.availability import FreeBusyCheck
from bot.form_seal import FormSeal
from bot.notifier import ClientForTeam, OutcomeMessages
from bot.profiles import ProfileService
from bot.settings import Settings
from handlers.calendar_booking import CalendarAccounts
from handlers.calendar_sync import SyncedMeetings
from handlers.calendars import ConferencingPort
from handlers.change_settings import ChangeSettings
from handlers.connect_calendar import AnswerPendingConnection, ConnectCalDav
from handlers.connect_crm import ConnectCrm, CrmConnection, CrmConnections
from handlers.crm_sync import CrmSyncQueue, SyncState
from handlers.domain import Record
from handlers.editing import ManageMeeting
from handlers.i18n import Translator
from handlers.invitations import Mailer
from handlers.jobs import JobQueue
from handlers.next_meeting import NextMeeting
from handlers.outcomes import RecordOutcome
from handlers.ports import (
    CalendarConnections,
    Clock,
    MeetingRepository,
    PeopleDirectory,
    RecordRepository,
    UnitOfWorkFactory,
    UserRepository,
)
from handlers.reports import MeetingReport
from handlers.save_meeting import SaveMeeting
from handlers.scheduling import ScheduleMeeting
from handlers.seats import ChangeSeat
from handlers.workspace import WorkspaceRepository

# Extra App Home blocks per (team, user), e.g. the calendar connection status, in the
# reader's language (the Translator), with set-up hints when the reader is an admin (bool).
HomeSections = Callable[[str, str, Translator, bool], list[dict[str, Any]]]


class CrmStore(CrmConnections, SyncState, Protocol):
    """The workspace's CRM connection as settings, syncs and adapters use it."""

    def get(self, team_id: str) -> CrmConnection | None: ...

    def token(self, team_id: str) -> str | None:
        """The clear token, for the adapter only."""
        ...


class Meetings(MeetingRepository, SyncedMeetings, Protocol):
    """The meetings as the request path and the calendar sync both use them."""


class SigninProviders(Protocol):
    """The provider libraries' sign-in objects (Google's OAuth flow, an msal application),
    configured from the settings; `bot.calendar_oauth` drives them."""

    def google_flow(
        self,
        redirect_uri: str,
        scopes: list[str],
        state: str | None = None,
        code_verifier: str | None = None,
    ) -> Any: ...

    def msal_app(self, cache: Any = None) -> Any: ...


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    uow: UnitOfWorkFactory  # one per use case call: its reads and writes, one commit
    records: RecordRepository
    users: UserRepository
    meetings: Meetings
    jobs: JobQueue
    workspaces: WorkspaceRepository
    calendars: CalendarAccounts
    connections: CalendarConnections
    conferencing: ConferencingPort | None
    signin: SigninProviders
    mailer: Mailer | None
    home_sections: HomeSections
    slack_clients: ClientForTeam  # a workspace's Web API client outside a Slack request
    profiles: ProfileService  # Slack profiles, cached in the database
    people: PeopleDirectory  # teammates as Slack knows them (profiles cached)
    free_busy: FreeBusyCheck  # the /meet form's conflict notice and Save's re-check
    after_ack: AfterAck  # bounded pools for the work after an ack (open, fill, later)
    form_seal: FormSeal  # where a /meet form may post, sealed when it opens
    # Use cases, built once (`bot.wiring`), never per request.
    schedule: ScheduleMeeting
    manage: ManageMeeting
    save: SaveMeeting  # the /meet form's Save: new or edit
    record_outcome: RecordOutcome
    change_settings: ChangeSettings
    change_seat: ChangeSeat
    connect_caldav: ConnectCalDav
    answer_pending: AnswerPendingConnection  # the "Connect anna@…?" question in a DM
    reports: MeetingReport
    next_meeting: NextMeeting
    crm: CrmStore  # the workspace's HubSpot connection (token encrypted) and sync state
    connect_crm: ConnectCrm
    crm_sync: CrmSyncQueue  # the first sync, "Sync now", and the worker's rounds
    crm_record_url: Callable[[str, Record], str | None]  # a record's page in HubSpot
    outcome_messages: OutcomeMessages  # where each meeting's outcome DMs are
