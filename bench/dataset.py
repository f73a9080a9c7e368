"""A deterministic CRM the size the issue asks for: 100,000 contacts, 20,000 companies,
20,000 deals and 10,000 tickets (a tenth of each with --quick), with the name
collisions, shared prefixes, accents, e-mails and phone numbers real CRMs have."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from handlers.domain import RecordKind, RecordRow


def _words(text: str) -> list[str]:
    return text.split()


FIRST = _words(
    "Anna Jan Piotr Maria Katarzyna Tomasz Agnieszka Paweł Marta Michał Zofia Łukasz Ewa Jakub "
    "Jane John James Mary Robert Patricia Michael Linda William Elizabeth David Barbara Richard "
    "Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark "
    "Sandra Donald Ashley Steven Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda "
    "Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Laura Edward Sharon "
    "Jeffrey Cynthia Ryan Kathleen Jacob Amy Gary Shirley Nicholas Angela Eric Helen Jonathan "
    "Anne-Marie Zoë Søren José François Małgorzata Grzegorz Wojciech Jerzy Żaneta Bartłomiej"
)
LAST = _words(
    "Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak "
    "Dąbrowski Kozłowski Jankowski Mazur Kwiatkowski Krawczyk Piotrowski Grabowski Nowakowski "
    "Pawłowski Michalski Król Wieczorek Jabłoński Wróbel Majewski Olszewski Stępień Malinowski "
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen "
    "Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts O'Brien "
    "McDonald Żółć Müller Schmidt Dubois Rossi Jensen Andersson Novák Horváth Popescu Ivanov"
)
COMPANY_A = _words(
    "Acme Globex Initech Umbrella Stark Wayne Wonka Tyrell Cyberdyne Soylent Hooli Vandelay "
    "Massive Aperture Black Mesa Oscorp Gringotts Monarch Nakatomi Virtucon Zorg Prestige "
    "Nordic Baltic Vistula Polar Summit Harbor Granite Cedar Maple Aurora Zenith Apex Vertex "
    "Quantum Atlas Orion Nova Helix Pixel Falcon Kestrel Osprey Lynx Bison Żubr Sokół Orzeł"
)
COMPANY_B = _words(
    "Logistics Software Systems Foods Energy Capital Partners Labs Robotics Media Health "
    "Pharma Motors Textiles Analytics Consulting Industries Networks Security Foods Dynamics "
    "Solutions Holdings Ventures Studio Works Group Trading Logistyka Budownictwo Handel"
)
LEGAL = ("Ltd", "Inc.", "GmbH", "Sp. z o.o.", "S.A.", "LLC", "plc", "AB", "BV", "")
DEAL_WORDS = (
    "renewal",
    "expansion",
    "pilot",
    "upsell",
    "migration",
    "onboarding",
    "licence",
    "support plan",
)
TICKET_WORDS = (
    "Login problem",
    "Invoice question",
    "Password reset",
    "Data export",
    "SSO setup",
    "API errors",
    "Slow dashboard",
    "Billing address",
    "Refund request",
    "Integration broken",
    "Problem z logowaniem",
)
ZONES = (
    "Europe/Warsaw",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "",
)


@dataclass(frozen=True)
class Sizes:
    contacts: int
    companies: int
    deals: int
    tickets: int

    @property
    def total(self) -> int:
        return self.contacts + self.companies + self.deals + self.tickets


FULL = Sizes(100_000, 20_000, 20_000, 10_000)
QUICK = Sizes(10_000, 2_000, 2_000, 1_000)


def _ascii(text: str) -> str:
    from storage.record_index import normalize

    return "".join(c for c in normalize(text) if c.isalnum() or c in ".-")


def build(sizes: Sizes, seed: int = 8) -> list[RecordRow]:
    rng = random.Random(seed)
    rows: list[RecordRow] = []
    line = 1

    def add(
        kind: RecordKind,
        ext: str,
        name: str,
        email: str | None = None,
        phone: str | None = None,
        zone: str | None = None,
        assoc: tuple[str, ...] = (),
    ) -> None:
        nonlocal line
        line += 1
        rows.append(RecordRow(line, kind, ext, name, email, phone, zone or None, assoc))

    company_names = []
    for i in range(sizes.companies):
        name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}"
        if i % 3:
            name += f" {rng.randint(1, 999)}"
        legal = rng.choice(LEGAL)
        name = f"{name} {legal}".strip()
        company_names.append(name)
        domain = _ascii(name.split()[0]) + f"{i}.example"
        add(
            RecordKind.COMPANY,
            f"co{i}",
            name,
            f"office@{domain}",
            f"+48 22 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            rng.choice(ZONES),
        )
    for i in range(sizes.contacts):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        company = rng.randrange(sizes.companies)
        domain = _ascii(company_names[company].split()[0]) + f"{company}.example"
        email = f"{_ascii(first)}.{_ascii(last)}{i}@{domain}" if i % 10 else None  # some have none
        phone = (
            f"+48 {rng.randint(500, 899)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
            if i % 3 == 0
            else None
        )
        add(
            RecordKind.CONTACT,
            f"ct{i}",
            f"{first} {last}",
            email,
            phone,
            rng.choice(ZONES),
            (f"co{company}",),
        )
    for i in range(sizes.deals):
        company = rng.randrange(sizes.companies)
        add(
            RecordKind.DEAL,
            f"dl{i}",
            f"{company_names[company].split(' ')[0]} {rng.choice(DEAL_WORDS)} "
            f"{rng.randint(2025, 2028)}",
            assoc=(f"co{company}",),
        )
    for i in range(sizes.tickets):
        contact = rng.randrange(sizes.contacts)
        add(
            RecordKind.TICKET,
            f"tk{i}",
            f"{rng.choice(TICKET_WORDS)} #{10000 + i}",
            assoc=(f"ct{contact}",),
        )
    return rows


def queries(rows: list[RecordRow], count: int, seed: int = 88) -> list[tuple[str, str]]:
    """(kind of query, text) as people type them into a picker, mixed like real use."""
    rng = random.Random(seed)
    contacts = [r for r in rows if r.kind is RecordKind.CONTACT]
    companies = [r for r in rows if r.kind is RecordKind.COMPANY]
    deals = [r for r in rows if r.kind is RecordKind.DEAL]
    out: list[tuple[str, str]] = []
    makers: list[tuple[int, Callable[[], tuple[str, str]]]] = [
        (25, lambda: ("exact", rng.choice(contacts).name)),
        (20, lambda: ("prefix", rng.choice(contacts).name[: rng.randint(2, 6)].strip())),
        (8, lambda: ("exact", rng.choice(companies).name)),
        (7, lambda: ("prefix", rng.choice(companies).name[: rng.randint(3, 8)].strip())),
        (
            10,
            lambda: (
                "words",
                " ".join(w[: rng.randint(2, 4)] for w in rng.choice(contacts).name.split()[:2]),
            ),
        ),
        (
            8,
            lambda: (
                "email",
                (rng.choice([c for c in contacts[:500] if c.email]).email or "")[
                    : rng.randint(4, 12)
                ],
            ),
        ),
        (5, lambda: ("phone", str(rng.randint(500, 899)) + str(rng.randint(100, 999)))),
        (6, lambda: ("other", rng.choice(deals).name.split()[1])),
        (
            4,
            lambda: (
                "other",
                rng.choice(["zolc", "Żółć", "wisniewski", "lodz", "sokol", "muller"]),
            ),
        ),
        (4, lambda: ("none", "".join(rng.choice("qxzvj") for _ in range(5)))),
        (3, lambda: ("empty", "")),
    ]
    weights = [w for w, _ in makers]
    for _ in range(count):
        _, make = rng.choices(makers, weights)[0]
        kind, text = make()
        out.append((kind, text))
    return out
