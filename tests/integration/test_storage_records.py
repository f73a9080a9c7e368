"""Records on SQLite and PostgreSQL: import all-or-nothing, associations, search."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, func, select, text

from handlers.domain import ImportRejected, RecordKind
from handlers.records_csv import import_records
from storage.db import make_engine, make_session_factory
from storage.models import RecordAssociationModel, RecordModel, RecordSearchModel
from storage.record_index import index_terms, normalize, query_words
from storage.records import SqlRecordRepository

HEADER = "type,id,name,email,phone,timezone,associations\n"

CRM = (
    HEADER
    + "company,acme,Acme Corporation,,,,\n"
    + "company,globex,Globex,,,,\n"
    + "contact,c-jane,Jane Doe,jane.doe@acme.com,+48 601 234 567,Europe/Warsaw,acme\n"
    + "contact,c-john,John Acmeson,john@example.org,,America/New_York,\n"
    + "contact,c-zofia,Zofia Żółć,zofia@globex.pl,,Europe/Warsaw,globex\n"
    + "contact,c-bob,Bob Builder,bob@builder.io,,,acme;globex\n"
    + "contact,c-acme,Acme,acme-person@mail.com,,,\n"
    + "deal,d-acme,Acme renewal 2025,,,,acme;c-jane\n"
    + "ticket,t-1,Acme login broken,,,,c-jane\n"
    + "contact,c-lukasz,Łukasz Wiśniewski,lukasz@firma.pl,,,\n"
)


@pytest.fixture
def repo(migrated_url: str) -> Iterator[SqlRecordRepository]:
    engine = make_engine(migrated_url)
    try:
        yield SqlRecordRepository(make_session_factory(engine))
    finally:
        engine.dispose()


def counts(repo: SqlRecordRepository) -> tuple[int, int, int]:
    with repo._sessions() as session:  # noqa: SLF001 - the test looks behind the port
        return (
            session.execute(select(func.count()).select_from(RecordModel)).scalar_one(),
            session.execute(select(func.count()).select_from(RecordAssociationModel)).scalar_one(),
            session.execute(select(func.count()).select_from(RecordSearchModel)).scalar_one(),
        )


def names(records: list) -> list[str]:  # type: ignore[type-arg]
    return [r.name for r in records]


def by_external_id(repo: SqlRecordRepository, team: str, external_id: str):  # type: ignore[no-untyped-def]
    with repo._sessions() as session:  # noqa: SLF001
        rid = session.execute(
            select(RecordModel.id).where(
                RecordModel.team_id == team, RecordModel.external_id == external_id
            )
        ).scalar_one()
    return repo.get(team, rid)


# -- normalisation --------------------------------------------------------------------


def test_normalisation_folds_case_accents_and_polish_l() -> None:
    assert normalize("  Żółć   ŁUKASZ  ") == "zolc lukasz"
    assert normalize("Renée Müller-Strauß") == "renee muller-strauss"
    assert query_words("  Jane,  DOE ") == ["jane", "doe"]
    assert query_words("+48 (601) 234") == ["48", "601", "234"]
    terms = index_terms("Anne-Marie O'Brien", "a.m@acme.com", "+48 601-234-567", ["Acme Corp"])
    for term in ["anne-marie", "anne", "marie", "o'brien", "obrien", "a.m@acme.com", "a.m"]:
        assert term in terms
    assert {"acme.com", "48601234567", "601234567", "acme", "corp"} <= set(terms)
    assert terms["anne"] == 0 and terms["acme"] == 1  # name words vs other terms


# -- import -----------------------------------------------------------------------------


def test_import_then_reimport_is_idempotent_and_updates(repo: SqlRecordRepository) -> None:
    first = import_records(repo, "T1", CRM)
    assert (first.created, first.updated) == (10, 0)
    assert first.associations == 7
    before = counts(repo)

    again = import_records(repo, "T1", CRM)
    assert (again.created, again.updated, again.associations) == (0, 10, 7)
    assert counts(repo) == before

    changed = CRM.replace(
        "contact,c-jane,Jane Doe,jane.doe@acme.com,+48 601 234 567,Europe/Warsaw,acme",
        "contact,c-jane,Jane Smith,jane@globex.com,,Europe/London,globex",
    )
    result = import_records(repo, "T1", changed)
    assert (result.created, result.updated) == (0, 10)
    jane = by_external_id(repo, "T1", "c-jane")
    assert jane.name == "Jane Smith" and jane.email == "jane@globex.com"
    assert jane.phone is None and jane.timezone == "Europe/London"
    assert jane.company == "Globex"
    assert sorted(r.external_id for r in repo.associations("T1", jane.id)) == [
        "d-acme",
        "globex",
        "t-1",
    ]
    assert counts(repo)[0] == before[0]
    assert "Jane Smith" in names(repo.search("T1", "smith"))
    assert "Jane Smith" not in names(repo.search("T1", "doe"))


def test_a_bad_row_anywhere_writes_nothing(repo: SqlRecordRepository) -> None:
    import_records(repo, "T1", CRM)
    before = counts(repo)
    bad = CRM.replace("Jane Doe", "Jane Changed") + "contact,c-x,X,not-an-email,,,\n"
    with pytest.raises(ImportRejected) as info:
        import_records(repo, "T1", bad)
    assert [e.line for e in info.value.errors] == [12]
    assert counts(repo) == before
    assert by_external_id(repo, "T1", "c-jane").name == "Jane Doe"


def test_repository_itself_is_atomic(repo: SqlRecordRepository) -> None:
    """Even past the CSV checks (a row naming a missing id), nothing is half-written."""
    from handlers.records_csv import parse_records_csv

    rows = parse_records_csv(HEADER + "company,a1,Acme,,,,\ncontact,c1,Jane,,,,ghost\n")
    with pytest.raises(ImportRejected) as info:
        repo.import_rows("T1", rows)
    assert info.value.errors[0].line == 3
    assert counts(repo) == (0, 0, 0)


def test_associations_must_exist_in_file_or_storage(repo: SqlRecordRepository) -> None:
    with pytest.raises(ImportRejected) as info:
        import_records(repo, "T1", HEADER + "contact,c1,Jane,,,,acme\n")
    assert info.value.errors[0].line == 2 and "'acme'" in info.value.errors[0].message
    assert counts(repo) == (0, 0, 0)

    import_records(repo, "T1", HEADER + "company,acme,Acme,,,,\n")
    result = import_records(repo, "T1", HEADER + "contact,c1,Jane,,,,acme\n")
    assert result.associations == 1
    jane = by_external_id(repo, "T1", "c1")
    assert jane.company == "Acme"
    acme = by_external_id(repo, "T1", "acme")
    assert names(repo.associations("T1", acme.id)) == ["Jane"]  # stored both ways
    # The id is per team: another workspace cannot point at T1's records.
    with pytest.raises(ImportRejected):
        import_records(repo, "T2", HEADER + "contact,c1,Jane,,,,acme\n")


def test_records_belong_to_one_workspace_and_no_id_reads_across(repo: SqlRecordRepository) -> None:
    import_records(repo, "T1", CRM)
    import_records(repo, "T2", HEADER + "company,other,Other Co,,,,\n")
    jane = by_external_id(repo, "T1", "c-jane")
    assert repo.get("T1", jane.id) == jane
    assert repo.get("T2", jane.id) is None  # another workspace's id: like a missing one
    assert repo.associations("T2", jane.id) == [] and repo.associations("T1", jane.id)
    assert names(repo.search("T2", "jane")) == [] and names(repo.search("T2", "")) == ["Other Co"]
    assert repo.existing_external_ids("T2", ["c-jane", "other"]) == {"other"}
    for junk in (10**30, -1, 0, 2**63):
        assert repo.get("T1", junk) is None and repo.associations("T1", junk) == []


def test_rows_with_an_empty_team_are_shared_with_nobody(repo: SqlRecordRepository) -> None:
    """Older versions imported without --team into a pool every workspace saw."""
    import_records(repo, "", HEADER + "company,acme,Acme Shared,,,,\n")
    assert names(repo.search("T2", "acme")) == [] and repo.search("", "acme") == []
    with pytest.raises(ImportRejected):  # nor can a workspace associate with them
        import_records(repo, "T1", HEADER + "contact,c1,Jane,,,,acme\n")


def test_reimporting_a_company_reindexes_its_contacts(repo: SqlRecordRepository) -> None:
    import_records(repo, "T1", CRM)
    assert "Jane Doe" in names(repo.search("T1", "acme corp"))
    # The company renamed; its contacts are not in the file but must follow.
    import_records(repo, "T1", HEADER + "company,acme,Initech,,,,c-jane;c-bob\n")
    assert "Jane Doe" in names(repo.search("T1", "initech"))
    assert "Jane Doe" not in names(repo.search("T1", "corporation"))
    jane = by_external_id(repo, "T1", "c-jane")
    assert jane.company == "Initech"
    # The company's associations were replaced: d-acme no longer points to it.
    deal = by_external_id(repo, "T1", "d-acme")
    assert [r.external_id for r in repo.associations("T1", deal.id)] == ["c-jane"]


# -- search -----------------------------------------------------------------------------


def test_search_ranks_exact_then_prefix_then_words_then_other(
    repo: SqlRecordRepository,
) -> None:
    import_records(repo, "T1", CRM)
    results = repo.search("T1", "acme")
    assert names(results)[:4] == [
        "Acme",  # the exact name
        "Acme Corporation",  # names starting with the query: contacts, companies, deals,
        "Acme renewal 2025",  # tickets
        "Acme login broken",
    ]
    # "Acmeson" is a name word starting with the query: above company/email matches.
    assert names(results)[4] == "John Acmeson"
    assert set(names(results)[5:]) == {"Jane Doe", "Bob Builder"}
    assert [r.kind for r in results[:4]] == [
        RecordKind.CONTACT,
        RecordKind.COMPANY,
        RecordKind.DEAL,
        RecordKind.TICKET,
    ]


def test_search_finds_contacts_of_a_company(repo: SqlRecordRepository) -> None:
    import_records(repo, "T1", CRM)
    contacts = repo.search("T1", "globex", kinds=[RecordKind.CONTACT])
    assert sorted(names(contacts)) == ["Bob Builder", "Zofia Żółć"]
    zofia = next(r for r in contacts if r.name == "Zofia Żółć")
    assert zofia.company == "Globex"
    bob = next(r for r in contacts if r.name == "Bob Builder")
    assert bob.company in {"Acme Corporation", "Globex"}
    assert names(repo.search("T1", "bob acme")) == ["Bob Builder"]


def test_search_is_accent_and_case_insensitive(repo: SqlRecordRepository) -> None:
    import_records(repo, "T1", CRM)
    assert names(repo.search("T1", "zolc")) == ["Zofia Żółć"]
    assert names(repo.search("T1", "ŻÓŁĆ")) == ["Zofia Żółć"]
    assert names(repo.search("T1", "lukasz wisn")) == ["Łukasz Wiśniewski"]
    assert names(repo.search("T1", "LUKASZ")) == ["Łukasz Wiśniewski"]


def test_search_by_email_phone_and_exact_name(repo: SqlRecordRepository) -> None:
    import_records(repo, "T1", CRM)
    assert names(repo.search("T1", "jane.doe@acme.com")) == ["Jane Doe"]
    assert names(repo.search("T1", "jane.doe@")) == ["Jane Doe"]
    assert names(repo.search("T1", "builder.io")) == ["Bob Builder"]
    assert names(repo.search("T1", "601 234")) == ["Jane Doe"]
    assert names(repo.search("T1", "+48601")) == ["Jane Doe"]
    assert names(repo.search("T1", "jane doe")) == ["Jane Doe"]
    assert names(repo.search("T1", "doe jane")) == ["Jane Doe"]
    assert names(repo.search("T1", "nobody")) == []


def test_control_characters_in_a_query_separate_words(repo: SqlRecordRepository) -> None:
    """What a picker may send (a pasted or forged query): searched, never an error (on
    SQLite a word holding one became an FTS5 phrase query the index refuses)."""
    import_records(repo, "T1", CRM)
    assert names(repo.search("T1", "jane\x01doe")) == ["Jane Doe"]
    assert names(repo.search("T1", "\x00\x7fzolc\x1b")) == ["Zofia Żółć"]
    assert names(repo.search("T1", "\x02\x03")) != []  # no words: the most recent


def test_search_kind_filter_and_limit(repo: SqlRecordRepository) -> None:
    import_records(repo, "T1", CRM)
    assert names(repo.search("T1", "acme", kinds=[RecordKind.DEAL, RecordKind.TICKET])) == [
        "Acme renewal 2025",
        "Acme login broken",
    ]
    assert names(repo.search("T1", "acme", kinds=[RecordKind.COMPANY])) == ["Acme Corporation"]
    assert len(repo.search("T1", "acme", limit=2)) == 2
    assert names(repo.search("T1", "acme", limit=2)) == ["Acme", "Acme Corporation"]
    recent = repo.search("T1", "", limit=3)
    assert len(recent) == 3
    assert all(
        r.kind == RecordKind.COMPANY for r in repo.search("T1", "  ", kinds=[RecordKind.COMPANY])
    )


def test_empty_query_lists_most_recently_updated(repo: SqlRecordRepository) -> None:
    import_records(repo, "T1", CRM)
    import_records(repo, "T1", HEADER + "contact,c-new,Newest Person,,,,\n")
    assert repo.search("T1", "")[0].name == "Newest Person"
    import_records(repo, "T1", HEADER + "company,globex,Globex Updated,,,,\n")
    assert repo.search("T1", "")[0].name == "Globex Updated"


def test_import_and_search_at_some_scale(repo: SqlRecordRepository) -> None:
    """Batches: several thousand rows go through chunked lookups and bulk inserts."""
    lines = [HEADER.strip()]
    for i in range(300):
        lines.append(f"company,co{i},Company {i} Ltd,,,,")
    for i in range(1700):
        lines.append(f"contact,ct{i},Person{i} Surname{i % 50},p{i}@ex{i % 7}.com,,,co{i % 300}")
    text = "\n".join(lines) + "\n"
    assert import_records(repo, "T1", text).created == 2000
    assert import_records(repo, "T1", text).updated == 2000
    assert counts(repo)[0] == 2000
    found = repo.search("T1", "person123 surname23")
    assert names(found) == ["Person123 Surname23"]
    assert found[0].company == "Company 123 Ltd"
    assert len(repo.search("T1", "company 12", kinds=[RecordKind.CONTACT], limit=100)) > 0


def test_each_workspace_searches_only_its_own_records(repo: SqlRecordRepository) -> None:
    """Two workspaces with the same CRM: every tier (exact, name start, name words,
    company and email) answers from the caller's records only."""
    import_records(repo, "T1", CRM)
    import_records(repo, "T2", CRM)
    mine = {r.id for r in repo.search("T1", "", limit=1000)}
    assert len(mine) == CRM.count("\n") - 1
    for query in ("Acme", "acme", "acme corp", "jane doe", "doe", "globex", "jane.doe@", "601"):
        for team in ("T1", "T2"):
            found = repo.search(team, query, limit=1000)
            assert found, (team, query)
            assert all((r.id in mine) == (team == "T1") for r in found), (team, query)
    assert names(repo.search("T3", "acme")) == []


