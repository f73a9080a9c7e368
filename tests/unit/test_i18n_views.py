"""Every Slack surface renders in every supported language: valid Block Kit, within
Slack's length limits without being clipped, no placeholder left unfilled, and
actually translated (Polish is not English)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from adapters.report_files import report_csv
from bot.errors import modal_errors
from bot.listeners.manage import edit_form
from bot.views.admin_views import admin_settings_view, seat_view
from bot.views.calendar_views import (
    CalendarHome,
    caldav_modal,
    calendar_section,
    connect_link_modal,
    connected_text,
    reconnect_blocks,
)
from bot.views.form_payload import parse_state
from bot.views.home import home_view
from bot.views.meet_modal import loading_view, meet_form_view, message_view
from bot.views.meet_state import FormState, from_meeting
from bot.views.messages import (
    cancelled_blocks,
    confirmation_blocks,
    digest_blocks,
    digest_done_blocks,
    mention_blocks,
    outcome_blocks,
    outcome_change_blocks,
    outcome_nudge_block,
)
from bot.views.report_views import period_help_text, report_blocks, report_started_text, report_text
from bot.views.settings_form import read_settings_form
from bot.views.text import record_option
from bot.views.timeline_views import timeline_blocks
from handlers.domain import Record, RecordKind, UserProfile
from handlers.editing import Cancelled, MeetingToEdit
from handlers.errors import Field, ValidationFailed
from handlers.i18n import SUPPORTED, Translator, translator
from handlers.meetings import (
    Attendee,
    AttendeeKind,
    Location,
    LocationKind,
    Meeting,
    Reminder,
    TimelineEntry,
)
from handlers.reports import build_report, parse_period
from handlers.scheduling import Scheduled
from handlers.workspace import SettingsChange, WorkspaceSettings, changed_settings
from tests.support.blockkit import blocks_errors, validate_modal, view_errors

START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
LANGUAGES = [pytest.param(lang, id=lang) for lang in SUPPORTED]

# Slack's limits by where a plain_text sits (https://api.slack.com/reference/block-kit).
LIMITS = {
    "title": 24,
    "submit": 24,
    "close": 24,
    "button": 75,
    "option": 75,
    "placeholder": 150,
    "header": 150,
    "confirm_title": 100,
    "confirm_text": 300,
    "confirm_button": 30,
    "label": 2000,
    "hint": 2000,
    "text": 3000,
}


def meeting(**changes: Any) -> Meeting:
    base = Meeting(
        id=7,
        team_id="T1",
        uid="m7@meetline",
        sequence=0,
        title="Demo for Acme",
        start_utc=START,
        end_utc=START + timedelta(minutes=45),
        timezone="Europe/Warsaw",
        duration_minutes=45,
        location=Location(LocationKind.VIDEO, "", "google_meet"),
        host_id="U1",
        organizer_id="U2",
        join_url="https://meet.example.com/abc",
        notes_text="Ask <@U3> about pricing",
        attendees=[
            Attendee(AttendeeKind.CONTACT, "Jane Doe", "jane@acme.example", record_id=1),
            Attendee(AttendeeKind.USER, "Bob", "bob@example.com", slack_user_id="U3"),
        ],
        reminders=[
            Reminder(60, START - timedelta(hours=1)),
            Reminder(1440, START - timedelta(days=1)),
        ],
        record_ids=[1, 2],
    )
    return replace(base, **changes)


JANE = Record(
    id=1,
    kind=RecordKind.CONTACT,
    external_id="jane",
    name="Jane Doe",
    email="jane@acme.example",
    company="Acme",
)


def form_states() -> list[FormState]:
    base = FormState(
        timezone="Europe/Warsaw",
        key="k1",
        record=("r:1", "Contact: Jane Doe"),
        day=date(2026, 12, 3),
        time="15:00",
        title="Demo",
        attendees=(("c:1", "Jane Doe"), ("u:U3", "@bob")),
    )
    return [
        base,
        replace(
            base,
            location_kind="phone",
            location_detail="+48 22 123 45 67",
            duration="custom",
            duration_custom="50",
            reminders=(("1", "days"), ("2", "hours"), ("30", "minutes")),
            notices=("Could not read “31 lutego”.",),
        ),
        replace(
            base,
            location_kind="in_person",
            include_description=True,
            conflicts=("You are busy 15:00–16:00.",),
            suggestions=(
                ("2026-12-03T16:00", "Thu 03 Dec 16:00"),
                ("2026-12-04T09:00", "Fri 04 Dec 09:00"),
            ),
        ),
        replace(base, location_kind="custom", meeting_id=7, meeting_type="Demo"),
        replace(base, location_kind="video", video_provider="zoom"),
    ]


def calendar_homes() -> list[CalendarHome]:
    urls: dict[str, Any] = {
        "google_url": "https://meetline.example/oauth/google/start?s=x",
        "microsoft_url": "https://meetline.example/oauth/microsoft/start?s=y",
    }
    return [
        CalendarHome(**urls),
        CalendarHome(provider="google", email="anna@example.com", **urls),
        CalendarHome(provider="microsoft", email="anna@example.com", active=False, **urls),
        CalendarHome(
            provider="caldav", oauth_hint="Google and Microsoft 365 sign-in need `PUBLIC_URL`."
        ),
        CalendarHome(provider="email", **urls),
        CalendarHome(can_store=False),
    ]


def report() -> Any:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    period = parse_period("this month", now, "Europe/Warsaw")
    meetings = [
        meeting(
            id=i,
            start_utc=datetime(2026, 11, 2 + i, 9, tzinfo=UTC),
            end_utc=datetime(2026, 11, 2 + i, 10, tzinfo=UTC),
            outcome=("COMPLETED", "NO_SHOW", "SCHEDULED")[i % 3],
            meeting_type=("Demo", None)[i % 2],
        )
        for i in range(6)
    ]
    return build_report(meetings, period, now=now)


def views(t: Translator) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, modal or home view) for every view builder."""
    yield "loading", loading_view({"k": "x"}, t=t)
    yield "message", message_view(t.gettext("Meeting scheduled"), "Done", t=t)
    for i, state in enumerate(form_states()):
        yield f"meet_form_{i}", meet_form_view(state, ("Demo", "Discovery call"), t=t)
    yield "home_empty", home_view("U1", t=t)
    upcoming = [meeting(), meeting(id=8, host_id="U2", organizer_id="U1")]
    section = [b for home in calendar_homes()[:2] for b in calendar_section(home, t=t)]
    yield (
        "home_full",
        home_view(
            "U1",
            upcoming,
            [meeting(id=9)],
            extra_blocks=calendar_section(calendar_homes()[1], t=t),
            is_admin=True,
            t=t,
        ),
    )
    assert section
    yield (
        "admin",
        admin_settings_view(
            WorkspaceSettings(
                default_reminders=((1, "days"), (30, "minutes")),
                meeting_types=("Demo",),
                default_language="pl",
            ),
            t=t,
        ),
    )
    yield "seats", seat_view(t=t)
    yield "caldav", caldav_modal("https://dav.example.com", "anna", t=t)
    yield (
        "link",
        connect_link_modal("google", "https://meetline.example/oauth/google/start?s=x", t=t),
    )
    yield "link_missing", connect_link_modal("microsoft", None, t=t)


