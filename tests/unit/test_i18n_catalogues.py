"""The translation catalogues against the code: nothing missing, no placeholder drift,
Polish plural forms right. Adding a language (a folder under handlers/locale) puts it
under every test here."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from babel.messages.pofile import read_po

from handlers.i18n import N_, SUPPORTED, language_for, load_catalogue, translator
from handlers.i18n_tools import (
    Extracted,
    catalogue_problems,
    extract_messages,
    extract_source,
    placeholder_problems,
)
from handlers.invitations import Invitation, Person, ReminderEmail, invitation_text, reminder_text


@pytest.fixture(scope="module")
def extracted() -> Extracted:
    return extract_messages()


def test_english_and_polish_are_supported() -> None:
    assert {"en", "pl"} <= set(SUPPORTED)


def test_the_code_marks_messages_the_catalogue_test_can_read(extracted: Extracted) -> None:
    assert extracted.problems == []
    # The surfaces converted so far are all found (a guard against a broken extractor).
    files = {path for m in extracted.messages.values() for path, _ in m.locations}
    assert {
        "handlers/invitations.py",
        "handlers/rules.py",
        "handlers/outcomes.py",
        "handlers/meet_form.py",
        "handlers/scheduling.py",
    } <= files
    assert extracted.messages["{n} minute before"].plural == "{n} minutes before"
    assert extracted.messages["Completed"].locations[0][0] == "handlers/outcomes.py"  # via N_


@pytest.mark.parametrize("language", SUPPORTED)
def test_every_message_the_code_uses_is_translated(language: str, extracted: Extracted) -> None:
    """Missing, empty or fuzzy entries fail; English may leave entries out (identity)."""
    assert catalogue_problems(language, extracted) == []


@pytest.mark.parametrize("language", SUPPORTED)
def test_translations_keep_the_placeholders_of_the_msgid(language: str) -> None:
    assert placeholder_problems(language) == []


@pytest.mark.parametrize("language", SUPPORTED)
def test_catalogue_declares_its_plural_rule(language: str) -> None:
    catalogue = load_catalogue(language)
    assert catalogue.num_plurals >= 1
    assert "Plural-Forms" in dict(catalogue.mime_headers)


POLISH_REMINDERS = [
    (1, "1 przypomnienie"),
    (2, "2 przypomnienia"),
    (5, "5 przypomnień"),
    (12, "12 przypomnień"),
    (22, "22 przypomnienia"),
    (25, "25 przypomnień"),
    (104, "104 przypomnienia"),
    (111, "111 przypomnień"),
]


@pytest.mark.parametrize(("n", "expected"), POLISH_REMINDERS)
def test_polish_plural_forms(n: int, expected: str) -> None:
    pl = translator("pl")
    assert (
        pl.ngettext("At most {n} reminder.", "At most {n} reminders.", n) == f"Najwyżej {expected}."
    )


@pytest.mark.parametrize(
    ("n", "expected"), [(1, "1 hour before"), (2, "2 hours before"), (5, "5 hours before")]
)
def test_english_plural_forms(n: int, expected: str) -> None:
    assert translator("en").ngettext("{n} hour before", "{n} hours before", n) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 godzinę przed"),
        (3, "3 godziny przed"),
        (5, "5 godzin przed"),
        (1, "1 godzinę przed"),
        (21, "21 godzin przed"),
    ],
)
def test_polish_units_decline(n: int, expected: str) -> None:
    assert translator("pl").ngettext("{n} hour before", "{n} hours before", n) == expected


@pytest.mark.parametrize("language", SUPPORTED)
def test_mail_date_patterns_render_in_every_language(language: str) -> None:
    """The date and time patterns are catalogue entries too: a bad one must not reach a mail."""
    start = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    inv = Invitation(
        uid="u@meetline",
        sequence=0,
        method="REQUEST",
        title="Demo",
        start_utc=start,
        end_utc=start + timedelta(hours=1),
        organizer=Person("host@example.com", "Host"),
        attendees=(),
        timezone="Europe/Warsaw",
        language=language,
    )
    rem = ReminderEmail(
        title="Demo",
        start_utc=start,
        end_utc=start + timedelta(hours=26),
        organizer=Person("host@example.com"),
        timezone="Europe/Warsaw",
        language=language,
    )
    for mail in (invitation_text(inv), reminder_text(rem)):
        assert "2026" in mail.subject and "{" not in mail.text and "Europe/Warsaw" in mail.subject


# ----------------------------------------------------------------- the checks catch mistakes


def _po(
    body: str,
    plural: str = "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);",
) -> bytes:
    header = (
        'msgid ""\nmsgstr ""\n"Language: pl\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        f'"Plural-Forms: {plural}\\n"\n\n'
    )
    return (header + body).encode()


def test_extractor_flags_computed_messages() -> None:
    source = (
        "def f(t, n, name, LABEL):\n"
        "    t.gettext(f'Hello {name}')\n"
        "    t.gettext('Hello ' + name)\n"
        "    t.gettext('Hello {}'.format(name))\n"
        "    t.gettext(LABEL)\n"
        "    # Translators: greeting in a DM\n"
        "    t.gettext('Hi {name}', name=name)\n"
        "    t.ngettext('{n} day', '{n} days', n)\n"
        "X = N_('Constant')\n"
    )
    out = extract_source(source, "snippet.py")
    assert len(out.problems) == 3 and all("snippet.py:" in p for p in out.problems)
    assert set(out.messages) == {"Hi {name}", "{n} day", "Constant"}
    assert out.messages["Hi {name}"].comments == ["Translators: greeting in a DM"]


def test_missing_fuzzy_and_empty_entries_fail() -> None:
    extracted = extract_source(
        "t.gettext('A')\nt.gettext('B')\nt.gettext('C')\nt.ngettext('{n} x', '{n} xs', n)\n", "m.py"
    )
    catalogue = read_po(
        io.BytesIO(
            _po(
                '#, fuzzy\nmsgid "A"\nmsgstr "a"\n\nmsgid "B"\nmsgstr ""\n\n'
                'msgid "{n} x"\nmsgid_plural "{n} xs"\nmsgstr[0] "{n} x"\n'
                'msgstr[1] "{n} xy"\nmsgstr[2] ""\n'
            )
        ),
        locale="pl",
    )
    problems = catalogue_problems("pl", extracted, catalogue)
    assert any("fuzzy 'A'" in p for p in problems)
    assert any("untranslated 'B'" in p for p in problems)
    assert any("missing 'C'" in p for p in problems)
    assert any("untranslated '{n} x'" in p for p in problems)


def test_placeholder_drift_fails() -> None:
    catalogue = read_po(
        io.BytesIO(
            _po(
                'msgid "Hi {name}"\nmsgstr "Cześć {imie}"\n\n'
                'msgid "Bye {name}"\nmsgstr "Pa {name}"\n\n'
                'msgid "{n} reminder"\nmsgid_plural "{n} reminders"\n'
                'msgstr[0] "jedno przypomnienie"\nmsgstr[1] "{n} przypomnienia"\nmsgstr[2] "przypomnień"\n'
            )
        ),
        locale="pl",
    )
    problems = placeholder_problems("pl", catalogue)
    assert len(problems) == 2
    assert "'Hi {name}'" in problems[0]
    assert "form 2" in problems[1]  # form 0 (n == 1 only) may leave out {n}; form 2 may not


def test_marker_returns_its_argument() -> None:
    assert N_("Completed") == "Completed"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("pl-PL", "pl"),
        ("pl_PL", "pl"),
        ("PL", "pl"),
        ("pl", "pl"),
        ("en-US", "en"),
        ("en-GB", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_language_for_slack_locales(locale: str | None, expected: str) -> None:
    assert language_for(locale) == expected


def test_language_for_falls_back_to_the_workspace_default() -> None:
    assert language_for("de-DE", "pl") == "pl"
    assert language_for(None, "pl-PL") == "pl"
    assert language_for("en-US", "pl") == "en"
    assert language_for("fr", "de") == "en"  # an unsupported default falls back to English


def test_translator_fills_placeholders_after_translation_and_survives_mistakes() -> None:
    pl = translator("pl-PL")
    assert pl.language == "pl"
    assert (
        pl.gettext("Keep the title under {max} characters.", max=250)
        == "Tytuł może mieć najwyżej 250 znaków."
    )
    assert translator("xx").gettext("Not in any catalogue {x}", x=1) == "Not in any catalogue 1"
    assert (
        translator("en").gettext("Missing {value}") == "Missing {value}"
    )  # left visible, no KeyError
    assert translator("pl") is translator("pl_PL")  # cached per language


def test_dates_and_times_follow_the_locale() -> None:
    moment = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    pl, en = translator("pl"), translator("en")
    assert pl.format_date(moment, "Europe/Warsaw", "full") == "czwartek, 3 grudnia 2026"
    assert en.format_date(moment, "Europe/Warsaw", "EEEE, d MMMM y") == "Thursday, 3 December 2026"
    assert pl.format_time(moment, "Europe/Warsaw") == "15:00"
    assert en.format_time(moment, "America/New_York", "h:mm a") == "9:00 AM"
    assert pl.format_datetime(moment, "Europe/Warsaw", "d MMMM y, HH:mm") == "3 grudnia 2026, 15:00"
    # The zone decides the day: 23:30 UTC is already Friday in Warsaw.
    assert (
        pl.format_date(datetime(2026, 12, 3, 23, 30, tzinfo=UTC), "Europe/Warsaw", "EEEE")
        == "piątek"
    )
