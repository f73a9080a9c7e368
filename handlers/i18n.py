"""Translations: every text a person reads, in the reader's language.

Catalogues are standard gettext `.po` files, one per language, at
`handlers/locale/<lang>/LC_MESSAGES/meetline.po`; the message ids are the English texts
in the code. They are compiled in memory with Babel when first needed (no build step,
nothing to go stale), and a folder there is all it takes to add a language.

How to use it::

    t = translator(language_for(profile.locale, workspace.default_language))
    t.gettext("Pick the start time.")
    t.gettext("Keep the title under {max} characters.", max=250)   # placeholders after translation
    t.ngettext("{n} reminder", "{n} reminders", count)              # `n` is filled in for you
    t.format_date(start_utc, "Europe/Warsaw", "full")                # "czwartek, 3 grudnia 2026"
    t.format_time(start_utc, "Europe/Warsaw")                        # "15:00" / "3:00 PM"
    t.format_datetime(start_utc, "Europe/Warsaw")                    # medium date and time

Strings defined as constants are marked with `N_("…")` (which returns its argument) and
translated where they are shown: `t.gettext(LABEL)`.

Rules the catalogue test (tests/unit/test_i18n_catalogues.py) enforces: the first
argument of `gettext`, `ngettext` (and the second) and `N_` is a string literal, never an
f-string or a concatenation; placeholders are named `{name}` and every translation uses
exactly the msgid's placeholders; every supported language but English translates every
message. A comment starting `# Translators:` right above a call reaches the translator.

The catalogue tooling (extraction, checks, `make messages`) is in handlers.i18n_tools.
"""

from __future__ import annotations

import gettext as _gettext
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from functools import cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as babel_dates
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

DOMAIN: Final = "meetline"
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE: Final = "en"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a constant for extraction; translate it where it is shown with `t.gettext`."""
    return message


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _supported() -> tuple[str, ...]:
    if not LOCALE_DIR.is_dir():
        return (DEFAULT_LANGUAGE,)
    found = sorted(p.name for p in LOCALE_DIR.iterdir() if catalogue_path(p.name).is_file())
    return tuple(found) or (DEFAULT_LANGUAGE,)


SUPPORTED: Final[tuple[str, ...]] = _supported()
"""Languages with a catalogue folder, e.g. ("en", "pl")."""


def language_for(locale: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The supported language for a Slack locale or language tag; `default` otherwise.

    "pl-PL", "pl_PL", "PL" and "pl" all give "pl"; a region-specific catalogue folder
    (say "pt_BR") is preferred to the bare language when it exists.
    """
    if locale:
        parts = locale.strip().replace("-", "_").split("_")
        base = parts[0].lower()
        candidates = [f"{base}_{parts[1].upper()}"] if len(parts) > 1 and parts[1] else []
        candidates.append(base)
        for candidate in candidates:
            if candidate in SUPPORTED:
                return candidate
    if default != DEFAULT_LANGUAGE and default != locale:
        return language_for(default, DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE


# --------------------------------------------------------------------------- catalogues


def load_catalogue(language: str) -> Catalog:
    """The parsed `.po` file of a supported language (fuzzy entries included)."""
    with catalogue_path(language).open("rb") as handle:
        return read_po(handle, locale=language.replace("-", "_"), domain=DOMAIN)


def _compile(catalogue: Catalog) -> _gettext.GNUTranslations:
    buffer = io.BytesIO()
    write_mo(buffer, catalogue, use_fuzzy=False)  # fuzzy entries fall back to English
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


class _KeepMissing(dict[str, Any]):
    """Unknown placeholders stay visible as "{name}" instead of raising in a mail job."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, fallback: str, values: Mapping[str, Any]) -> str:
    if "{" not in text and "}" not in text:  # most texts: nothing to fill, nothing to parse
        return text
    for candidate in (text, fallback):
        try:
            # str.format_map is string.Formatter().vformat in C: ~10x less CPU per text,
            # and a confirmation fills a dozen of them.
            return candidate.format_map(_KeepMissing(values))
        except (ValueError, IndexError, AttributeError, KeyError) as exc:
            log.warning("cannot fill placeholders of %r: %s", candidate, exc)
    return text


def _zone(zone: str | tzinfo | None) -> tzinfo | None:
    if zone is None or isinstance(zone, tzinfo):
        return zone
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


@dataclass(frozen=True)
class Translator:
    """One language's texts and date formats. Get one with `translator(language)`."""

    language: str
    translations: _gettext.NullTranslations = field(repr=False)
    locale: Locale = field(repr=False)

    def gettext(self, message: str, /, **values: Any) -> str:
        """`message` (an English literal) in this language, `{placeholders}` filled from `values`."""
        return _fill(self.translations.gettext(message), message, values)

    def ngettext(self, singular: str, plural: str, n: int, /, **values: Any) -> str:
        """The form for `n` by the language's plural rules; `{n}` is available as a placeholder."""
        chosen = self.translations.ngettext(singular, plural, n)
        return _fill(chosen, singular if n == 1 else plural, {"n": n, **values})

    # Dates: `zone` (an IANA name or tzinfo) converts aware values first; naive values are
    # taken as wall time already. `format` is "short", "medium", "long", "full" or a CLDR
    # pattern ("EEEE, d MMMM y"); the words (weekdays, months, AM/PM) follow the language.

    def format_date(
        self, moment: date | datetime, zone: str | tzinfo | None = None, format: str = "long"
    ) -> str:
        if isinstance(moment, datetime):
            moment = self._local(moment, zone).date()
        return babel_dates.format_date(moment, format, locale=self.locale)

    def format_time(
        self, moment: datetime | time, zone: str | tzinfo | None = None, format: str = "short"
    ) -> str:
        if isinstance(moment, datetime):
            moment = self._local(moment, zone)
        return babel_dates.format_time(moment, format, locale=self.locale)

    def format_datetime(
        self, moment: datetime, zone: str | tzinfo | None = None, format: str = "medium"
    ) -> str:
        return babel_dates.format_datetime(self._local(moment, zone), format, locale=self.locale)

    @staticmethod
    def _local(moment: datetime, zone: str | tzinfo | None) -> datetime:
        target = _zone(zone)
        if target is None or moment.tzinfo is None:
            return moment
        return moment.astimezone(target)


@cache
def _translator(language: str) -> Translator:
    try:
        translations: _gettext.NullTranslations = _compile(load_catalogue(language))
    except FileNotFoundError:
        translations = _gettext.NullTranslations()
    return Translator(language, translations, Locale.parse(language))


def translator(language: str | None) -> Translator:
    """The cached translator for a language or locale ("pl", "pl-PL"); English when unknown."""
    return _translator(language_for(language))
