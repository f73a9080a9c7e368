"""Natural-language times: exact expected instants (wall time and UTC offset) per `now`.

Every expected value is written out by hand so a change of policy shows up as a failure.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.when import find_when, iter_durations, parse_when, scan_when

WAW = ZoneInfo("Europe/Warsaw")
NYC = ZoneInfo("America/New_York")
KOL = ZoneInfo("Asia/Kolkata")

FRI_WAW = datetime(2026, 3, 13, 10, 0, tzinfo=WAW)  # Friday, CET (+01:00), DST starts 29 Mar
MON_NYC = datetime(2026, 6, 15, 14, 30, tzinfo=NYC)  # Monday, EDT (-04:00)
WED_KOL = datetime(2026, 9, 16, 18, 45, tzinfo=KOL)  # Wednesday, +05:30, no DST
NYE_UTC = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)  # Thursday, last hour of the year


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat(timespec="minutes")


def check(
    phrase: str, now: datetime, expected: str | None, languages: tuple[str, ...] = ("en", "pl")
) -> None:
    result = parse_when(phrase, now, languages)
    assert iso(result) == expected, phrase
    if result is not None:
        assert result.tzinfo is now.tzinfo
        assert (result.second, result.microsecond) == (0, 0)


# --------------------------------------------------------------------------- English, Warsaw

FRI_WAW_EN = [
    ("tomorrow 3pm", "2026-03-14T15:00+01:00"),
    ("tomorrow at 15:00", "2026-03-14T15:00+01:00"),
    ("tomorrow at 3 pm", "2026-03-14T15:00+01:00"),
    ("tomorrow 3 p.m.", "2026-03-14T15:00+01:00"),
    ("3pm tomorrow", "2026-03-14T15:00+01:00"),
    ("at 3pm tomorrow", "2026-03-14T15:00+01:00"),
    ("15:00 tomorrow", "2026-03-14T15:00+01:00"),
    ("tomorrow, 3pm", "2026-03-14T15:00+01:00"),
    ("tomorrow, 3pm.", "2026-03-14T15:00+01:00"),
    ("TOMORROW 3PM", "2026-03-14T15:00+01:00"),
    ("Tomorrow 3PM", "2026-03-14T15:00+01:00"),
    ("tmrw 3pm", "2026-03-14T15:00+01:00"),
    ("tomorrow\u00a03\u202fPM", "2026-03-14T15:00+01:00"),
    ("tomorrow", "2026-03-14T09:00+01:00"),
    ("next friday at 10:30", "2026-03-20T10:30+01:00"),
    ("next friday", "2026-03-20T09:00+01:00"),
    ("friday 10:30", "2026-03-13T10:30+01:00"),
    ("friday at 10:30", "2026-03-13T10:30+01:00"),
    ("friday, 10:30", "2026-03-13T10:30+01:00"),
    ("friday 9:00", "2026-03-20T09:00+01:00"),
    ("friday 10:00", "2026-03-20T10:00+01:00"),
    ("friday", "2026-03-20T09:00+01:00"),
    ("Friday", "2026-03-20T09:00+01:00"),
    ("on friday", "2026-03-20T09:00+01:00"),
    ("this friday", "2026-03-13T09:00+01:00"),
    ("this friday 4pm", "2026-03-13T16:00+01:00"),
    ("friday afternoon", "2026-03-13T15:00+01:00"),
    ("friday evening", "2026-03-13T18:00+01:00"),
    ("friday morning", "2026-03-20T09:00+01:00"),
    ("friday midnight", "2026-03-14T00:00+01:00"),
    ("saturday", "2026-03-14T09:00+01:00"),
    ("sunday 2pm", "2026-03-15T14:00+01:00"),
    ("monday", "2026-03-16T09:00+01:00"),
    ("next monday", "2026-03-16T09:00+01:00"),
    ("this monday", "2026-03-16T09:00+01:00"),
    ("coming monday", "2026-03-16T09:00+01:00"),
    ("tuesday at 11", "2026-03-17T11:00+01:00"),
    ("wednesday 4:15pm", "2026-03-18T16:15+01:00"),
    ("thursday morning", "2026-03-19T09:00+01:00"),
    ("3pm on thursday", "2026-03-19T15:00+01:00"),
    ("sun", "2026-03-15T09:00+01:00"),
    ("mon 9am", "2026-03-16T09:00+01:00"),
    ("fri 3pm", "2026-03-13T15:00+01:00"),
    ("wed.", "2026-03-18T09:00+01:00"),
    ("tue 10:00", "2026-03-17T10:00+01:00"),
    ("thurs 8am", "2026-03-19T08:00+01:00"),
    ("next sat", "2026-03-14T09:00+01:00"),
    ("in 2 hours", "2026-03-13T12:00+01:00"),
    ("in 30 minutes", "2026-03-13T10:30+01:00"),
    ("in 3 days", "2026-03-16T09:00+01:00"),
    ("in 3 days at 3pm", "2026-03-16T15:00+01:00"),
    ("in 1 day", "2026-03-14T09:00+01:00"),
    ("in a day", "2026-03-14T09:00+01:00"),
    ("in a week", "2026-03-20T09:00+01:00"),
    ("in 2 weeks", "2026-03-27T09:00+01:00"),
    ("in 3 weeks", "2026-04-03T09:00+02:00"),
    ("in a fortnight", "2026-03-27T09:00+01:00"),
    ("in a month", "2026-04-13T09:00+02:00"),
    ("in 2 months", "2026-05-13T09:00+02:00"),
    ("in an hour", "2026-03-13T11:00+01:00"),
    ("in one hour", "2026-03-13T11:00+01:00"),
    ("in two hours", "2026-03-13T12:00+01:00"),
    ("in half an hour", "2026-03-13T10:30+01:00"),
    ("in a half hour", "2026-03-13T10:30+01:00"),
    ("in an hour and a half", "2026-03-13T11:30+01:00"),
    ("in 2 and a half hours", "2026-03-13T12:30+01:00"),
    ("in 1.5 hours", "2026-03-13T11:30+01:00"),
    ("in 90 minutes", "2026-03-13T11:30+01:00"),
    ("in 90 mins", "2026-03-13T11:30+01:00"),
    ("in 1h30", "2026-03-13T11:30+01:00"),
    ("in 1h 30m", "2026-03-13T11:30+01:00"),
    ("in 2 hours and 15 minutes", "2026-03-13T12:15+01:00"),
    ("in 10 min", "2026-03-13T10:10+01:00"),
    ("in 45m", "2026-03-13T10:45+01:00"),
    ("in 2h", "2026-03-13T12:00+01:00"),
    ("in 3 hrs", "2026-03-13T13:00+01:00"),
    ("in forty five minutes", "2026-03-13T10:45+01:00"),
    ("in forty-five minutes", "2026-03-13T10:45+01:00"),
    ("in a quarter of an hour", "2026-03-13T10:15+01:00"),
    ("in 15 hours", "2026-03-14T01:00+01:00"),
    ("2 hours from now", "2026-03-13T12:00+01:00"),
    ("an hour from now", "2026-03-13T11:00+01:00"),
    ("3 days from now", "2026-03-16T09:00+01:00"),
    ("today 5pm", "2026-03-13T17:00+01:00"),
    ("today at 17:30", "2026-03-13T17:30+01:00"),
    ("today at 9am", "2026-03-13T09:00+01:00"),
    ("today", "2026-03-13T09:00+01:00"),
    ("tonight", "2026-03-13T18:00+01:00"),
    ("tonight at 8", "2026-03-13T20:00+01:00"),
    ("this morning", "2026-03-13T09:00+01:00"),
    ("this afternoon", "2026-03-13T15:00+01:00"),
    ("this evening", "2026-03-13T18:00+01:00"),
    ("this evening at 7", "2026-03-13T19:00+01:00"),
    ("tomorrow morning", "2026-03-14T09:00+01:00"),
    ("tomorrow afternoon", "2026-03-14T15:00+01:00"),
    ("tomorrow evening", "2026-03-14T18:00+01:00"),
    ("tomorrow in the morning", "2026-03-14T09:00+01:00"),
    ("tomorrow morning at 10", "2026-03-14T10:00+01:00"),
    ("tomorrow afternoon at 2", "2026-03-14T14:00+01:00"),
    ("tomorrow at 4 in the afternoon", "2026-03-14T16:00+01:00"),
    ("at 8 in the evening", "2026-03-13T20:00+01:00"),
    ("at 9 in the morning", "2026-03-14T09:00+01:00"),
    ("morning", "2026-03-14T09:00+01:00"),
    ("afternoon", "2026-03-13T15:00+01:00"),
    ("in the evening", "2026-03-13T18:00+01:00"),
    ("noon", "2026-03-13T12:00+01:00"),
    ("at noon", "2026-03-13T12:00+01:00"),
    ("midday", "2026-03-13T12:00+01:00"),
    ("12 noon", "2026-03-13T12:00+01:00"),
    ("at 12 noon", "2026-03-13T12:00+01:00"),
    ("tomorrow noon", "2026-03-14T12:00+01:00"),
    ("tomorrow at noon", "2026-03-14T12:00+01:00"),
    ("midnight", "2026-03-14T00:00+01:00"),
    ("at midnight", "2026-03-14T00:00+01:00"),
    ("12 midnight", "2026-03-14T00:00+01:00"),
    ("tomorrow midnight", "2026-03-15T00:00+01:00"),
    ("12am", "2026-03-14T00:00+01:00"),
    ("12 am", "2026-03-14T00:00+01:00"),
    ("12pm", "2026-03-13T12:00+01:00"),
    ("12:30am", "2026-03-14T00:30+01:00"),
    ("12:30pm", "2026-03-13T12:30+01:00"),
    ("tomorrow 12am", "2026-03-14T00:00+01:00"),
    ("tomorrow 12pm", "2026-03-14T12:00+01:00"),
    ("3:30 pm", "2026-03-13T15:30+01:00"),
    ("3:30pm", "2026-03-13T15:30+01:00"),
    ("3:30PM", "2026-03-13T15:30+01:00"),
    ("3.30pm", "2026-03-13T15:30+01:00"),
    ("3 p.m.", "2026-03-13T15:00+01:00"),
    ("3pm", "2026-03-13T15:00+01:00"),
    ("11am", "2026-03-13T11:00+01:00"),
    ("9am", "2026-03-14T09:00+01:00"),
    ("3 am", "2026-03-14T03:00+01:00"),
    ("@3pm", "2026-03-13T15:00+01:00"),
    ("@ 15:00", "2026-03-13T15:00+01:00"),
    ("at 3", "2026-03-13T15:00+01:00"),  # business hours: 1 to 6 unmarked is the afternoon
    ("at 03", "2026-03-14T03:00+01:00"),
    ("half past 3", "2026-03-13T15:30+01:00"),
    ("at 15", "2026-03-13T15:00+01:00"),
    ("at 9h", "2026-03-14T09:00+01:00"),
    ("around 4pm", "2026-03-13T16:00+01:00"),
    ("Dec 3 2pm", "2026-12-03T14:00+01:00"),
    ("Dec 3, 2pm", "2026-12-03T14:00+01:00"),
    ("Dec. 3 at 2pm", "2026-12-03T14:00+01:00"),
    ("December 3rd, 2026 at 2:00 PM", "2026-12-03T14:00+01:00"),
    ("December 3 2026 14:00", "2026-12-03T14:00+01:00"),
    ("3 December 14:00", "2026-12-03T14:00+01:00"),
    ("3rd of December at 2pm", "2026-12-03T14:00+01:00"),
    ("the 3rd of December, 2026 at 2 PM", "2026-12-03T14:00+01:00"),
    ("on December 3", "2026-12-03T09:00+01:00"),
    ("December the 3rd", "2026-12-03T09:00+01:00"),
    ("Thursday, 3rd December", "2026-12-03T09:00+01:00"),
    ("3 Dec", "2026-12-03T09:00+01:00"),
    ("dec 15th", "2026-12-15T09:00+01:00"),
    ("15th of December", "2026-12-15T09:00+01:00"),
    ("july 1 10am", "2026-07-01T10:00+02:00"),
    ("March 13", "2026-03-13T09:00+01:00"),
    ("March 12", "2027-03-12T09:00+01:00"),
    ("Jan 5", "2027-01-05T09:00+01:00"),
    ("Feb 29", "2028-02-29T09:00+01:00"),
    ("March 29 2:30am", "2026-03-29T03:30+02:00"),
    ("the 15th", "2026-03-15T09:00+01:00"),
    ("on the 15th at 4pm", "2026-03-15T16:00+01:00"),
    ("the 13th", "2026-03-13T09:00+01:00"),
    ("the 1st", "2026-04-01T09:00+02:00"),
    ("the 31st", "2026-03-31T09:00+02:00"),
    ("tuesday the 17th", "2026-03-17T09:00+01:00"),
    ("next week", "2026-03-16T09:00+01:00"),
    ("next week 10am", "2026-03-16T10:00+01:00"),
    ("friday next week", "2026-03-20T09:00+01:00"),
    ("next week wednesday 2pm", "2026-03-18T14:00+01:00"),
    ("next month", "2026-04-01T09:00+02:00"),
    ("day after tomorrow", "2026-03-15T09:00+01:00"),
    ("the day after tomorrow at 2pm", "2026-03-15T14:00+01:00"),
]

FRI_WAW_NUMERIC = [
    ("15:00", "2026-03-13T15:00+01:00"),
    ("15.30", "2026-03-13T15:30+01:00"),
    ("15h", "2026-03-13T15:00+01:00"),
    ("15h30", "2026-03-13T15:30+01:00"),
    ("10h30", "2026-03-13T10:30+01:00"),
    ("9:59", "2026-03-14T09:59+01:00"),
    ("10:00", "2026-03-14T10:00+01:00"),
    ("10:01", "2026-03-13T10:01+01:00"),
    ("23:59", "2026-03-13T23:59+01:00"),
    ("0:00", "2026-03-14T00:00+01:00"),
    ("00:00", "2026-03-14T00:00+01:00"),
    ("00:30", "2026-03-14T00:30+01:00"),
    ("7:05", "2026-03-14T07:05+01:00"),
    ("19:45:00", "2026-03-13T19:45+01:00"),
    ("10.11", "2026-03-13T10:11+01:00"),
    ("2026-12-03 14:00", "2026-12-03T14:00+01:00"),
    ("2026-12-03", "2026-12-03T09:00+01:00"),
    ("2026-12-03T14:00", "2026-12-03T14:00+01:00"),
    ("2026-07-01 10:00", "2026-07-01T10:00+02:00"),
    ("2027-1-5 8:00", "2027-01-05T08:00+01:00"),
    ("03.12.2026 14:00", "2026-12-03T14:00+01:00"),
    ("3.12.2026 o 14", "2026-12-03T14:00+01:00"),
    ("3.12.2026", "2026-12-03T09:00+01:00"),
    ("3.12.", "2026-12-03T09:00+01:00"),
    ("03.12 14:00", "2026-12-03T14:00+01:00"),
    ("14:00 03.12", "2026-12-03T14:00+01:00"),
    ("31.12", "2026-12-31T09:00+01:00"),
    ("1.1.2027", "2027-01-01T09:00+01:00"),
    ("1.1.27", "2027-01-01T09:00+01:00"),
    ("12/3", "2026-12-03T09:00+01:00"),
    ("3/12", "2027-03-12T09:00+01:00"),
    ("31/12", "2026-12-31T09:00+01:00"),
    ("12/03/2026 10am", "2026-12-03T10:00+01:00"),
    ("12/3/26", "2026-12-03T09:00+01:00"),
]

FRI_WAW_PL = [
    ("jutro o 15", "2026-03-14T15:00+01:00"),
    ("jutro o 15:30", "2026-03-14T15:30+01:00"),
    ("jutro o 15.30", "2026-03-14T15:30+01:00"),
    ("Jutro O 15", "2026-03-14T15:00+01:00"),
    ("JUTRO O 15", "2026-03-14T15:00+01:00"),
    ("jutro na 15", "2026-03-14T15:00+01:00"),
    ("jutro o godz. 15", "2026-03-14T15:00+01:00"),
    ("jutro o godzinie 15:30", "2026-03-14T15:30+01:00"),
    ("jutro godz. 9", "2026-03-14T09:00+01:00"),
    ("jutro 15:00", "2026-03-14T15:00+01:00"),
    ("o 15 jutro", "2026-03-14T15:00+01:00"),
    ("jutro", "2026-03-14T09:00+01:00"),
    ("jutro rano", "2026-03-14T09:00+01:00"),
    ("jutro z rana", "2026-03-14T09:00+01:00"),
    ("jutro przed południem", "2026-03-14T09:00+01:00"),
    ("jutro po południu", "2026-03-14T15:00+01:00"),
    ("jutro po południu o 4", "2026-03-14T16:00+01:00"),
    ("jutro wieczorem", "2026-03-14T18:00+01:00"),
    ("jutro w południe", "2026-03-14T12:00+01:00"),
    ("pojutrze rano", "2026-03-15T09:00+01:00"),
    ("pojutrze", "2026-03-15T09:00+01:00"),
    ("pojutrze o 11", "2026-03-15T11:00+01:00"),
    ("w piątek o 10:30", "2026-03-13T10:30+01:00"),
    ("w piatek o 10:30", "2026-03-13T10:30+01:00"),
    ("W PIĄTEK O 10:30", "2026-03-13T10:30+01:00"),
    ("piątek 10:30", "2026-03-13T10:30+01:00"),
    ("piatek 10:30", "2026-03-13T10:30+01:00"),
    ("w piątek o 9", "2026-03-20T09:00+01:00"),
    ("w piątek", "2026-03-20T09:00+01:00"),
    ("w ten piątek", "2026-03-13T09:00+01:00"),
    ("w przyszły piątek", "2026-03-20T09:00+01:00"),
    ("w przyszły wtorek o 9", "2026-03-17T09:00+01:00"),
    ("w przyszly wtorek o 9", "2026-03-17T09:00+01:00"),
    ("przyszły wtorek", "2026-03-17T09:00+01:00"),
    ("w następny czwartek", "2026-03-19T09:00+01:00"),
    ("w przyszłą środę", "2026-03-18T09:00+01:00"),
    ("w najbliższy poniedziałek", "2026-03-16T09:00+01:00"),
    ("we wtorek", "2026-03-17T09:00+01:00"),
    ("we wtorek o 14:15", "2026-03-17T14:15+01:00"),
    ("w środę o 12", "2026-03-18T12:00+01:00"),
    ("w srode o 12", "2026-03-18T12:00+01:00"),
    ("środa", "2026-03-18T09:00+01:00"),
    ("czwartek", "2026-03-19T09:00+01:00"),
    ("w sobotę rano", "2026-03-14T09:00+01:00"),
    ("sobota", "2026-03-14T09:00+01:00"),
    ("w niedzielę wieczorem", "2026-03-15T18:00+01:00"),
    ("niedziela 18:00", "2026-03-15T18:00+01:00"),
    ("poniedziałek rano", "2026-03-16T09:00+01:00"),
    ("poniedzialek rano", "2026-03-16T09:00+01:00"),
    ("w poniedziałek o 8:30", "2026-03-16T08:30+01:00"),
    ("pt 14:00", "2026-03-13T14:00+01:00"),
    ("pt.", "2026-03-20T09:00+01:00"),
    ("czw o 10", "2026-03-19T10:00+01:00"),
    ("pon. 9:00", "2026-03-16T09:00+01:00"),
    ("za 2 godziny", "2026-03-13T12:00+01:00"),
    ("za dwie godziny", "2026-03-13T12:00+01:00"),
    ("za pół godziny", "2026-03-13T10:30+01:00"),
    ("za pol godziny", "2026-03-13T10:30+01:00"),
    ("za półtorej godziny", "2026-03-13T11:30+01:00"),
    ("za 1,5 godziny", "2026-03-13T11:30+01:00"),
    ("za godzinę", "2026-03-13T11:00+01:00"),
    ("za 15 minut", "2026-03-13T10:15+01:00"),
    ("za 10 min", "2026-03-13T10:10+01:00"),
    ("za kwadrans", "2026-03-13T10:15+01:00"),
    ("za czterdzieści pięć minut", "2026-03-13T10:45+01:00"),
    ("za 3 dni", "2026-03-16T09:00+01:00"),
    ("za dzień", "2026-03-14T09:00+01:00"),
    ("za 2 dni o 15", "2026-03-15T15:00+01:00"),
    ("za tydzień", "2026-03-20T09:00+01:00"),
    ("za 2 tygodnie", "2026-03-27T09:00+01:00"),
    ("za miesiąc", "2026-04-13T09:00+02:00"),
    ("dziś o 17", "2026-03-13T17:00+01:00"),
    ("dzis o 17", "2026-03-13T17:00+01:00"),
    ("dzisiaj o 17:30", "2026-03-13T17:30+01:00"),
    ("dziś", "2026-03-13T09:00+01:00"),
    ("dzisiaj wieczorem", "2026-03-13T18:00+01:00"),
    ("dziś wieczorem", "2026-03-13T18:00+01:00"),
    ("dziś wieczór", "2026-03-13T18:00+01:00"),
    ("dzisiaj o 9 wieczorem", "2026-03-13T21:00+01:00"),
    ("dziś po południu", "2026-03-13T15:00+01:00"),
    ("dziś rano", "2026-03-13T09:00+01:00"),
    ("3 grudnia o 14", "2026-12-03T14:00+01:00"),
    ("3 grudnia", "2026-12-03T09:00+01:00"),
    ("3 gru 14:00", "2026-12-03T14:00+01:00"),
    ("grudzień 3", "2026-12-03T09:00+01:00"),
    ("24 grudnia 2026 o 18", "2026-12-24T18:00+01:00"),
    ("1 maja", "2026-05-01T09:00+02:00"),
    ("13 marca o 16", "2026-03-13T16:00+01:00"),
    ("12 marca", "2027-03-12T09:00+01:00"),
    ("15 października o 10:00", "2026-10-15T10:00+02:00"),
    ("15 pazdziernika o 10:00", "2026-10-15T10:00+02:00"),
    ("w czwartek 3 grudnia o 14", "2026-12-03T14:00+01:00"),
    ("o północy", "2026-03-14T00:00+01:00"),
    ("o polnocy", "2026-03-14T00:00+01:00"),
    ("północ", "2026-03-14T00:00+01:00"),
    ("w południe", "2026-03-13T12:00+01:00"),
    ("po południu", "2026-03-13T15:00+01:00"),
    ("popołudniu", "2026-03-13T15:00+01:00"),
    ("rano", "2026-03-14T09:00+01:00"),
    ("rankiem", "2026-03-14T09:00+01:00"),
    ("wieczorem", "2026-03-13T18:00+01:00"),
    ("o 3 po południu", "2026-03-13T15:00+01:00"),
    ("o 8 wieczorem", "2026-03-13T20:00+01:00"),
    ("o 9 rano", "2026-03-14T09:00+01:00"),
    ("o 15", "2026-03-13T15:00+01:00"),
    ("o trzeciej", "2026-03-13T15:00+01:00"),
    ("o 3", "2026-03-13T15:00+01:00"),
    ("o 3 w nocy", "2026-03-14T03:00+01:00"),
    ("o 9", "2026-03-14T09:00+01:00"),
    ("o 15 w piątek", "2026-03-13T15:00+01:00"),
    ("o 9h", "2026-03-14T09:00+01:00"),
    ("na 15:00", "2026-03-13T15:00+01:00"),
    ("około 16", "2026-03-13T16:00+01:00"),
    ("w przyszłym tygodniu", "2026-03-16T09:00+01:00"),
    ("w przyszłym tygodniu w środę", "2026-03-18T09:00+01:00"),
    ("przyszły tydzień", "2026-03-16T09:00+01:00"),
    ("w następnym tygodniu o 10", "2026-03-16T10:00+01:00"),
    ("w przyszłym miesiącu", "2026-04-01T09:00+02:00"),
]

NOTHING = [
    "",
    "   ",
    "blah",
    "asdf 99",
    "next blorp",
    "next",
    "99",
    "15",
    "2026",
    "#15",
    "v2.1",
    "Jane Doe",
    "Sun Corp",
    "meeting tomorrow",
    "tomorrow blah",
    "tomorrow at",
    "tomorrow 9",
    "jutro 15",
    "o",
    "at",
    "in",
    "za",
    "za blah",
    "in a while",
    "o 25",
    "at 24",
    "24:00",
    "25:00",
    "3:75",
    "13pm",
    "0am",
    "25pm",
    "tomorrow 25pm",
    "at 3xx",
    "in 0 minutes",
    "in 1.5 days",
    "tomorrow 3pm 4pm",
    "tomorrow friday",
    "dziś jutro",
    "tuesday wednesday",
    "morning 15:00",
    "tomorrow at 3am in the evening",
    "rano wieczorem",
    "noon 3pm",
    "2026-02-30",
    "2026-13-01",
    "30 feb",
    "February 30",
    "December 32",
    "31.02.2026",
    "13/13",
    "9h",
    "2h",
    "1h30",
    "45m",
    "15 minutes",
    "1 hour",
    "half an hour",
    "pół godziny",
    "jutro 15:00-16:00",
    "yesterday",
    "wczoraj",
    "December",
    "grudnia",
    "asdf December 5",
    "December 5 blah",
    "weekend",
]


@pytest.mark.parametrize(("phrase", "expected"), FRI_WAW_EN)
def test_english_from_friday_in_warsaw(phrase: str, expected: str) -> None:
    check(phrase, FRI_WAW, expected)


@pytest.mark.parametrize(("phrase", "expected"), FRI_WAW_NUMERIC)
def test_numeric_from_friday_in_warsaw(phrase: str, expected: str) -> None:
    check(phrase, FRI_WAW, expected)


@pytest.mark.parametrize(("phrase", "expected"), FRI_WAW_PL)
def test_polish_from_friday_in_warsaw(phrase: str, expected: str) -> None:
    check(phrase, FRI_WAW, expected)


@pytest.mark.parametrize("phrase", NOTHING)
def test_not_a_time_is_none(phrase: str) -> None:
    check(phrase, FRI_WAW, None)
    assert find_when(phrase, FRI_WAW) is None or phrase in {
        "meeting tomorrow", "tomorrow blah", "tomorrow at", "tomorrow 9", "jutro 15",
        "tomorrow 25pm", "tomorrow 3pm 4pm", "tomorrow friday", "dziś jutro",
        "tuesday wednesday", "morning 15:00", "rano wieczorem", "noon 3pm",
        "jutro 15:00-16:00", "asdf December 5", "December 5 blah", "tomorrow at 3am in the evening",
    }  # fmt: skip


# --------------------------------------------------------------------------- other zones


MON_NYC_CASES = [
    ("tomorrow 3pm", "2026-06-16T15:00-04:00"),
    ("3pm", "2026-06-15T15:00-04:00"),
    ("2pm", "2026-06-16T14:00-04:00"),
    ("2:30pm", "2026-06-16T14:30-04:00"),
    ("2:31pm", "2026-06-15T14:31-04:00"),
    ("monday 4pm", "2026-06-15T16:00-04:00"),
    ("monday 9am", "2026-06-22T09:00-04:00"),
    ("monday", "2026-06-22T09:00-04:00"),
    ("next monday 4pm", "2026-06-22T16:00-04:00"),
    ("this monday", "2026-06-15T09:00-04:00"),
    ("monday evening", "2026-06-15T18:00-04:00"),
    ("tonight", "2026-06-15T18:00-04:00"),
    ("noon", "2026-06-16T12:00-04:00"),
    ("midnight", "2026-06-16T00:00-04:00"),
    ("in 2 hours", "2026-06-15T16:30-04:00"),
    ("in 45 minutes", "2026-06-15T15:15-04:00"),
    ("in 10 hours", "2026-06-16T00:30-04:00"),
    ("next week", "2026-06-22T09:00-04:00"),
    ("friday", "2026-06-19T09:00-04:00"),
    ("sunday", "2026-06-21T09:00-04:00"),
    ("6/20", "2026-06-20T09:00-04:00"),
    ("6/1", "2027-06-01T09:00-04:00"),
    ("7/4 at 10am", "2026-07-04T10:00-04:00"),
    ("July 4th at 10am", "2026-07-04T10:00-04:00"),
    ("Nov 3 9am", "2026-11-03T09:00-05:00"),
    ("dec 25", "2026-12-25T09:00-05:00"),
    ("next month", "2026-07-01T09:00-04:00"),
    ("in a month", "2026-07-15T09:00-04:00"),
    ("in 2 months", "2026-08-15T09:00-04:00"),
    ("the 30th", "2026-06-30T09:00-04:00"),
    ("the 15th", "2026-06-15T09:00-04:00"),
    ("the 31st", "2026-07-31T09:00-04:00"),
    ("afternoon", "2026-06-15T15:00-04:00"),
    ("this afternoon", "2026-06-15T15:00-04:00"),
    ("morning", "2026-06-16T09:00-04:00"),
]

WED_KOL_CASES = [
    ("tomorrow 9am", "2026-09-17T09:00+05:30"),
    ("7pm", "2026-09-16T19:00+05:30"),
    ("6pm", "2026-09-17T18:00+05:30"),
    ("18:45", "2026-09-17T18:45+05:30"),
    ("18:46", "2026-09-16T18:46+05:30"),
    ("tonight", "2026-09-16T18:00+05:30"),
    ("evening", "2026-09-17T18:00+05:30"),
    ("in 30 minutes", "2026-09-16T19:15+05:30"),
    ("in 6 hours", "2026-09-17T00:45+05:30"),
    ("midnight", "2026-09-17T00:00+05:30"),
    ("wednesday 8pm", "2026-09-16T20:00+05:30"),
    ("wednesday 6pm", "2026-09-23T18:00+05:30"),
    ("next wednesday", "2026-09-23T09:00+05:30"),
    ("friday 10:30", "2026-09-18T10:30+05:30"),
    ("jutro o 10", "2026-09-17T10:00+05:30"),
    ("30.09", "2026-09-30T09:00+05:30"),
    ("October 1", "2026-10-01T09:00+05:30"),
    ("1 Sept", "2027-09-01T09:00+05:30"),
    ("the 16th", "2026-09-16T09:00+05:30"),
    ("the 15th", "2026-10-15T09:00+05:30"),
    ("the 31st", "2026-10-31T09:00+05:30"),
    ("next week", "2026-09-21T09:00+05:30"),
    ("za 2 godziny", "2026-09-16T20:45+05:30"),
]

NYE_UTC_CASES = [
    ("tomorrow 9am", "2027-01-01T09:00+00:00"),
    ("midnight", "2027-01-01T00:00+00:00"),
    ("o północy", "2027-01-01T00:00+00:00"),
    ("12am", "2027-01-01T00:00+00:00"),
    ("in 2 hours", "2027-01-01T01:00+00:00"),
    ("in 90 minutes", "2027-01-01T00:30+00:00"),
    ("Jan 3", "2027-01-03T09:00+00:00"),
    ("3 jan", "2027-01-03T09:00+00:00"),
    ("3 stycznia o 10", "2027-01-03T10:00+00:00"),
    ("1/1", "2027-01-01T09:00+00:00"),
    ("the 1st", "2027-01-01T09:00+00:00"),
    ("monday", "2027-01-04T09:00+00:00"),
    ("friday", "2027-01-01T09:00+00:00"),
    ("thursday", "2027-01-07T09:00+00:00"),
    ("thursday 11:30pm", "2026-12-31T23:30+00:00"),
    ("next week", "2027-01-04T09:00+00:00"),
    ("next month", "2027-01-01T09:00+00:00"),
    ("in a month", "2027-01-31T09:00+00:00"),
    ("in 2 months", "2027-02-28T09:00+00:00"),
    ("in 2 days", "2027-01-02T09:00+00:00"),
    ("31.12", "2026-12-31T09:00+00:00"),
    ("dec 31", "2026-12-31T09:00+00:00"),
    ("dec 30", "2027-12-30T09:00+00:00"),
    ("11pm", "2027-01-01T23:00+00:00"),
    ("11:30pm", "2026-12-31T23:30+00:00"),
    ("za tydzień", "2027-01-07T09:00+00:00"),
    ("jutro rano", "2027-01-01T09:00+00:00"),
    ("pojutrze", "2027-01-02T09:00+00:00"),
    ("tonight", "2026-12-31T18:00+00:00"),
]


@pytest.mark.parametrize(("phrase", "expected"), MON_NYC_CASES)
def test_new_york_monday(phrase: str, expected: str) -> None:
    check(phrase, MON_NYC, expected)


@pytest.mark.parametrize(("phrase", "expected"), WED_KOL_CASES)
def test_kolkata_wednesday_evening(phrase: str, expected: str) -> None:
    check(phrase, WED_KOL, expected)


@pytest.mark.parametrize(("phrase", "expected"), NYE_UTC_CASES)
def test_year_rollover_in_utc(phrase: str, expected: str) -> None:
    check(phrase, NYE_UTC, expected)


@pytest.mark.parametrize(
    ("now", "phrase", "expected"),
    [
        (datetime(2026, 1, 31, 12, 0, tzinfo=WAW), "in a month", "2026-02-28T09:00+01:00"),
        (datetime(2026, 1, 31, 12, 0, tzinfo=WAW), "next month", "2026-02-01T09:00+01:00"),
        (datetime(2026, 1, 31, 12, 0, tzinfo=WAW), "tomorrow 8am", "2026-02-01T08:00+01:00"),
        (datetime(2026, 1, 31, 12, 0, tzinfo=WAW), "the 31st", "2026-01-31T09:00+01:00"),
        (datetime(2026, 2, 1, 12, 0, tzinfo=WAW), "the 30th", "2026-03-30T09:00+02:00"),
        (datetime(2028, 2, 28, 12, 0, tzinfo=WAW), "tomorrow", "2028-02-29T09:00+01:00"),
        (datetime(2026, 2, 28, 12, 0, tzinfo=WAW), "tomorrow", "2026-03-01T09:00+01:00"),
        (datetime(2026, 4, 30, 23, 30, tzinfo=WAW), "in 1 hour", "2026-05-01T00:30+02:00"),
        (datetime(2026, 12, 28, 9, 0, tzinfo=WAW), "next week", "2027-01-04T09:00+01:00"),
        (datetime(2026, 12, 31, 23, 59, tzinfo=WAW), "23:59", "2027-01-01T23:59+01:00"),
        (datetime(2026, 12, 31, 12, 0, tzinfo=WAW), "sylwester", None),
        (datetime(2026, 3, 15, 12, 0, tzinfo=WAW), "sunday", "2026-03-22T09:00+01:00"),
        (datetime(2026, 3, 15, 12, 0, tzinfo=WAW), "next week", "2026-03-16T09:00+01:00"),
        (datetime(2026, 3, 15, 12, 0, tzinfo=WAW), "w niedzielę o 18", "2026-03-15T18:00+01:00"),
        (datetime(2026, 3, 12, 10, 0, tzinfo=WAW), "next friday", "2026-03-13T09:00+01:00"),
        (datetime(2026, 3, 12, 10, 0, tzinfo=WAW), "friday", "2026-03-13T09:00+01:00"),
        (datetime(2026, 3, 12, 10, 0, tzinfo=WAW), "this friday", "2026-03-13T09:00+01:00"),
        (datetime(2026, 3, 12, 10, 0, tzinfo=WAW), "next thursday 11:00", "2026-03-19T11:00+01:00"),
        (datetime(2026, 3, 12, 10, 0, tzinfo=WAW), "thursday 11:00", "2026-03-12T11:00+01:00"),
        (datetime(2026, 3, 13, 23, 30, tzinfo=WAW), "tonight", "2026-03-13T18:00+01:00"),
        (datetime(2026, 3, 13, 23, 30, tzinfo=WAW), "midnight", "2026-03-14T00:00+01:00"),
        (datetime(2026, 3, 14, 0, 0, tzinfo=WAW), "midnight", "2026-03-15T00:00+01:00"),
        (datetime(2026, 3, 14, 0, 0, tzinfo=WAW), "12am", "2026-03-15T00:00+01:00"),
        (datetime(2026, 3, 13, 11, 59, tzinfo=WAW), "12pm", "2026-03-13T12:00+01:00"),
        (datetime(2026, 3, 13, 12, 0, tzinfo=WAW), "12pm", "2026-03-14T12:00+01:00"),
        (datetime(2026, 3, 13, 10, 0, 30, tzinfo=WAW), "10:00", "2026-03-14T10:00+01:00"),
    ],
)
def test_rollovers(now: datetime, phrase: str, expected: str | None) -> None:
    check(phrase, now, expected)


# --------------------------------------------------------------------------- daylight saving

DST_CASES = [
    # Europe/Warsaw springs forward 02:00 CET -> 03:00 CEST on Sunday 2026-03-29.
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "02:30", "2026-03-29T03:30+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "o 02:30", "2026-03-29T03:30+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "2:30am", "2026-03-29T03:30+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "03:00", "2026-03-29T03:00+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "01:30", "2026-03-29T01:30+01:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "0:30", "2026-03-30T00:30+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "in 1 hour", "2026-03-29T03:00+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "in 2 hours", "2026-03-29T04:00+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "za 90 minut", "2026-03-29T03:30+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "noon", "2026-03-29T12:00+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "midnight", "2026-03-30T00:00+02:00"),
    (datetime(2026, 3, 29, 1, 0, tzinfo=WAW), "tomorrow 9am", "2026-03-30T09:00+02:00"),
    (datetime(2026, 3, 28, 12, 0, tzinfo=WAW), "tomorrow 02:30", "2026-03-29T03:30+02:00"),
    (datetime(2026, 3, 28, 12, 0, tzinfo=WAW), "tomorrow 01:59", "2026-03-29T01:59+01:00"),
    (datetime(2026, 3, 28, 12, 0, tzinfo=WAW), "tomorrow 9am", "2026-03-29T09:00+02:00"),
    (datetime(2026, 3, 28, 12, 0, tzinfo=WAW), "sunday 2am", "2026-03-29T03:00+02:00"),
    (datetime(2026, 3, 28, 12, 0, tzinfo=WAW), "in 24 hours", "2026-03-29T13:00+02:00"),
    (datetime(2026, 3, 28, 12, 0, tzinfo=WAW), "jutro o 12", "2026-03-29T12:00+02:00"),
    # Europe/Warsaw falls back 03:00 CEST -> 02:00 CET on Sunday 2026-10-25.
    (datetime(2026, 10, 25, 1, 30, tzinfo=WAW), "02:30", "2026-10-25T02:30+02:00"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=WAW), "03:00", "2026-10-25T03:00+01:00"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=WAW), "in 1 hour", "2026-10-25T02:30+02:00"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=WAW), "in 2 hours", "2026-10-25T02:30+01:00"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=WAW), "in 90 minutes", "2026-10-25T02:00+01:00"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=WAW), "tomorrow 02:30", "2026-10-26T02:30+01:00"),
    (datetime(2026, 10, 25, 2, 15, fold=1, tzinfo=WAW), "02:30", "2026-10-25T02:30+01:00"),
    (datetime(2026, 10, 25, 2, 15, fold=1, tzinfo=WAW), "02:00", "2026-10-26T02:00+01:00"),
    (datetime(2026, 10, 24, 12, 0, tzinfo=WAW), "tomorrow 02:30", "2026-10-25T02:30+02:00"),
    (datetime(2026, 10, 24, 12, 0, tzinfo=WAW), "tomorrow 9am", "2026-10-25T09:00+01:00"),
    (datetime(2026, 10, 24, 12, 0, tzinfo=WAW), "in 24 hours", "2026-10-25T11:00+01:00"),
    (datetime(2026, 10, 24, 12, 0, tzinfo=WAW), "next week", "2026-10-26T09:00+01:00"),
    # America/New_York springs forward 02:00 EST -> 03:00 EDT on 2026-03-08.
    (datetime(2026, 3, 8, 1, 0, tzinfo=NYC), "2:30am", "2026-03-08T03:30-04:00"),
    (datetime(2026, 3, 8, 1, 0, tzinfo=NYC), "2am", "2026-03-08T03:00-04:00"),
    (datetime(2026, 3, 8, 1, 0, tzinfo=NYC), "3am", "2026-03-08T03:00-04:00"),
    (datetime(2026, 3, 8, 1, 0, tzinfo=NYC), "in 2 hours", "2026-03-08T04:00-04:00"),
    (datetime(2026, 3, 7, 20, 0, tzinfo=NYC), "tomorrow 2:15am", "2026-03-08T03:15-04:00"),
    (datetime(2026, 3, 7, 20, 0, tzinfo=NYC), "tomorrow 10am", "2026-03-08T10:00-04:00"),
    (datetime(2026, 3, 7, 20, 0, tzinfo=NYC), "in 12 hours", "2026-03-08T09:00-04:00"),
    # America/New_York falls back 02:00 EDT -> 01:00 EST on 2026-11-01.
    (datetime(2026, 11, 1, 0, 30, tzinfo=NYC), "1:30am", "2026-11-01T01:30-04:00"),
    (datetime(2026, 11, 1, 0, 30, tzinfo=NYC), "in 1 hour", "2026-11-01T01:30-04:00"),
    (datetime(2026, 11, 1, 0, 30, tzinfo=NYC), "in 2 hours", "2026-11-01T01:30-05:00"),
    (datetime(2026, 11, 1, 0, 30, tzinfo=NYC), "2am", "2026-11-01T02:00-05:00"),
    (datetime(2026, 11, 1, 0, 30, tzinfo=NYC), "tomorrow 9am", "2026-11-02T09:00-05:00"),
    (datetime(2026, 10, 31, 12, 0, tzinfo=NYC), "tomorrow 1:30am", "2026-11-01T01:30-04:00"),
    (datetime(2026, 10, 31, 12, 0, tzinfo=NYC), "tomorrow noon", "2026-11-01T12:00-05:00"),
]


@pytest.mark.parametrize(("now", "phrase", "expected"), DST_CASES)
def test_daylight_saving_transitions(now: datetime, phrase: str, expected: str) -> None:
    check(phrase, now, expected)


def test_gap_time_is_a_real_instant_after_the_gap() -> None:
    result = parse_when("02:30", datetime(2026, 3, 29, 1, 0, tzinfo=WAW))
    assert result is not None
    assert result.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_relative_hours_count_real_time_across_fall_back() -> None:
    now = datetime(2026, 10, 25, 1, 30, tzinfo=WAW)
    result = parse_when("in 2 hours", now)
    assert result is not None
    assert result.astimezone(UTC) - now.astimezone(UTC) == datetime(2026, 1, 1, 2) - datetime(
        2026, 1, 1
    )
    assert result.fold == 1


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("phrase", "languages", "expected"),
    [
        ("3/12", ("pl", "en"), "2026-12-03T09:00+01:00"),
        ("12/3", ("pl", "en"), "2027-03-12T09:00+01:00"),
        ("3/12", ("pl",), "2026-12-03T09:00+01:00"),
        ("3/12", ("en",), "2027-03-12T09:00+01:00"),
        ("13/12", ("en",), "2026-12-13T09:00+01:00"),
        ("jutro o 15", ("en",), None),
        ("jutro o 15", ("pl",), "2026-03-14T15:00+01:00"),
        ("jutro o 15", ("pl-PL",), "2026-03-14T15:00+01:00"),
        ("tomorrow 3pm", ("pl",), None),
        ("tomorrow 3pm", ("en_US",), "2026-03-14T15:00+01:00"),
        ("3pm", ("pl",), "2026-03-13T15:00+01:00"),
        ("15:00", ("de",), "2026-03-13T15:00+01:00"),
        ("2026-12-03 14:00", (), "2026-12-03T14:00+01:00"),
        ("o 15", ("en",), None),
        ("at 15", ("pl",), None),
        ("friday", ("pl",), None),
        ("piątek", ("en",), None),
    ],
)
def test_languages_restrict_the_vocabulary(
    phrase: str, languages: tuple[str, ...], expected: str | None
) -> None:
    check(phrase, FRI_WAW, expected, languages)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_when("tomorrow", datetime(2026, 3, 13, 10, 0))


def test_fixed_offset_zone_is_accepted() -> None:
    from datetime import timedelta, timezone

    now = datetime(2026, 3, 13, 10, 0, tzinfo=timezone(timedelta(hours=-3)))
    assert iso(parse_when("tomorrow 3pm", now)) == "2026-03-14T15:00-03:00"


# --------------------------------------------------------------------------- find_when


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ('Jane Doe tomorrow 3pm 45m "Demo"', "tomorrow 3pm", "2026-03-14T15:00+01:00"),
        ("Call Acme next friday at 10:30 please", "next friday at 10:30", "2026-03-20T10:30+01:00"),
        ("Sun Corp tomorrow", "tomorrow", "2026-03-14T09:00+01:00"),
        ("Jan Kowalski jutro o 15 pół godziny", "jutro o 15", "2026-03-14T15:00+01:00"),
        ("spotkanie 3 grudnia o 14 w biurze", "3 grudnia o 14", "2026-12-03T14:00+01:00"),
        ("demo in 2 hours with Bob", "in 2 hours", "2026-03-13T12:00+01:00"),
        ("Acme Corp, Friday, 10:30, 1h", "Friday, 10:30", "2026-03-13T10:30+01:00"),
        ("Ticket 1234 2026-12-03 14:00", "2026-12-03 14:00", "2026-12-03T14:00+01:00"),
        ("Jane at 3pm", "at 3pm", "2026-03-13T15:00+01:00"),
        ("Jane friday then tomorrow 3pm", "tomorrow 3pm", "2026-03-14T15:00+01:00"),
        ("Jane tomorrow or friday", "tomorrow", "2026-03-14T09:00+01:00"),
        ("Sun 3pm review", "Sun 3pm", "2026-03-15T15:00+01:00"),
        ("John Smith Wed at 9", "Wed at 9", "2026-03-18T09:00+01:00"),
        ("Maja Nowak 3 maja o 12", "3 maja o 12", "2026-05-03T12:00+02:00"),
        ("Jane Doe tomorrow 3pm 4pm", "tomorrow 3pm", "2026-03-14T15:00+01:00"),
    ],
)
def test_find_when_returns_the_span_of_the_phrase(text: str, phrase: str, expected: str) -> None:
    found = find_when(text, FRI_WAW)
    assert found is not None
    result, (start, end) = found
    assert text[start:end] == phrase
    assert iso(result) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Jane Doe",
        "Sun Corp",
        "Sun Microsystems renewal",
        "Wed Corp",
        "May Smith",
        "Deal 2024",
        "Order #15",
        "version 2h",
        "Jane 45m",
        "",
    ],
)
def test_find_when_ignores_names_and_numbers(text: str) -> None:
    assert find_when(text, FRI_WAW) is None


def test_scan_reports_time_words_it_did_not_use() -> None:
    text = "Jane tomorrow 3pm 4pm Acme friday"
    scan = scan_when(text, FRI_WAW)
    assert scan.found is not None
    assert text[slice(*scan.found[1])] == "tomorrow 3pm"
    assert [text[s:e] for s, e in scan.unused] == ["4pm", "friday"]


def test_scan_can_refuse_a_lone_abbreviated_weekday() -> None:
    assert scan_when("Sun", FRI_WAW, weak_alone=False).found is None
    assert scan_when("Sun", FRI_WAW).found is not None


@pytest.mark.parametrize(
    "phrase",
    [p for p, _ in FRI_WAW_EN[:60]]
    + [p for p, _ in FRI_WAW_PL[:60]]
    + [p for p, _ in FRI_WAW_NUMERIC],
)
def test_parse_when_equals_find_when_on_the_whole_text(phrase: str) -> None:
    found = find_when(phrase, FRI_WAW)
    parsed = parse_when(phrase, FRI_WAW)
    assert found is not None
    assert found[0] == parsed
    assert phrase[found[1][1] :].strip(" .,") == "" and phrase[: found[1][0]].strip() == ""


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("45m", 45), ("1h30", 90), ("1.5h", 90), ("an hour", 60), ("pół godziny", 30),
        ("2 godziny", 120), ("0m", None), ("1.33h", None), ("1h75", None),
    ],
)  # fmt: skip
def test_iter_durations(text: str, minutes: int | None) -> None:
    found = list(iter_durations(text))
    assert [(d.minutes, d.span) for d in found] == [(minutes, (0, len(text)))]
