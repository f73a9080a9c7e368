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

`python -m handlers.i18n extract` writes `handlers/locale/meetline.pot` and lists what
each catalogue lacks (exit status 1 when something does); `python -m handlers.i18n
update` also merges the missing entries into every translation's `.po` file (empty, or
fuzzy when a similar old message was translated) for the translator to fill.
"""

from __future__ import annotations

import ast
import gettext as _gettext
import io
import logging
import string
import sys
from collections.abc import Iterable, Mapping, Sequence
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
from babel.messages.pofile import read_po, write_po

log = logging.getLogger(__name__)

DOMAIN: Final = "meetline"
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
DEFAULT_LANGUAGE: Final = "en"
PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES: Final = ("bot", "handlers", "adapters", "storage")


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


_FORMATTER: Final = string.Formatter()


def _fill(text: str, fallback: str, values: Mapping[str, Any]) -> str:
    for candidate in (text, fallback):
        try:
            return _FORMATTER.vformat(candidate, (), _KeepMissing(values))
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

    def format_date(self, moment: date | datetime, zone: str | tzinfo | None = None,
                    format: str = "long") -> str:
        if isinstance(moment, datetime):
            moment = self._local(moment, zone).date()
        return babel_dates.format_date(moment, format, locale=self.locale)

    def format_time(self, moment: datetime | time, zone: str | tzinfo | None = None,
                    format: str = "short") -> str:
        if isinstance(moment, datetime):
            moment = self._local(moment, zone)
        return babel_dates.format_time(moment, format, locale=self.locale)

    def format_datetime(self, moment: datetime, zone: str | tzinfo | None = None,
                        format: str = "medium") -> str:
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


# --------------------------------------------------------------------------- extraction

KEYWORDS: Final = {"gettext": 1, "ngettext": 2, "N_": 1}
"""Marker name -> how many leading arguments are message ids."""


@dataclass
class Message:
    msgid: str
    plural: str | None = None
    locations: list[tuple[str, int]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


@dataclass
class Extracted:
    messages: dict[str, Message] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # "path:line: why"


def _marker_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_computed_text(node: ast.expr) -> bool:
    """An f-string, a concatenation or "...".format(): text that can never be in a catalogue."""
    if isinstance(node, ast.JoinedStr | ast.BinOp):
        return True
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("format", "format_map") and isinstance(node.func.value, ast.Constant))


def _translator_comment(lines: Sequence[str], lineno: int) -> list[str]:
    block: list[str] = []
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith("#"):
        block.insert(0, lines[index].strip().lstrip("#").strip())
        index -= 1
    for start, text in enumerate(block):
        if text.startswith("Translators:"):
            return [" ".join(block[start:])]
    return []


def extract_source(source: str, filename: str, into: Extracted | None = None) -> Extracted:
    """Messages marked in one module's source (see KEYWORDS)."""
    out = into if into is not None else Extracted()
    lines = source.splitlines()
    calls = sorted((n for n in ast.walk(ast.parse(source, filename)) if isinstance(n, ast.Call)),
                   key=lambda n: (n.lineno, n.col_offset))
    for node in calls:
        name = _marker_name(node.func)
        count = KEYWORDS.get(name or "")
        if count is None or len(node.args) < count:
            continue
        args = node.args[:count]
        where = f"{filename}:{node.lineno}"
        if any(_is_computed_text(a) for a in args):
            out.problems.append(f"{where}: {name}() needs a literal message with {{placeholders}}, "
                                "not an f-string, concatenation or .format()")
            continue
        if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args):
            continue  # a variable: its value is marked where it is defined (N_)
        texts = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not texts[0].strip():
            out.problems.append(f"{where}: empty message")
            continue
        plural = texts[1] if count == 2 else None
        message = out.messages.setdefault(texts[0], Message(texts[0], plural))
        if message.plural != plural:
            out.problems.append(f"{where}: {texts[0]!r} is used both with and without a plural "
                                "(or with two plurals)")
        message.locations.append((filename, node.lineno))
        for comment in _translator_comment(lines, node.lineno):
            if comment not in message.comments:
                message.comments.append(comment)
    return out