def test_search_finds_by_common_words_too(repo: SqlRecordRepository) -> None:
    """Words most records share ("sp", "z", "o.o") only filter on PostgreSQL, once the
    statistics say they are common; the rarer word finds the record either way."""
    lines = [HEADER.strip()]
    lines += [f"company,co{i},Company{i} Sp. z o.o.,,,," for i in range(200)]
    lines += [f"contact,ct{i},Person{i} Nowak,p{i}@firma.pl,,,co{i}" for i in range(200)]
    import_records(repo, "T1", "\n".join(lines) + "\n")
    with repo._sessions() as session:  # noqa: SLF001 - as an operator's ANALYZE would
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("ANALYZE record_search"))
            session.commit()
    assert names(repo.search("T1", "company17 sp z o.o", limit=3))[0] == "Company17 Sp. z o.o."
    # The company's contacts: found by their company's words.
    contacts = repo.search("T1", "company17 sp z o.o", kinds=[RecordKind.CONTACT])
    assert names(contacts)[0] == "Person17 Nowak" and len(contacts) == 11  # 17, 170-179
    assert names(repo.search("T1", "sp z o.o company17"))[0] == "Company17 Sp. z o.o."
    assert len(repo.search("T1", "sp z o.o", kinds=[RecordKind.COMPANY], limit=100)) == 100


