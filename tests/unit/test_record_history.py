"""`/meet timeline` and the opening form: the use case reads one workspace only; the
views turn its answer (or its absence) into the ephemeral reply and the first form."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.views.meet_options import opening_form
from bot.views.timeline_views import timeline_reply
from handlers.domain import Record, RecordKind
from handlers.i18n import translator
from handlers.meet_form import MeetFormDraft, RecordPrefill
from handlers.meetings import Meeting, TimelineEntry
from handlers.record_history import record_history
from handlers.workspace import WorkspaceSettings
from tests.fakes import a_meeting

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
ACME = Record(1, RecordKind.COMPANY, "c1", "Acme")
JANE = Record(2, RecordKind.CONTACT, "p2", "Jane Doe")
DEMO = a_meeting(NOW, organizer_id="UHOST")
ENTRIES = [
    TimelineEntry(1, "meeting_scheduled", NOW, "UHOST", 7, {}),
    TimelineEntry(1, "meeting_scheduled", NOW, "UHOST", 8, {}),
]  # meeting 8 was deleted


class Store:
    def search(self, team_id: str, query: str, limit: int = 50) -> list[Record]:
        return [ACME] if team_id == "T1" and "acme" in query.lower() else []

    def deleted_named(self, team_id: str, query: str) -> Record | None:
        return JANE if team_id == "T1" and "jane" in query.lower() else None

    def timeline(self, team_id: str, record_id: int, limit: int = 50) -> list[TimelineEntry]:
        return ENTRIES if (team_id, record_id) in {("T1", 1), ("T1", 2)} else []

    def get(self, team_id: str, meeting_id: int) -> Meeting | None:
        return DEMO if (team_id, meeting_id) == ("T1", 7) else None


def test_the_best_match_and_its_meetings_in_the_callers_workspace() -> None:
    store = Store()
    history = record_history(store, store, "T1", "acme")  # type: ignore[arg-type]
    assert history is not None and history.record == ACME
    assert history.entries == tuple(ENTRIES) and history.meetings == {7: DEMO}
    assert record_history(store, store, "T2", "acme") is None  # type: ignore[arg-type]
    assert not history.deleted


def test_a_record_deleted_at_its_source_still_shows_its_history_without_booking() -> None:
    store = Store()
    history = record_history(store, store, "T1", "jane")  # type: ignore[arg-type]
    assert history is not None and history.record == JANE and history.deleted
    assert history.meetings == {7: DEMO}
    assert record_history(store, store, "T2", "jane") is None  # type: ignore[arg-type]
    for t, said in ((translator("en"), "Deleted in HubSpot"), (translator("pl"), "Usunięty")):
        reply = timeline_reply("jane", history, t=t, crm_url="https://app.hubspot.com/x")
        assert said in str(reply["blocks"])
        assert "book_on_record" not in str(reply) and "hubspot.com" not in str(reply)


def test_the_reply_for_no_query_no_match_and_a_match() -> None:
    pl = translator("pl")
    assert "`/meet timeline" in timeline_reply("", None)["text"]
    assert timeline_reply("<!here>", None)["text"] == "No record matches “&lt;!here&gt;”."
    store = Store()
    reply = timeline_reply("acme", record_history(store, store, "T1", "acme"), t=pl)  # type: ignore[arg-type]
    assert "Acme" in reply["text"] and reply["blocks"]


def test_the_form_opens_with_the_record_its_contacts_and_the_workspace_defaults() -> None:
    draft = MeetFormDraft(
        timezone="Europe/Warsaw", idempotency_key="k", record=ACME, title="Acme / Ola"
    )
    ws = WorkspaceSettings(
        default_reminders=((1, "days"),), durations=(20, 40), video_default_on=True
    )
    state = opening_form(
        draft, RecordPrefill(ACME, (JANE,), (ACME, JANE)), ws, "C1", translator("pl")
    )
    assert state.record is not None and state.record[0] == "r:1"
    # Related records are suggested, not ticked; the record itself is associated anyway.
    assert [v for v, _ in state.attendees] == ["c:2"] and state.associated == ()
    assert [v for v, _ in state.suggested] == ["r:2"]
    assert state.reminders == (("1", "days"),) and state.location_kind == "video"
    assert state.duration == "custom" and state.duration_custom == "30"  # 30 is not offered here
    assert state.channel == "C1" and state.language == "pl"
    bare = opening_form(
        MeetFormDraft(timezone="UTC", idempotency_key="k"), None, WorkspaceSettings(), None
    )
    assert bare.record is None and bare.attendees == () and bare.location_kind == "none"