def extract_messages(root: Path = PROJECT_ROOT, packages: Iterable[str] = SOURCE_PACKAGES) -> Extracted:
    """Every message marked in the project's packages, in file and line order."""
    out = Extracted()
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            extract_source(path.read_text(encoding="utf-8"), path.relative_to(root).as_posix(), out)
    return out


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders of a message ("{{" is a literal brace)."""
    try:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in _FORMATTER.parse(text) if name is not None}
    except ValueError:
        return {"<malformed braces>"}


def template(extracted: Extracted) -> Catalog:
    """The .pot of the extracted messages."""
    pot = Catalog(project="meetline", domain=DOMAIN, fuzzy=False, charset="utf-8")
    for message in extracted.messages.values():
        msgid: str | tuple[str, str] = (message.msgid, message.plural) if message.plural else message.msgid
        flags = ("python-brace-format",) if placeholders(message.msgid) | placeholders(message.plural or "") else ()
        pot.add(msgid, locations=message.locations, auto_comments=message.comments, flags=flags)
    return pot


def catalogue_problems(language: str, extracted: Extracted, catalogue: Catalog | None = None) -> list[str]:
    """What one catalogue lacks for the messages the code uses.

    English is the source language: its catalogue only holds deliberate rewordings, and a
    missing or empty entry there means "as in the code".
    """
    catalogue = catalogue if catalogue is not None else load_catalogue(language)
    problems: list[str] = []
    for message in extracted.messages.values():
        entry = catalogue.get(message.msgid)
        if entry is None:
            if language != DEFAULT_LANGUAGE:
                problems.append(f"{language}: missing {message.msgid!r}")
            continue
        if entry.fuzzy:
            problems.append(f"{language}: fuzzy {message.msgid!r}")
        if message.plural and not entry.pluralizable:
            problems.append(f"{language}: {message.msgid!r} needs plural forms (msgid_plural)")
            continue
        if not message.plural and entry.pluralizable:
            problems.append(f"{language}: {message.msgid!r} has plural forms the code does not use")
            continue
        forms = list(entry.string) if isinstance(entry.string, tuple | list) else [entry.string]
        if message.plural and len(forms) != catalogue.num_plurals:
            problems.append(f"{language}: {message.msgid!r} has {len(forms)} plural forms, "
                            f"the language has {catalogue.num_plurals}")
        if not all(forms) and language != DEFAULT_LANGUAGE:
            problems.append(f"{language}: untranslated {message.msgid!r}")
    return problems


def placeholder_problems(language: str, catalogue: Catalog | None = None) -> list[str]:
    """Translations whose `{placeholders}` differ from their msgid's.

    A plural form used for n == 1 alone may leave out `{n}` ("jedno przypomnienie");
    every other placeholder must be kept, and none may be invented.
    """
    catalogue = catalogue if catalogue is not None else load_catalogue(language)
    problems: list[str] = []
    plural = _gettext.c2py(catalogue.plural_expr)
    for entry in catalogue:
        if not entry.id:
            continue
        if isinstance(entry.id, tuple | list):
            expected = placeholders(entry.id[0]) | placeholders(entry.id[1])
            forms = list(entry.string) if isinstance(entry.string, tuple | list) else [entry.string]
            for index, form in enumerate(forms):
                if not form:
                    continue
                got = placeholders(form)
                only_one = {n for n in range(200) if plural(n) == index} == {1}
                if got != expected and not (only_one and got == expected - {"n"}):
                    problems.append(f"{language}: {entry.id[0]!r} form {index} has {sorted(got)}, "
                                    f"expected {sorted(expected)}")
        elif isinstance(entry.string, str) and entry.string:
            got, expected = placeholders(entry.string), placeholders(entry.id)
            if got != expected:
                problems.append(f"{language}: {entry.id!r} has {sorted(got)}, expected {sorted(expected)}")
    return problems


def _write_po(path: Path, catalogue: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100, include_lineno=False, ignore_obsolete=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    if command not in ("extract", "update"):
        print("usage: python -m handlers.i18n extract|update", file=sys.stderr)
        return 2
    extracted = extract_messages()
    pot = template(extracted)
    _write_po(LOCALE_DIR / f"{DOMAIN}.pot", pot)
    print(f"{len(extracted.messages)} messages -> {LOCALE_DIR / (DOMAIN + '.pot')}")
    for problem in extracted.problems:
        print(f"code: {problem}")
    failing = bool(extracted.problems)
    for language in SUPPORTED:
        catalogue = load_catalogue(language)
        if command == "update" and language != DEFAULT_LANGUAGE:
            catalogue.update(pot, update_creation_date=False)
            _write_po(catalogue_path(language), catalogue)
            catalogue = load_catalogue(language)
        problems = catalogue_problems(language, extracted, catalogue) + placeholder_problems(language, catalogue)
        keys = [m.id[0] if isinstance(m.id, tuple | list) else m.id for m in catalogue if m.id]
        unused = [key for key in keys if key not in extracted.messages]
        print(f"{language}: {len(problems)} to translate, {len(unused)} no longer used")
        for problem in problems:
            print(f"  {problem}")
        for msgid in unused:
            print(f"  {language}: unused {msgid!r}")
        failing = failing or bool(problems)
    return 1 if failing else 0


if __name__ == "__main__":
    raise SystemExit(main())