def test_short_numbers_with_a_name_find_by_the_name(repo: SqlRecordRepository) -> None:
    """A short number in a query ("48" starts every Polish phone) only filters on
    PostgreSQL; records are found by the words around it, and a query of numbers only
    still finds by phone."""
    lines = [HEADER.strip(), "company,zorg,Zorg Robotics 48 plc,,,,"]
    lines += [f"contact,ct{i},Person{i} Nowak,,+48 601 {i:03d} {i:03d},,zorg" for i in range(30)]
    lines += [f"contact,o{i},Other{i} Kowal,,+48 602 {i:03d} {i:03d},," for i in range(30)]
    import_records(repo, "T1", "\n".join(lines) + "\n")
    contacts = repo.search("T1", "zorg robotics 48", kinds=[RecordKind.CONTACT], limit=100)
    assert sorted(names(contacts)) == sorted(f"Person{i} Nowak" for i in range(30))
    assert names(repo.search("T1", "48 zorg", kinds=[RecordKind.COMPANY])) == [
        "Zorg Robotics 48 plc"
    ]
    assert names(repo.search("T1", "602 007")) == ["Other7 Kowal"]


def test_deleted_records_leave_the_index(repo: SqlRecordRepository) -> None:
    import_records(repo, "T1", CRM)
    jane = by_external_id(repo, "T1", "c-jane")
    with repo._sessions() as session:  # noqa: SLF001 - no use case deletes records yet
        session.execute(delete(RecordModel).where(RecordModel.id == jane.id))
        session.commit()
    assert "Jane Doe" not in names(repo.search("T1", "jane doe"))
    assert "Jane Doe" not in names(repo.search("T1", "601234"))
    assert counts(repo)[2] == counts(repo)[0]  # one index row per record, none left over
    with repo._sessions() as session:  # noqa: SLF001
        if session.get_bind().dialect.name == "sqlite":  # FTS5's own consistency check
            session.execute(text("INSERT INTO record_fts (record_fts) VALUES ('integrity-check')"))


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "'a':* & b",
        "AND OR NOT",
        "name_terms : acme",
        "a\x08b",
        "\x01",
        "NEAR(a b)",
        "\\",
        "{x}",
    ],
)
def test_search_syntax_in_a_query_is_just_text(repo: SqlRecordRepository, query: str) -> None:
    """What a user types never reaches the engines as full-text query syntax: no error,
    and its words are matched like any others."""
    import_records(repo, "T1", CRM)
    repo.search("T1", query)
    repo.search("T1", "x " * 60)
    found = names(repo.search("T1", f"acme corp {query}"))
    if all(not c.isalnum() for c in query):  # no word of its own: the others still find
        assert "Acme Corporation" in found


