"""An in-process fake of the HubSpot CRM API calls Meetline makes.

``FakeHubSpot`` is a real threaded HTTP server on 127.0.0.1 (``fake.url`` is what
``HUBSPOT_API_URL`` points at). It behaves like the public API for: object pages with
``after`` cursors (``GET /crm/v3/objects/{type}``, ``archived=true`` for deleted ones),
search with filters on the modified date (``POST /crm/v3/objects/{type}/search``;
contacts filter on ``lastmodifieddate``, the others on ``hs_lastmodifieddate``, as in
HubSpot; at most 10,000 results a search), v4 association batch reads, owners, and
meetings created and updated with association types. It checks what HubSpot checks:
the bearer token (401 ``INVALID_AUTHENTICATION``), the token's scopes (403
``MISSING_SCOPES`` naming the scopes), written properties (400 ``VALIDATION_ERROR``
for an unknown property or a bad timestamp or outcome). Every call is recorded;
``fail_next`` (from ``FakeHttpService``) injects 429 with Retry-After and 5xx.
"""

from __future__ import annotations

import copy
import itertools
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tests.support.fake_google import FakeHttpService, Reply, Request, bearer

__all__ = ["ALL_SCOPES", "FakeHubSpot", "hubspot_time"]

OBJECT_SCOPES = {
    "contacts": "crm.objects.contacts.read",
    "companies": "crm.objects.companies.read",
    "deals": "crm.objects.deals.read",
    "tickets": "tickets",
    "meetings": "crm.objects.contacts.read",
}
OWNERS_SCOPE = "crm.objects.owners.read"
MEETINGS_WRITE_SCOPE = "crm.objects.contacts.write"
ALL_SCOPES = frozenset({*OBJECT_SCOPES.values(), OWNERS_SCOPE, MEETINGS_WRITE_SCOPE})

MODIFIED = {"contacts": "lastmodifieddate"}  # the others: hs_lastmodifieddate
MERGED = "hs_merged_object_ids"  # "id;id": the records merged into this one
MEETING_PROPERTIES = frozenset(
    {
        "hs_meeting_title",
        "hs_meeting_body",
        "hs_internal_meeting_notes",
        "hs_meeting_location",
        "hs_meeting_start_time",
        "hs_meeting_end_time",
        "hs_timestamp",
        "hs_meeting_outcome",
        "hs_meeting_external_url",
        "hubspot_owner_id",
    }
)
MEETING_TIMES = ("hs_meeting_start_time", "hs_meeting_end_time", "hs_timestamp")
OUTCOMES = frozenset({"SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"})
# meeting -> object association type ids (HUBSPOT_DEFINED)
MEETING_TO = {"contacts": 200, "companies": 188, "deals": 212, "tickets": 214}
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$|^\d{10,13}$")
MAX_SEARCH_RESULTS = 10_000


