"""Which language a meeting's contacts read (`handlers.invitation_language`): what the
/meet form proposes, and what a mail sent without a choice falls back to."""

from __future__ import annotations

from handlers.domain import Record, RecordKind
from handlers.invitation_language import chosen_language, contact_language, form_invitation_language


def record(language: str | None, kind: RecordKind = RecordKind.CONTACT) -> Record:
    return Record(id=1, kind=kind, external_id="x", name="Zofia", language=language)


def test_the_record_says_the_language_else_the_host_speaks_theirs() -> None:
    assert contact_language(record("pl"), "en") == "pl"
    assert contact_language(record(None), "pl") == "pl"
    assert contact_language(None, "en") == "en"
    assert contact_language(record("de"), "pl") == "pl"  # not spoken here: the host's


def test_the_form_proposes_the_first_known_language_of_the_record_then_its_contacts() -> None:
    company = record(None, RecordKind.COMPANY)
    assert form_invitation_language([company, record("pl"), record("en")], "en") == "pl"
    assert form_invitation_language([record("en"), record("pl")], "pl") == "en"
    assert form_invitation_language([None, company], "pl") == "pl"
    assert form_invitation_language([], "en") == "en"


def test_only_a_language_meetline_speaks_is_a_choice() -> None:
    assert chosen_language("pl") == "pl" and chosen_language("en") == "en"
    assert chosen_language("de") is None and chosen_language(None) is None
    assert chosen_language("pl; DROP TABLE") is None