def test_records_gone_from_their_source_are_deleted_in_their_workspace_only(
    repo: SqlRecordRepository,
) -> None:
    import_records(repo, "T1", CRM)
    import_records(repo, "T2", CRM)
    assert repo.delete_external("T1", ["globex", "t-1", "never-imported"]) == 2
    assert "Globex" not in names(repo.search("T1", "globex"))
    # Bob stays, without his deleted company's name in his terms
    assert "Bob Builder" in names(repo.search("T2", "globex", kinds=[RecordKind.CONTACT]))
    assert "Bob Builder" not in names(repo.search("T1", "globex", kinds=[RecordKind.CONTACT]))
    assert "Bob Builder" in names(repo.search("T1", "bob"))
    assert "Zofia Żółć" in names(repo.search("T1", "zofia"))
    assert "Globex" in names(repo.search("T2", "globex"))  # the other workspace's stays
    # kept, marked deleted (tests/integration/test_record_delete.py), without a search row
    assert counts(repo)[2] == counts(repo)[0] - 2 == repo.count("T1") + repo.count("T2")


def test_postgresql_search_uses_the_gin_indexes(repo: SqlRecordRepository) -> None:
    """The statement searches the indexed tsvector columns (migration 0016_search_vectors):
    anything else (an expression, another column) would scan every row.
    (One statement holds every tier since the search costs one round trip.)"""
    from storage import record_search

    with repo._sessions() as session:  # noqa: SLF001 - the test looks behind the port
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL's GIN indexes")
        session.execute(text("SET LOCAL enable_seqscan = off"))
        compiled = record_search._pg_find(("contact",)).compile(  # noqa: SLF001
            dialect=session.get_bind().dialect
        )
        params = {
            "team": "T1",
            "full": "acme",
            "after": "acmf",
            "driver": "'acme':* & '#contact'",
            "every": "'acme':*",
            "kinds": ["contact"],
            "cap": 300,
            "limit": 50,
        }
        plan = str(session.connection().exec_driver_sql(f"EXPLAIN {compiled}", params).all())
        for index in ("ix_record_search_names", "ix_record_search_terms"):
            assert index in plan, plan