def hubspot_time(moment: datetime) -> str:
    """A time as HubSpot writes it in responses."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def _parse_time(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class HubSpotError(Exception):
    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": category,
            **extra,
        }


class FakeHubSpot(FakeHttpService):
    """Arrange with ``grant``, ``put``, ``associate``, ``archive`` and ``add_owner``;
    inspect ``meetings`` (id -> properties and associations) and ``calls()``."""

    def __init__(self) -> None:
        super().__init__()
        self.scopes: dict[str, frozenset[str]] = {}
        self.objects: dict[str, dict[str, dict[str, Any]]] = {
            kind: {} for kind in ("contacts", "companies", "deals", "tickets")
        }
        self.links: set[tuple[str, str, str, str]] = set()
        # (kind, id, other kind) -> other ids: the batch reads' index
        self._linked: dict[tuple[str, str, str], set[str]] = {}
        self.owners: list[dict[str, Any]] = []
        self.meetings: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1001)
        self.portal_id = 4242

    # ------------------------------------------------------------------ arrange
    def grant(self, token: str, scopes: Iterable[str] = ALL_SCOPES) -> str:
        with self.lock:
            self.scopes[token] = frozenset(scopes)
        return token

    def put(
        self, kind: str, properties: dict[str, str], *, at: datetime, object_id: str | None = None
    ) -> str:
        """Create or change an object as if someone edited it in HubSpot at `at`."""
        with self.lock:
            oid = object_id or str(next(self._ids))
            found = self.objects[kind].get(oid)
            stamp = hubspot_time(at)
            obj = found or {"id": oid, "createdAt": stamp, "archived": False, "properties": {}}
            obj["properties"].update(properties)
            obj["properties"][MODIFIED.get(kind, "hs_lastmodifieddate")] = stamp
            obj["updatedAt"] = stamp
            self.objects[kind][oid] = obj
            return oid

    def associate(self, kind: str, oid: str, other_kind: str, other_id: str) -> None:
        with self.lock:
            self.links.add((kind, oid, other_kind, other_id))
            self.links.add((other_kind, other_id, kind, oid))
            self._linked.setdefault((kind, oid, other_kind), set()).add(other_id)
            self._linked.setdefault((other_kind, other_id, kind), set()).add(oid)

    def archive(self, kind: str, oid: str, *, at: datetime) -> None:
        with self.lock:
            obj = self.objects[kind][oid]
            obj["archived"] = True
            obj["archivedAt"] = hubspot_time(at)

    def restore(self, kind: str, oid: str, *, at: datetime) -> None:
        """Out of the recycle bin, as modified at `at` (HubSpot lists it as changed)."""
        with self.lock:
            obj = self.objects[kind][oid]
            obj["archived"] = False
            obj.pop("archivedAt", None)
            stamp = hubspot_time(at)
            obj["properties"][MODIFIED.get(kind, "hs_lastmodifieddate")] = stamp
            obj["updatedAt"] = stamp

    def merge(self, kind: str, keep: str, gone: str, *, at: datetime, new_id: bool = False) -> str:
        """Merge `gone` into `keep` as HubSpot does: `gone` disappears (not archived),
        its associations move to `keep`, which lists it in hs_merged_object_ids.
        `new_id`: as HubSpot now does for contacts, the merged record is a new object
        (keep's properties) and both old ids disappear and are listed. Returns the id
        of the merged record."""
        with self.lock:
            props = self.objects[kind][keep]["properties"]
            listed = [
                x
                for oid in (keep, gone)
                for x in (self.objects[kind][oid]["properties"].get(MERGED) or "").split(";")
                if x
            ]
            olds = [gone]
            target = keep
            if new_id:
                target = self.put(
                    kind,
                    {k: v for k, v in props.items() if k != MERGED},
                    at=at,
                )
                olds = [keep, gone]
            for old in olds:
                del self.objects[kind][old]
                for a_kind, a, b_kind, b in list(self.links):
                    if a_kind == kind and a == old:
                        self.links.discard((a_kind, a, b_kind, b))
                        self.links.discard((b_kind, b, a_kind, a))
                        self._linked.get((a_kind, a, b_kind), set()).discard(b)
                        self._linked.get((b_kind, b, a_kind), set()).discard(a)
                        self.associate(kind, target, b_kind, b)
            self.put(kind, {MERGED: ";".join([*listed, *olds])}, at=at, object_id=target)
            return target

    def add_owner(self, email: str, first: str = "", last: str = "") -> str:
        with self.lock:
            oid = str(next(self._ids))
            now = hubspot_time(datetime.now(UTC))
            self.owners.append(
                {
                    "id": oid,
                    "email": email,
                    "firstName": first,
                    "lastName": last,
                    "type": "PERSON",
                    "userId": int(oid),
                    "createdAt": now,
                    "updatedAt": now,
                    "archived": False,
                }
            )
            return oid

    def error_body(self, status: int, message: str, reason: str = "") -> Any:
        if status == 429:
            return {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": "TEN_SECONDLY_ROLLING",
            }
        return {"status": "error", "message": message, "category": "INTERNAL_ERROR"}

    # ------------------------------------------------------------------ routing
    def route(self, req: Request) -> Reply:
        try:
            with self.lock:
                return self._route(req)
        except HubSpotError as exc:
            return Reply(exc.status, exc.body)

    def _route(self, req: Request) -> Reply:
        token = bearer(req)
        if token is None or token not in self.scopes:
            raise HubSpotError(
                401,
                "INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
            )
        granted = self.scopes[token]
        parts = req.path.strip("/").split("/")
        if req.path == "/account-info/v3/details" and req.method == "GET":
            return Reply(
                200,
                {
                    "portalId": self.portal_id,
                    "uiDomain": "app-eu1.hubspot.com",
                    "timeZone": "Europe/Warsaw",
                    "dataHostingLocation": "eu1",
                    "accountType": "STANDARD",
                    "companyCurrency": "EUR",
                    "additionalCurrencies": [],
                    "utcOffset": "+01:00",
                    "utcOffsetMilliseconds": 3600000,
                },
            )
        if parts[:3] == ["crm", "v3", "owners"] and req.method == "GET":
            self._need(granted, OWNERS_SCOPE)
            return self._owners(req)
        if parts[:3] == ["crm", "v4", "associations"] and parts[5:] == ["batch", "read"]:
            from_kind, to_kind = parts[3], parts[4]
            for kind in (from_kind, to_kind):
                self._need(granted, OBJECT_SCOPES.get(kind, "unknown"))
            return self._batch_associations(req, from_kind, to_kind)
        if parts[:3] == ["crm", "v3", "objects"] and len(parts) >= 4:
            kind = parts[3]
            if kind == "meetings":
                return self._meetings(req, parts[4:], granted)
            if kind not in self.objects:
                raise HubSpotError(
                    400, "VALIDATION_ERROR", f"Unable to infer object type from: {kind}"
                )
            self._need(granted, OBJECT_SCOPES[kind])
            if len(parts) == 4 and req.method == "GET":
                return self._list(req, kind)
            if parts[4:] == ["search"] and req.method == "POST":
                return self._search(req, kind)
        raise HubSpotError(404, "OBJECT_NOT_FOUND", f"no route {req.method} {req.path}")

    def _need(self, granted: frozenset[str], scope: str) -> None:
        if scope not in granted:
            raise HubSpotError(
                403,
                "MISSING_SCOPES",
                "This app hasn't been granted all required scopes to make this call.",
                errors=[
                    {
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": [scope]},
                    }
                ],
            )

    # ------------------------------------------------------------------ reading
    def _shape(self, obj: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
        out = {k: v for k, v in obj.items() if k != "properties"}
        props = obj["properties"]
        out["properties"] = {
            name: props.get(name) for name in {*wanted, "hs_object_id"} if name in props
        }
        out["properties"]["hs_object_id"] = obj["id"]
        return copy.deepcopy(out)

    def _page(
        self, items: list[dict[str, Any]], after: str | None, limit: int, wanted: list[str]
    ) -> dict[str, Any]:
        start = int(after or 0)
        chunk = items[start : start + limit]
        body: dict[str, Any] = {"results": [self._shape(o, wanted) for o in chunk]}
        if start + limit < len(items):
            nxt = str(start + limit)
            body["paging"] = {"next": {"after": nxt, "link": f"{self.url}?after={nxt}"}}
        return body

    def _list(self, req: Request, kind: str) -> Reply:
        limit = min(int(req.query.get("limit", "10")), 100)
        archived = req.query.get("archived", "false").lower() == "true"
        wanted = [p for p in req.query.get("properties", "").split(",") if p]
        items = sorted(
            (o for o in self.objects[kind].values() if o["archived"] == archived),
            key=lambda o: int(o["id"]),
        )
        return Reply(200, self._page(items, req.query.get("after"), limit, wanted))

    def _search(self, req: Request, kind: str) -> Reply:
        body = req.json or {}
        limit = int(body.get("limit", 10))
        after = int(body.get("after") or 0)
        if limit > 200:
            raise HubSpotError(400, "VALIDATION_ERROR", "limit must be at most 200")
        if after + limit > MAX_SEARCH_RESULTS:
            raise HubSpotError(400, "VALIDATION_ERROR", "search results are limited to 10,000")
        items = [o for o in self.objects[kind].values() if not o["archived"]]
        for group in body.get("filterGroups", [])[:1]:
            for f in group.get("filters", []):
                items = [o for o in items if self._matches(kind, o, f)]
        for sort in body.get("sorts", [])[:1]:
            name = sort if isinstance(sort, str) else sort.get("propertyName", "")
            descending = isinstance(sort, dict) and sort.get("direction") == "DESCENDING"
            items.sort(key=lambda o: (o["properties"].get(name) or "", int(o["id"])))
            if descending:
                items.reverse()
        if not body.get("sorts"):
            items.sort(key=lambda o: int(o["id"]))
        page = self._page(items, str(after), limit, body.get("properties", []))
        page["total"] = len(items)
        return Reply(200, page)

    def _matches(self, kind: str, obj: dict[str, Any], f: dict[str, Any]) -> bool:
        name, op, value = f.get("propertyName"), f.get("operator"), f.get("value")
        modified = MODIFIED.get(kind, "hs_lastmodifieddate")
        if name != modified:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"this fake filters on {modified} only, not {name}"
            )
        if not isinstance(value, str) or not TIMESTAMP.match(value):
            raise HubSpotError(400, "VALIDATION_ERROR", f"bad timestamp {value!r}")
        have, bound = _parse_time(obj["properties"][modified]), _parse_time(value)
        checks = {
            "GTE": have >= bound,
            "GT": have > bound,
            "LTE": have <= bound,
            "LT": have < bound,
            "EQ": have == bound,
        }
        if op not in checks:
            raise HubSpotError(400, "VALIDATION_ERROR", f"unknown operator {op!r}")
        return checks[op]

    def _batch_associations(self, req: Request, from_kind: str, to_kind: str) -> Reply:
        inputs = (req.json or {}).get("inputs", [])
        if len(inputs) > 1000:
            raise HubSpotError(400, "VALIDATION_ERROR", "at most 1000 inputs")
        results = []
        for item in inputs:
            oid = str(item["id"])
            found = sorted(int(b) for b in self._linked.get((from_kind, oid, to_kind), ()))
            if found:
                results.append(
                    {
                        "from": {"id": oid},
                        "to": [
                            {
                                "toObjectId": b,
                                "associationTypes": [
                                    {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": None}
                                ],
                            }
                            for b in found
                        ],
                    }
                )
        now = hubspot_time(datetime.now(UTC))
        return Reply(
            200, {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        )

    def _owners(self, req: Request) -> Reply:
        email = req.query.get("email")
        items = [o for o in self.owners if email is None or o["email"] == email]
        limit = min(int(req.query.get("limit", "100")), 500)
        start = int(req.query.get("after") or 0)
        body: dict[str, Any] = {"results": copy.deepcopy(items[start : start + limit])}
        if start + limit < len(items):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return Reply(200, body)

    # ------------------------------------------------------------------ meetings
    def _meetings(self, req: Request, rest: list[str], granted: frozenset[str]) -> Reply:
        body = req.json or {}
        if rest == ["search"] and req.method == "POST":
            self._need(granted, OBJECT_SCOPES["meetings"])
            return self._search_meetings(body)
        if req.method == "GET":
            self._need(granted, OBJECT_SCOPES["meetings"])
        else:
            self._need(granted, MEETINGS_WRITE_SCOPE)
        if not rest and req.method == "POST":
            props = self._check_meeting(body.get("properties"), creating=True)
            associations = self._check_associations(body.get("associations") or [])
            mid = str(next(self._ids))
            now = hubspot_time(datetime.now(UTC))
            self.meetings[mid] = {
                "id": mid,
                "properties": props,
                "associations": associations,
                "createdAt": now,
                "updatedAt": now,
                "archived": False,
            }
            return Reply(201, self._meeting_body(mid))
        if len(rest) == 1 and rest[0] in self.meetings:
            if req.method == "GET":
                return Reply(200, self._meeting_body(rest[0]))
            if req.method == "PATCH":
                props = self._check_meeting(body.get("properties"), creating=False)
                meeting = self.meetings[rest[0]]
                meeting["properties"].update(props)
                meeting["updatedAt"] = hubspot_time(datetime.now(UTC))
                return Reply(200, self._meeting_body(rest[0]))
        raise HubSpotError(404, "OBJECT_NOT_FOUND", "Object not found.")

    def _search_meetings(self, body: dict[str, Any]) -> Reply:
        """EQ filters on meeting properties (times compared as instants)."""
        found = list(self.meetings)
        for group in body.get("filterGroups", [])[:1]:
            for f in group.get("filters", []):
                name, value = f.get("propertyName"), f.get("value")
                if f.get("operator") != "EQ" or name not in MEETING_PROPERTIES:
                    raise HubSpotError(400, "VALIDATION_ERROR", f"unsupported filter {f!r}")
                if name in MEETING_TIMES:
                    if not isinstance(value, str) or not TIMESTAMP.match(value):
                        raise HubSpotError(400, "VALIDATION_ERROR", f"bad timestamp {value!r}")
                    wanted = _parse_time(value)
                    found = [
                        m
                        for m in found
                        if name in self.meetings[m]["properties"]
                        and _parse_time(self.meetings[m]["properties"][name]) == wanted
                    ]
                else:
                    found = [m for m in found if self.meetings[m]["properties"].get(name) == value]
        limit = int(body.get("limit", 10))
        results = [self._meeting_body(m) for m in found[:limit]]
        return Reply(200, {"total": len(found), "results": results})

    def _meeting_body(self, mid: str) -> dict[str, Any]:
        meeting = self.meetings[mid]
        out = {k: v for k, v in meeting.items() if k != "associations"}
        return copy.deepcopy(out)

    def _check_meeting(self, props: Any, *, creating: bool) -> dict[str, str]:
        if not isinstance(props, dict):
            raise HubSpotError(400, "VALIDATION_ERROR", "properties must be an object")
        problems = []
        for name, value in props.items():
            if name not in MEETING_PROPERTIES:
                problems.append(
                    {
                        "isValid": False,
                        "message": f'Property "{name}" does not exist',
                        "error": "PROPERTY_DOESNT_EXIST",
                        "name": name,
                    }
                )
            elif name in MEETING_TIMES and not (isinstance(value, str) and TIMESTAMP.match(value)):
                problems.append(
                    {
                        "isValid": False,
                        "message": f"{value!r} is not a valid timestamp",
                        "error": "INVALID_DATE",
                        "name": name,
                    }
                )
            elif name == "hs_meeting_outcome" and value not in OUTCOMES:
                problems.append(
                    {
                        "isValid": False,
                        "message": f"{value!r} was not one of the allowed options",
                        "error": "INVALID_OPTION",
                        "name": name,
                    }
                )
            elif name == "hubspot_owner_id" and value not in {o["id"] for o in self.owners}:
                problems.append(
                    {
                        "isValid": False,
                        "message": f"{value!r} is not a valid owner id",
                        "error": "INVALID_OWNER_ID",
                        "name": name,
                    }
                )
        if creating and "hs_timestamp" not in props:
            problems.append(
                {"isValid": False, "message": "hs_timestamp is required", "name": "hs_timestamp"}
            )
        if problems:
            raise HubSpotError(
                400, "VALIDATION_ERROR", f"Property values were not valid: {problems}"
            )
        return {k: str(v) for k, v in props.items()}

    def _check_associations(self, items: list[Any]) -> list[tuple[str, str, int]]:
        out = []
        for item in items:
            to_id = str(item.get("to", {}).get("id"))
            for spec in item.get("types", []):
                type_id = spec.get("associationTypeId")
                if spec.get("associationCategory") != "HUBSPOT_DEFINED":
                    raise HubSpotError(400, "VALIDATION_ERROR", "unknown association category")
                kinds = [k for k, t in MEETING_TO.items() if t == type_id]
                if not kinds:
                    raise HubSpotError(
                        400, "VALIDATION_ERROR", f"unknown association type {type_id}"
                    )
                if to_id not in self.objects[kinds[0]]:
                    raise HubSpotError(
                        400, "VALIDATION_ERROR", f"{kinds[0]} {to_id} does not exist"
                    )
                out.append((kinds[0], to_id, type_id))
        return out
