"""Which language a meeting's contacts read: the one rule the form's default and the
mails sent without a choice (meetings booked before the form offered one) share.

A contact's record may say their language (the records CSV's `language` column); when
it does not, the host's language is the better guess than the workspace default: a
Polish rep's contacts are mostly Polish, whatever the workspace was set up with.
"""

from __future__ import annotations

from collections.abc import Iterable

from handlers.domain import Record
from handlers.i18n import SUPPORTED


def _known(record: Record | None) -> str | None:
    # The import keeps only supported languages; a record written another way may not.
    language = record.language if record is not None else None
    return language if language in SUPPORTED else None


def contact_language(record: Record | None, host_language: str) -> str:
    """The record's language when it names a supported one, else the host's."""
    return _known(record) or host_language


def form_invitation_language(records: Iterable[Record | None], host_language: str) -> str:
    """The form's default: the first of `records` (the meeting's record, then the contacts
    it brings) whose language is known, else the host's."""
    return next((lang for lang in map(_known, records) if lang), host_language)


def chosen_language(value: str | None) -> str | None:
    """A language picked in the form, if it is one Meetline speaks (the value is the
    user's to forge)."""
    return value if value in SUPPORTED else None
