"""What picking a record pre-fills in the /meet form (handlers.meet_form), and how the
form shows it (bot.views.meet_options)."""

from __future__ import annotations

from bot.views.meet_options import attendee_option_groups, prefill_choices
from handlers.domain import Record, RecordKind, UserProfile
from handlers.i18n import translator
from handlers.meet_form import (
    MAX_PREFILLED_ASSOCIATED,
    MAX_PREFILLED_ATTENDEES,
    merged,
    prefill_for_record,
    record_picked,
)

ACME = Record(1, RecordKind.COMPANY, "c1", "Acme")
JANE = Record(2, RecordKind.CONTACT, "p2", "Jane Doe", email="jane@acme.test", company="Acme")
DEAL = Record(3, RecordKind.DEAL, "d3", "Acme renewal")


class Records:
    """Team-scoped lookups, as the repository answers them."""

    def __init__(self, team_id: str, records: list[Record], links: dict[int, list[Record]]) -> None:
        self.team_id, self.records, self.links = team_id, {r.id: r for r in records}, links

    def get(self, team_id: str, record_id: int) -> Record | None:
        return self.records.get(record_id) if team_id == self.team_id else None

    def associations(self, team_id: str, record_id: int) -> list[Record]:
        return list(self.links.get(record_id, [])) if team_id == self.team_id else []


def test_a_company_brings_its_contacts_and_itself_with_its_associations() -> None:
    records = Records("T1", [ACME, JANE, DEAL], {1: [JANE, DEAL]})
    prefill = prefill_for_record(records, "T1", ACME)  # type: ignore[arg-type]
    assert prefill.attendees == (JANE,) and prefill.associated == (ACME, JANE, DEAL)


def test_a_contact_is_its_own_attendee() -> None:
    records = Records("T1", [ACME, JANE], {2: [ACME]})
    prefill = prefill_for_record(records, "T1", JANE)  # type: ignore[arg-type]
    assert prefill.attendees == (JANE,) and prefill.associated == (JANE, ACME)


def test_prefill_limits() -> None:
    contacts = [Record(100 + i, RecordKind.CONTACT, f"p{i}", f"Person {i}") for i in range(30)]
    records = Records("T1", [ACME, *contacts], {1: contacts})
    prefill = prefill_for_record(records, "T1", ACME)  # type: ignore[arg-type]
    assert prefill.attendees == tuple(contacts[:MAX_PREFILLED_ATTENDEES])
    assert prefill.associated == (ACME, *contacts[:MAX_PREFILLED_ASSOCIATED])


def test_a_record_of_another_workspace_or_junk_prefills_nothing() -> None:
    records = Records("T1", [ACME, JANE], {1: [JANE]})
    assert record_picked(records, "T2", 1) is None  # type: ignore[arg-type]
    assert record_picked(records, "T1", None) is None  # type: ignore[arg-type]
    assert record_picked(records, "T1", 99) is None  # type: ignore[arg-type]
    picked = record_picked(records, "T1", 1)  # type: ignore[arg-type]
    assert picked is not None and picked.record == ACME


def test_a_prefill_adds_to_the_users_choices_and_never_removes_one() -> None:
    assert merged(("a", "b"), ("b", "c", "a")) == ("a", "b", "c")
    assert merged((), ("x",)) == ("x",) and merged(("x",), ()) == ("x",)


def test_choices_and_picker_options() -> None:
    records = Records("T1", [ACME, JANE], {1: [JANE]})
    attendees, suggested = prefill_choices(prefill_for_record(records, "T1", ACME))  # type: ignore[arg-type]
    assert attendees == (("c:2", "Contact: Jane Doe (Acme)"),)
    assert [value for value, _ in suggested] == ["r:2"]  # not the record itself
    assert prefill_choices(None) == ((), ())
    groups = attendee_option_groups(
        [JANE], [UserProfile("T1", "U7", name="Ola", email="ola@x.test")], translator("pl")
    )
    assert [g["label"]["text"] for g in groups] == ["Kontakty", "Osoby z zespołu"]
    assert groups[1]["options"] == [
        {"text": {"type": "plain_text", "text": "@Ola (ola@x.test)"}, "value": "u:U7"}
    ]
    assert attendee_option_groups([], []) == []