def messages(t: Translator) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(name, message blocks) for every message builder."""
    scheduled = Scheduled(
        meeting(),
        created=True,
        invited=("Jane Doe",),
        not_invited=("John Nomail",),
        warnings=("You are busy 15:00–16:00.",),
    )
    yield "confirmation", confirmation_blocks(scheduled, t=t)
    yield (
        "confirmation_one_reminder",
        confirmation_blocks(
            replace(
                scheduled,
                meeting=meeting(
                    reminders=[Reminder(60, START)],
                    location=Location(LocationKind.PHONE, "+48 22 123 45 67"),
                ),
            ),
            t.gettext("Meeting updated"),
            t=t,
        ),
    )
    moved = meeting(title="Demo v2", start_utc=START + timedelta(days=1), sequence=1)
    yield (
        "confirmation_edited",
        confirmation_blocks(replace(scheduled, meeting=moved, previous=meeting()), t=t),
    )
    yield (
        "confirmation_unchanged",
        confirmation_blocks(replace(scheduled, previous=meeting()), t=t),
    )
    yield "cancelled", cancelled_blocks(Cancelled(meeting(status="cancelled"), ("Jane",)), t=t)
    yield "cancelled_none_told", cancelled_blocks(Cancelled(meeting(status="cancelled"), ()), t=t)
    yield "mention", mention_blocks(meeting(), JANE, t=t)
    yield "mention_no_record", mention_blocks(meeting(), None, t=t)
    yield "outcome_prompt", [outcome_nudge_block(t=t), *outcome_blocks(meeting(), t=t)]
    yield "outcome_set", outcome_blocks(meeting(outcome="NO_SHOW"), t=t)
    yield (
        "outcome_change",
        outcome_change_blocks(meeting(outcome="COMPLETED"), ("COMPLETED", "DEMO_BOOKED"), t=t),
    )
    yield "digest_one", digest_blocks([meeting()], t=t)
    yield "digest_many", digest_blocks([meeting(id=i) for i in range(1, 6)], t=t)
    yield "digest_done", digest_done_blocks(t=t)
    entries = [
        TimelineEntry(
            1,
            kind,
            START - timedelta(days=1),
            "U2",
            7,
            {
                "title": "Demo",
                "start": START.isoformat(),
                "host": "U1",
                "organizer": "U2",
                "outcome": "COMPLETED",
            },
        )
        for kind in (
            "meeting_scheduled",
            "meeting_rescheduled",
            "meeting_updated",
            "outcome_set",
            "meeting_cancelled",
            "calendar_changed",
        )
    ]
    yield "timeline", timeline_blocks(JANE, entries, {7: meeting()}, t=t)
    yield "timeline_empty", timeline_blocks(JANE, [], {}, t=t)
    yield "report", report_blocks(report(), t=t)
    yield "report_empty", report_blocks(build_report([], report().period, now=START), t=t)
    for i, home in enumerate(calendar_homes()):
        yield f"calendar_section_{i}", calendar_section(home, t=t)
    yield "reconnect", reconnect_blocks("microsoft", t=t)
    texts = [
        report_text(report(), t=t),
        report_started_text("last month", t=t),
        period_help_text("next fortnight", "the range ends before it starts", t=t),
        connected_text("caldav", "anna@example.com", t=t),
        connected_text("google", None, t=t),
    ]
    yield (
        "texts",
        [
            {"type": "section", "block_id": f"t{i}", "text": {"type": "mrkdwn", "text": text}}
            for i, text in enumerate(texts)
        ],
    )


def plain_texts(node: Any, where: str = "text") -> Iterator[tuple[str, str]]:
    """(limit kind, text) of every text object, by where it sits."""
    if isinstance(node, list):
        for item in node:
            yield from plain_texts(item, where)
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("text"), str) and node.get("type") in ("plain_text", "mrkdwn"):
        yield where, node["text"]
        return
    kind = node.get("type")
    for key, value in node.items():
        if key in ("title", "submit", "close") and kind in ("modal", "home"):
            yield from plain_texts(value, key)
        elif key == "confirm" and isinstance(value, dict) and "deny" in value:
            for part, limit in (
                ("title", "confirm_title"),
                ("text", "confirm_text"),
                ("confirm", "confirm_button"),
                ("deny", "confirm_button"),
            ):
                yield from plain_texts(value.get(part), limit)
        elif key == "text" and kind == "button":
            yield from plain_texts(value, "button")
        elif key == "text" and kind == "header":
            yield from plain_texts(value, "header")
        elif key in ("placeholder", "label", "hint"):
            yield from plain_texts(value, key)
        elif key in ("options", "initial_options", "initial_option"):
            yield from plain_texts(value, "option")
        else:
            yield from plain_texts(value, where)


def text_problems(name: str, payload: Any) -> list[str]:
    problems = []
    for where, text in plain_texts(payload):
        limit = LIMITS[where]
        if len(text) > limit:
            problems.append(f"{name}: {where} over {limit} chars: {text!r}")
        elif text.endswith("…") and len(text) >= limit - 4 and limit < 3000:
            problems.append(f"{name}: {where} clipped to {limit} chars: {text!r}")
        unfilled = re.sub(r"<!date\^[^|>]*\|[^>]*>", "", text)
        if re.search(r"\{[a-z_]+\}", unfilled):
            problems.append(f"{name}: unfilled placeholder in {text!r}")
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_view_is_valid_and_fits_in_every_language(language: str) -> None:
    t = translator(language)
    problems = []
    for name, view in views(t):
        problems += [f"{name}: {e}" for e in view_errors(view)]
        problems += text_problems(name, view)
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_valid_and_fits_in_every_language(language: str) -> None:
    t = translator(language)
    problems = []
    for name, blocks in messages(t):
        problems += [f"{name}: {e}" for e in blocks_errors(blocks)]
        problems += text_problems(name, blocks)
    assert problems == []


def all_text(payload: Any) -> str:
    return "\n".join(text for _, text in plain_texts(payload))


def test_polish_surfaces_are_polish() -> None:
    """Every surface says something different in Polish (a missed conversion shows here)."""
    en, pl = translator("en"), translator("pl")
    same = []
    for (name, english), (_, polish) in zip(
        [*views(en), *messages(en)], [*views(pl), *messages(pl)], strict=True
    ):
        if all_text(english) == all_text(polish):
            same.append(name)
    assert same == []


def test_the_meet_form_in_polish() -> None:
    pl = translator("pl")
    view = meet_form_view(form_states()[1], t=pl)
    validate_modal(view)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert view["title"]["text"] == "Zaplanuj spotkanie"
    assert (view["submit"]["text"], view["close"]["text"]) == ("Zapisz", "Anuluj")
    assert blocks["record"]["label"]["text"] == "Rekord"
    assert blocks["title"]["label"]["text"] == "Tytuł"
    assert blocks["loc_phone"]["label"]["text"] == "Numer telefonu"
    assert [o["text"]["text"] for o in blocks["duration"]["element"]["options"]] == [
        "15 min",
        "30 min",
        "45 min",
        "1 godz.",
        "1 godz. 30 min",
        "2 godz.",
        "Inny…",
    ]
    assert json.loads(view["private_metadata"])["lang"] == "pl"
    assert (
        parse_state(view | {"state": {"values": {}}}).language == "pl"
    )  # updates keep the language
    assert meet_form_view(form_states()[3], t=pl)["title"]["text"] == "Edytuj spotkanie"


def test_the_form_remembers_its_language_without_a_translator() -> None:
    polish = meet_form_view(replace(form_states()[0], language="pl"))
    assert polish["title"]["text"] == "Zaplanuj spotkanie"
    english = meet_form_view(form_states()[0])
    assert english["title"]["text"] == "Schedule a meeting" and "lang" in json.loads(
        english["private_metadata"]
    )


def test_english_texts_are_unchanged() -> None:
    blocks = confirmation_blocks(
        Scheduled(meeting(), created=True, invited=("Jane Doe",), not_invited=())
    )
    text = blocks[1]["text"]["text"]
    assert (
        text.startswith("*Demo for Acme* is scheduled for <!date^")
        and "^{date_short_pretty} at {time}|" in text
    )
    assert "Where: Google Meet: https://meet.example.com/abc" in text
    assert "2 reminder emails are scheduled." in text
    cancel = blocks[2]["elements"][1]
    assert (
        cancel["confirm"]["confirm"]["text"] == "Cancel meeting"
        and cancel["text"]["text"] == "Cancel meeting"
    )
    assert record_option(JANE)["text"]["text"] == "Contact: Jane Doe (Acme)"


def test_an_edit_says_what_changed_one_line_each() -> None:
    before = meeting()
    after = meeting(
        title="Demo <v2>", start_utc=START + timedelta(days=1), reminders=[], sequence=1
    )
    result = Scheduled(after, created=False, invited=("Jane",), not_invited=(), previous=before)
    lines = confirmation_blocks(result)[1]["text"]["text"].splitlines()
    assert lines[0].startswith("*Demo &lt;v2&gt;*, <!date^")
    assert lines[1].startswith("Time changed: <!date^") and " → <!date^" in lines[1]
    assert lines[2] == "Title changed: Demo for Acme → Demo &lt;v2&gt;"
    assert (
        "Reminders changed." in lines and "Updated invitations are on their way to: Jane." in lines
    )
    assert not any("scheduled" in line for line in lines)
    same = replace(result, meeting=before)
    assert "Nothing changed." in confirmation_blocks(same)[1]["text"]["text"].splitlines()


def test_slack_dates_keep_their_tokens_and_a_utc_fallback_in_polish() -> None:
    pl = translator("pl")
    text = confirmation_blocks(
        Scheduled(meeting(), created=True, invited=(), not_invited=()), t=pl
    )[1]["text"]["text"]
    assert text.startswith("Zaplanowano spotkanie *Demo for Acme*: <!date^")
    assert "^{date_short_pretty} o {time}|2026-12-03 14:00 UTC>" in text
    assert "Zaplanowano 2 przypomnienia e-mailem." in text
    assert "Gdzie: Google Meet: https://meet.example.com/abc" in text


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "*1 spotkanie wciąż czeka na wynik.*"),
        (3, "*3 spotkania wciąż czekają na wynik.*"),
        (5, "*5 spotkań wciąż czeka na wynik.*"),
        (22, "*22 spotkania wciąż czekają na wynik.*"),
    ],
)
def test_polish_digest_declines_meetings(count: int, expected: str) -> None:
    head = digest_blocks([meeting(id=i) for i in range(count)], t=translator("pl"))[0]["text"][
        "text"
    ]
    assert head.startswith(expected)


def test_english_digest_counts_properly() -> None:
    assert digest_blocks([meeting()])[0]["text"]["text"].startswith(
        "*1 meeting still needs an outcome.*"
    )
    assert digest_blocks([meeting(), meeting(id=8)])[0]["text"]["text"].startswith(
        "*2 meetings still need an outcome.*"
    )


def test_record_kinds_and_timeline_in_polish() -> None:
    pl = translator("pl")
    assert record_option(JANE, t=pl)["text"]["text"] == "Kontakt: Jane Doe (Acme)"
    text = all_text(
        timeline_blocks(
            JANE,
            [
                TimelineEntry(
                    1,
                    "outcome_set",
                    START,
                    "U1",
                    7,
                    {"title": "Demo", "outcome": "NO_SHOW", "host": "U1"},
                )
            ],
            {7: meeting()},
            t=pl,
        )
    )
    assert (
        "Historia: Jane Doe" in text
        and "Wynik* · Demo: Nieobecność\n<!date^" in text  # the when on a line of its own
        and "przypisane do <@U1>" in text
    )


def test_report_period_and_labels_in_polish() -> None:
    pl = translator("pl")
    now = datetime(2026, 11, 18, 10, tzinfo=UTC)
    assert parse_period("last month", now, "Europe/Warsaw").describe(pl) == (
        "zeszły miesiąc (01.10.2026 – 31.10.2026, Europe/Warsaw)"
    )
    assert parse_period("ostatnie 7 dni", now, "Europe/Warsaw").name(pl) == "ostatnie 7 dni"
    assert parse_period("last 1 day", now, "Europe/Warsaw").name(pl) == "ostatni 1 dzień"
    assert parse_period("last month", now, "Europe/Warsaw").describe() == (
        "last month (2026-10-01 – 2026-10-31, Europe/Warsaw)"
    )
    assert report_text(report(), t=pl).startswith(
        "Raport spotkań, ten miesiąc (01.11.2026 – 30.11.2026, Europe/Warsaw): 6 spotkań,"
    )
    rows = report_csv(report(), pl).splitlines()
    assert rows[0] == "dimension,key,label,count"  # the columns stay machine-readable
    assert rows[1] == "summary,meetings,Spotkania,6"


def test_admin_settings_read_and_write_reminders_in_both_languages() -> None:
    pl = translator("pl")
    ws = WorkspaceSettings(default_reminders=((1, "days"), (2, "hours"), (30, "minutes")))
    reminders = {b["block_id"]: b for b in admin_settings_view(ws, t=pl)["blocks"]}["reminders"]
    assert reminders["element"]["initial_value"] == "1 dzień\n2 godziny\n30 minut"
    saved = changed_settings(
        ws,
        settings_change(
            durations="30", reminders="1 dzień\n2 godziny\n30 minut", timezone="Europe/Warsaw"
        ),
        pl,
    )
    assert saved.default_reminders == ws.default_reminders
    with pytest.raises(ValidationFailed) as refused:
        changed_settings(
            ws,
            settings_change(
                durations="1", reminders="wkrótce", work_start="18:00", timezone="Mars/Olympus"
            ),
            pl,
        )
    assert modal_errors(
        refused.value, admin_settings_view(ws, t=pl), pl, fallback=Field.DURATIONS
    ) == {
        "durations": "Podaj pełne minuty od 5 do 720, oddzielone przecinkami.",
        "reminders": "Nie udało się odczytać „wkrótce”: wpisz liczbę i tygodnie, dni, godziny lub minuty.",
        "timezone": "To nie jest nazwa strefy czasowej. Użyj nazwy IANA, np. Europe/Warsaw.",
        "work_end": "Godziny pracy muszą kończyć się później, niż się zaczynają.",
    }


def settings_change(
    *,
    durations: str,
    reminders: str,
    timezone: str,
    work_start: str = "09:00",
    outcomes: str = "",
) -> SettingsChange:
    """The admin form as submitted, read the way the listener reads it."""
    values = {
        "outcomes": {"value": {"value": outcomes}},
        "durations": {"value": {"value": durations}},
        "reminders": {"value": {"value": reminders}},
        "timezone": {"value": {"value": timezone}},
        "work_start": {"value": {"selected_time": work_start}},
        "work_end": {"value": {"selected_time": "17:00"}},
        "language": {"value": {"selected_option": {"value": "pl"}}},
    }
    return read_settings_form({"state": {"values": values}})


def test_an_admin_says_what_hubspot_logs_each_own_outcome_as() -> None:
    typed = "Demo given\nLost deal = no show\nWithdrawn=Canceled"
    saved = changed_settings(
        WorkspaceSettings(),
        settings_change(durations="30", reminders="", timezone="UTC", outcomes=typed),
    )
    assert saved.custom_outcomes == ("DEMO_GIVEN", "LOST_DEAL", "WITHDRAWN")
    assert [saved.counts_as(o) for o in (*saved.custom_outcomes, "NO_SHOW")] == [
        "COMPLETED",  # unless the admin says otherwise: the meeting took place
        "NO_SHOW",
        "CANCELED",
        "NO_SHOW",
    ]
    stored = WorkspaceSettings.from_json(json.loads(json.dumps(saved.to_json())))
    assert stored.outcomes_count_as == saved.outcomes_count_as
    view = admin_settings_view(stored, t=translator("pl"))
    assert view_errors(view) == []
    shown = {b["block_id"]: b for b in view["blocks"]}["outcomes"]["element"]["initial_value"]
    assert shown == "DEMO_GIVEN\nLOST_DEAL = NO_SHOW\nWITHDRAWN = CANCELED"
    again = changed_settings(
        stored, settings_change(durations="30", reminders="", timezone="UTC", outcomes=shown)
    )
    assert again.custom_outcomes == saved.custom_outcomes
    assert again.outcomes_count_as == saved.outcomes_count_as


def test_edit_form_names_deleted_records_in_the_readers_language() -> None:
    state = from_meeting(meeting(record_id=1), key="k", labels={}, t=translator("pl"))
    assert state.record == ("r:1", "Rekord") and state.associated[0] == ("r:2", "Rekord 2")
    assert state.language == "pl"


def test_edit_form_marks_a_record_deleted_in_hubspot_and_never_clips_the_mark() -> None:
    """The meeting's record and attendee (1) was deleted at its source, its associated
    record (2) was not: only the first is marked, in the reader's language, and a name
    too long for Slack's 75 characters loses its end, never the mark."""
    long_name = "Jane " + "Doe" * 30
    jane = Record(1, RecordKind.CONTACT, "hubspot:contact:1", long_name, email="jane@acme.example")
    acme = Record(2, RecordKind.COMPANY, "hubspot:company:2", "Acme")
    found = MeetingToEdit(meeting(record_id=1), {1: jane, 2: acme}, frozenset({1}))
    state = edit_form(found, WorkspaceSettings(), translator("pl"), UserProfile("T1", "U1"))
    assert state.record is not None
    label = state.record[1]
    assert label.startswith("Kontakt: Jane DoeDoe") and label.endswith("… (usunięty w HubSpot)")
    assert len(label) <= 75 and state.attendees[0] == ("c:1", label)
    assert state.associated == (("r:2", "Firma: Acme"),)


BUILDERS: list[Callable[..., Any]] = [
    loading_view,
    message_view,
    meet_form_view,
    home_view,
    admin_settings_view,
    seat_view,
    caldav_modal,
    connect_link_modal,
    calendar_section,
    reconnect_blocks,
    confirmation_blocks,
    cancelled_blocks,
    mention_blocks,
    outcome_blocks,
    outcome_change_blocks,
    digest_blocks,
    timeline_blocks,
    report_blocks,
]


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_every_builder_takes_t_and_defaults_to_english(builder: Callable[..., Any]) -> None:
    import inspect

    parameter = inspect.signature(builder).parameters.get("t")
    assert parameter is not None and parameter.kind is inspect.Parameter.KEYWORD_ONLY
    assert parameter.default is None or parameter.default.language == "en"
