"""The translation catalogues' tooling: extract the marked messages from the code, write
the template, merge it into every `.po` file and report what each language lacks.

Separate from the translator (handlers.i18n) because only developers and the catalogue
test run it; the app never does.

`python -m handlers.i18n_tools extract` writes `handlers/locale/meetline.pot` and lists
what each catalogue lacks (exit status 1 when something does); `python -m
handlers.i18n_tools update` (`make messages`) also merges the missing entries into every
translation's `.po` file (empty, or fuzzy when a similar old message was translated) for
the translator to fill.
"""

from __future__ import annotations

import ast
import gettext as _gettext
import string
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from handlers.i18n import (
    DEFAULT_LANGUAGE,
    DOMAIN,
    LOCALE_DIR,
    SUPPORTED,
    catalogue_path,
    load_catalogue,
)

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES: Final = ("bot", "handlers", "adapters", "storage")
_FORMATTER: Final = string.Formatter()

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
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "format_map")
        and isinstance(node.func.value, ast.Constant)
    )


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
    calls = sorted(
        (n for n in ast.walk(ast.parse(source, filename)) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for node in calls:
        name = _marker_name(node.func)
        count = KEYWORDS.get(name or "")
        if count is None or len(node.args) < count:
            continue
        args = node.args[:count]
        where = f"{filename}:{node.lineno}"
        if any(_is_computed_text(a) for a in args):
            out.problems.append(
                f"{where}: {name}() needs a literal message with {{placeholders}}, "
                "not an f-string, concatenation or .format()"
            )
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
            out.problems.append(
                f"{where}: {texts[0]!r} is used both with and without a plural "
                "(or with two plurals)"
            )
        message.locations.append((filename, node.lineno))
        for comment in _translator_comment(lines, node.lineno):
            if comment not in message.comments:
                message.comments.append(comment)
    return out


def extract_messages(
    root: Path = PROJECT_ROOT, packages: Iterable[str] = SOURCE_PACKAGES
) -> Extracted:
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
        return {
            name.split(".")[0].split("[")[0]
            for _, name, _, _ in _FORMATTER.parse(text)
            if name is not None
        }
    except ValueError:
        return {"<malformed braces>"}


def template(extracted: Extracted) -> Catalog:
    """The .pot of the extracted messages."""
    pot = Catalog(project="meetline", domain=DOMAIN, fuzzy=False, charset="utf-8")
    for message in extracted.messages.values():
        msgid: str | tuple[str, str] = (
            (message.msgid, message.plural) if message.plural else message.msgid
        )
        flags = (
            ("python-brace-format",)
            if placeholders(message.msgid) | placeholders(message.plural or "")
            else ()
        )
        pot.add(msgid, locations=message.locations, auto_comments=message.comments, flags=flags)
    return pot


def catalogue_problems(
    language: str, extracted: Extracted, catalogue: Catalog | None = None
) -> list[str]:
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
            problems.append(
                f"{language}: {message.msgid!r} has {len(forms)} plural forms, "
                f"the language has {catalogue.num_plurals}"
            )
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
                    problems.append(
                        f"{language}: {entry.id[0]!r} form {index} has {sorted(got)}, "
                        f"expected {sorted(expected)}"
                    )
        elif isinstance(entry.string, str) and entry.string:
            got, expected = placeholders(entry.string), placeholders(entry.id)
            if got != expected:
                problems.append(
                    f"{language}: {entry.id!r} has {sorted(got)}, expected {sorted(expected)}"
                )
    return problems


def _write_po(path: Path, catalogue: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100, include_lineno=False, ignore_obsolete=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    if command not in ("extract", "update"):
        print("usage: python -m handlers.i18n_tools extract|update", file=sys.stderr)
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
        problems = catalogue_problems(language, extracted, catalogue) + placeholder_problems(
            language, catalogue
        )
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