def test_a_kinds_name_typed_finds_no_record_by_its_kind(repo: SqlRecordRepository) -> None:
    """PostgreSQL's index holds each record's kind as a lexeme ('#contact') no typed
    word can reach; a one-kind picker still finds by every field."""
    import_records(repo, "T1", CRM)
    for typed in ("contact", "#contact", "deal", "compan"):
        assert repo.search("T1", typed) == [], typed
    assert names(repo.search("T1", "acme", kinds=[RecordKind.CONTACT])) == [
        "Acme",
        "John Acmeson",
        "Bob Builder",
        "Jane Doe",
    ]
    assert names(repo.search("T1", "renewal", kinds=[RecordKind.CONTACT])) == []


def test_get_reads_what_get_many_reads_with_each_contacts_first_company(
    repo: SqlRecordRepository,
) -> None:
    """`get` is one statement of its own; it must name the same company as `get_many`."""
    import_records(repo, "T1", CRM)
    import_records(repo, "T2", HEADER + "company,acme,Acme Elsewhere,,,,\n")
    ids = [by_external_id(repo, "T1", x).id for x in ("c-bob", "c-jane", "acme", "d-acme", "t-1")]
    many = repo.get_many("T1", ids)
    assert [repo.get("T1", rid) for rid in ids] == [many[rid] for rid in ids]
    assert many[ids[0]].company == "Acme Corporation"  # Bob's two companies: the first by name
    assert many[ids[2]].company is None and many[ids[3]].company is None
    assert repo.get("T2", ids[0]) is None  # another workspace's id reads as unknown
