"""Seeded generators of malformed Slack requests and CSV rows for the fuzz drills.

Deterministic (random.Random(seed)), so a failing case is reproduced by its index;
no third-party fuzzer needed. Slack bodies are mostly well signed (so they reach the
app, not just the signature check) and are built by mutating the shapes Slack really
sends: slash commands, interactive payloads (view_submission, block_actions,
block_suggestion, view_closed, shortcuts), Events API envelopes, plus raw noise.
None can name an existing record, so none can legitimately book a meeting.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tests.support.slack_requests import (
    block_actions,
    block_suggestion,
    event_body,
    slash_command_body,
    view_closed,
    view_submission,
)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

NASTY = [
    "",
    " ",
    "\x00",
    "\r\n",
    "\u2028",
    "\ufeff",
    "💥" * 40,
    "a" * 5000,
    "<!channel>",
    "<https://x|y>",
    "null",
    "{}",
    "[]",
    '{"m": 1}',
    "'; DROP TABLE meetings; --",
    "%00",
    "..\\..\\etc\\passwd",
    "\udcff",
    "\ud800",
    "r:",
    "r:abc",
    "r:-1",
    "r:99999999999999999999",
    "c:1",
    "u:U1",
    "u:",
    "2026-02-30",
    "25:61",
    "9" * 400,
    "Jane Doe tomorrow 25pm",
    "report",
    "timeline",
    "timeline \x00",
    "help",
    "pomoc",
    "outcome_completed",
]
ACTION_IDS = [
    "record_select",
    "attendee_select",
    "associated_select",
    "duration_select",
    "date_pick",
    "time_pick",
    "location_kind_select",
    "add_reminder",
    "use_slot_0",
    "use_slot_x",
    "meeting_edit:1",
    "meeting_cancel:1",
    "meeting_edit:abc",
    "outcome_completed",
    "outcome_no_show:3",
    "outcome_change",
    "outcome_change:9",
    "connect_calendar",
    "admin_settings",
    "report_open",
    "nope",
    "",
]
CALLBACKS = ["meet_form", "admin_settings", "report_form", "calendar_connect", "", "x" * 300]
EVENT_TYPES = [
    "app_home_opened",
    "app_mention",
    "message",
    "tokens_revoked",
    "app_uninstalled",
    "member_joined_channel",
    "team_join",
    "user_change",
    "",
    "x",
]


def parse_form(body: bytes) -> dict[str, Any]:
    return dict(parse_qsl(body.decode(), keep_blank_values=True))


class Fuzzer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # -- values
    def text(self, limit: int = 60) -> str:
        r = self.rng
        pick = r.random()
        if pick < 0.3:
            return r.choice(NASTY)
        alphabet = string.printable + "ąćęłńóśźżŻółć€\u200b\u202e\x7f"
        return "".join(r.choice(alphabet) for _ in range(r.randint(0, limit)))

    def scalar(self) -> Any:
        r = self.rng
        return r.choice(
            [
                None,
                True,
                False,
                0,
                -1,
                2**63,
                1.5e308,
                float("nan"),
                self.text(),
                [],
                {},
                r.randint(-9, 99),
            ]
        )

    def junk(self, depth: int = 0) -> Any:
        r = self.rng
        if depth > 3 or r.random() < 0.4:
            return self.scalar()
        if r.random() < 0.5:
            return [self.junk(depth + 1) for _ in range(r.randint(0, 4))]
        return {self.text(12): self.junk(depth + 1) for _ in range(r.randint(0, 4))}

    def mutate(self, node: Any, rate: float = 0.25) -> Any:
        """Replace, drop or retype parts of a real payload."""
        r = self.rng
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                roll = r.random()
                if roll < rate * 0.3:
                    continue  # dropped
                out[key] = self.junk() if roll < rate else self.mutate(value, rate)
            if r.random() < rate * 0.2:
                out[self.text(10)] = self.junk()
            return out
        if isinstance(node, list):
            return [self.mutate(v, rate) for v in node if r.random() > rate * 0.3]
        return self.junk() if r.random() < rate else node

    def state_values(self) -> dict[str, Any]:
        blocks = [
            "record",
            "date",
            "time",
            "duration",
            "duration_custom",
            "title",
            "attendees",
            "location_kind",
            "loc_phone",
            "loc_video",
            "rem_amount_0",
            "rem_unit_0",
            "notes",
            "host",
            "associated",
            "x",
        ]
        r = self.rng
        values: dict[str, Any] = {}
        for block in r.sample(blocks, r.randint(0, len(blocks))):
            action = r.choice(
                [
                    "record_select",
                    "date_pick",
                    "time_pick",
                    "duration_select",
                    "title_input",
                    "attendee_select",
                    "loc_input",
                    "notes_input",
                    "rem_amount_input_0",
                    self.text(8),
                ]
            )
            values[block] = {
                action: r.choice(
                    [
                        {
                            "type": "external_select",
                            "selected_option": {"value": r.choice(NASTY), "text": self.junk()},
                        },
                        {
                            "type": "datepicker",
                            "selected_date": r.choice(NASTY + ["2031-01-01", "1999-12-31"]),
                        },
                        {
                            "type": "timepicker",
                            "selected_time": r.choice(NASTY + ["10:30"]),
                            "timezone": self.text(20),
                        },
                        {"type": "plain_text_input", "value": self.text(300)},
                        {"type": "multi_external_select", "selected_options": self.junk()},
                        {"type": "rich_text_input", "rich_text_value": self.junk()},
                        self.junk(),
                    ]
                )
            }
        return values

    # -- requests
    def request(self) -> tuple[bytes, str]:
        r = self.rng
        kind = r.random()
        if kind < 0.05:
            return bytes(r.randrange(256) for _ in range(r.randint(0, 400))), r.choice(
                [FORM, JSON, "text/plain"]
            )
        if kind < 0.10:  # slash commands cost the most (they open a modal): fewer of them
            return self.slash(), FORM
        if kind < 0.70:
            return self.interactive(), FORM
        if kind < 0.90:
            return self.event(), JSON
        if kind < 0.95:  # form fields of every kind, random values
            fields = {
                r.choice(
                    [
                        "payload",
                        "command",
                        "text",
                        "trigger_id",
                        "type",
                        "user_id",
                        "team_id",
                        self.text(6),
                    ]
                ): self.text(100)
                for _ in range(r.randint(0, 6))
            }
            return urlencode(fields, errors="surrogatepass").encode(), FORM
        depth = r.randint(50, 400)  # deeply nested JSON
        return ("[" * depth + "]" * depth).encode(), r.choice([JSON, FORM])

    def slash(self) -> bytes:
        r = self.rng
        fields = parse_form(
            slash_command_body(command="/meet", user_id=r.choice(["U1", "U2", "UNOBODY"]))
        )
        fields["text"] = self.text(200)
        if r.random() < 0.3:
            fields["command"] = r.choice(["/MEET", "/other", "", self.text(10)])
        if r.random() < 0.2:
            fields = self.mutate(fields)
        if r.random() < 0.1:
            fields.pop("trigger_id", None)
        return urlencode(
            {str(k): str(v) for k, v in fields.items()}, errors="surrogatepass"
        ).encode()

    def interactive(self) -> bytes:
        r = self.rng
        user = r.choice(["U1", "U2", "UNOBODY", ""])
        builders: list[Callable[[], dict[str, Any]]] = [
            lambda: view_submission(
                self.text(12),
                r.choice(CALLBACKS),
                self.state_values(),
                private_metadata=r.choice(
                    [
                        self.text(80),
                        json.dumps(self.junk()),
                        json.dumps({"k": self.text(20), "tz": r.choice(NASTY), "m": self.scalar()}),
                    ]
                ),
                user_id=user or "U1",
            ),
            lambda: block_actions(
                r.choice(ACTION_IDS),
                value=r.choice(
                    [
                        self.text(50),
                        json.dumps(self.junk()),
                        json.dumps({"m": r.randint(-5, 50), "o": self.text(12)}),
                    ]
                ),
                block_id=self.text(20),
                user_id=user or "U1",
                view=r.choice(
                    [
                        None,
                        {
                            "id": self.text(10),
                            "state": {"values": self.state_values()},
                            "private_metadata": self.text(60),
                        },
                    ]
                ),
            ),
            lambda: block_suggestion(
                r.choice(["record_select", "attendee_select", "associated_select", self.text(10)]),
                self.text(120),
                user_id=user or "U1",
            ),
            lambda: view_closed(
                self.text(10), r.choice(CALLBACKS), self.text(40), user_id=user or "U1"
            ),
            lambda: {
                "type": r.choice(
                    ["shortcut", "message_action", "workflow_step_edit", self.text(10)]
                ),
                "callback_id": self.text(10),
                "trigger_id": self.text(20),
                "user": {"id": user},
            },
        ]
        payload = r.choice(builders)()
        if r.random() < 0.5:
            payload = self.mutate(payload)
        text = (
            json.dumps(payload, allow_nan=True)
            if r.random() < 0.9
            else json.dumps(payload)[: r.randint(0, 200)]
        )
        return urlencode({"payload": text}, errors="surrogatepass").encode()

    def event(self) -> bytes:
        r = self.rng
        event = {
            "type": r.choice(EVENT_TYPES),
            "user": r.choice(["U1", "U2", "", None]),
            "tab": r.choice(["home", "messages", None]),
            "text": self.text(100),
            "channel": self.text(10),
        }
        body = json.loads(event_body(self.mutate(event), event_id=r.choice([None, self.text(10)])))
        if r.random() < 0.5:
            body = self.mutate(body)
        if r.random() < 0.05:
            body = {"type": "url_verification", "challenge": self.junk()}
        return json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")

    # -- CSV
    def csv_cell(self) -> str:
        r = self.rng
        cell = self.text(40)
        if r.random() < 0.2:
            cell = '"' + cell.replace('"', '""') + '"'
        elif r.random() < 0.1:
            cell = '"' + cell  # an unterminated quote
        return cell

    def bad_csv_row(self, taken: set[str]) -> str:
        """A row with at least one defect `meetline import` must refuse (by construction)."""
        r = self.rng
        row = {
            "type": r.choice(["contact", "company", "deal", "ticket"]),
            "id": f"f{r.randrange(10**9)}",
            "name": "Fuzz Person",
            "email": "",
            "phone": "",
            "timezone": "",
            "associations": "",
        }
        defect = r.choice(
            [
                "type",
                "id",
                "long_id",
                "dup_id",
                "name",
                "long_name",
                "email",
                "phone",
                "timezone",
                "assoc",
                "self",
                "fields",
                "quote",
            ]
        )
        if defect == "type":
            row["type"] = r.choice(["", "lead", "contacts", "☃", self.text(8) + "x"])
        elif defect == "id":
            row["id"] = r.choice(["", " ", "\t"])
        elif defect == "long_id":
            row["id"] = "i" * r.randint(129, 400)
        elif defect == "dup_id" and taken:
            row["id"] = r.choice(sorted(taken))
        elif defect == "name":
            row["name"] = r.choice(["", "   ", "\t"])
        elif defect == "long_name":
            row["name"] = "n" * r.randint(301, 900)
        elif defect == "email":
            row["email"] = r.choice(
                [
                    "not-an-email",
                    "a@b",
                    "jane doe@x.example",
                    "<jane@x.example>",
                    "@x.example",
                    "j..d@x.example",
                    "x" * 330 + "@x.example",
                ]
            )
        elif defect == "phone":
            row["phone"] = r.choice(["12", "call me", "+48 600 ++", "1" * 20, "☎ 600 100 200"])
        elif defect == "timezone":
            row["timezone"] = r.choice(
                ["Mars/Base", "UTC+2", "Europe/Warszawa", "warsaw", "Etc/GMT+99"]
            )
        elif defect == "assoc":
            row["associations"] = f"missing-{r.randrange(10**9)}"
        elif defect == "self":
            row["associations"] = row["id"]
        else:
            row["type"] = "contact"
            row["id"] = "dup-" + row["id"] if defect == "dup_id" else row["id"]
        cells = [
            row[c] for c in ("type", "id", "name", "email", "phone", "timezone", "associations")
        ]
        line = ",".join(self._quote(c) for c in cells)
        if defect == "fields" or (defect == "dup_id" and not taken):
            line += "," + self._quote(self.text(10))  # eight fields
        elif defect == "quote":
            line = '"' + line.replace('"', "")  # a quote never closed: unreadable from here on
        taken.add(row["id"])
        return line

    def random_csv_row(self, taken: set[str]) -> str:
        """Arbitrary cells: valid or not, they must never crash the import."""
        r = self.rng
        if r.random() < 0.5:
            ext = f"r{r.randrange(10**9)}"
            taken.add(ext)
            return ",".join(
                [
                    r.choice(["contact", "company", "deal", "ticket"]),
                    ext,
                    self._quote(self.text(30) or "x"),
                    r.choice(["", "ok@fuzz.example", self._quote(self.text(20))]),
                    "",
                    "",
                    "",
                ]
            )
        return ",".join(self.csv_cell() for _ in range(r.choice([7, 7, 7, 1, 6, 8, 20])))

    @staticmethod
    def _quote(cell: str) -> str:
        if any(c in cell for c in ',"\r\n'):
            return '"' + cell.replace('"', '""') + '"'
        return cell
