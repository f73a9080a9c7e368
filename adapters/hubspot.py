"""HubSpot as a record source and as a meeting log, through `hubspot-api-client`.

Choices that matter, and why:

- **One try a call.** The client is built with no retries of its own: a 429 (with its
  Retry-After) or a 5xx becomes `CrmBusy` at once, and the job queue waits, so a sync
  or a write-back survives restarts and never holds a worker thread for minutes.
- **Errors by meaning.** 401 is `CrmRefused` (wrong or revoked token); 403
  `MISSING_SCOPES` is `CrmMissingScopes` naming the scopes HubSpot asked for; anything
  else HubSpot refuses is `HubSpotRejected` with its status and category only: never
  the reply's text, which can quote properties (names, emails).
- **Records.** External ids are `hubspot:<kind>:<id>`, so they never meet a CSV's ids
  and the write-back knows each record's HubSpot type. Kinds are pulled companies,
  deals, contacts, tickets; each record carries its associations to every other kind
  (v4 batch reads), so an incremental page replaces a record's associations with
  HubSpot's current ones.
- **Merges** drop the merged-away records without archiving them: the record kept
  lists them in `hs_merged_object_ids`. A page pairs each with the record that lists
  it (`RecordPage.merged`), so the sync moves its meetings, timeline and associations
  there before deleting it. The kept record is the one whose row names the merge, and
  it comes in the same page, so it is always stored first; whether HubSpot kept the
  primary's id or gave the merged record a new one (both old ids are then listed)
  makes no difference.
- **Incremental pulls** search on the modified date (contacts: `lastmodifieddate`,
  the others: `hs_lastmodifieddate`), oldest first, so a search that reaches HubSpot's
  10,000-result cap stops there and the next pull starts at the last date seen.
  Deletions are the archived objects archived since then.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from hubspot import HubSpot
from hubspot.crm.associations.v4 import ApiException as AssociationsError
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.companies import ApiException as CompaniesError
from hubspot.crm.contacts import ApiException as ContactsError
from hubspot.crm.contacts import Filter, FilterGroup, PublicObjectSearchRequest
from hubspot.crm.deals import ApiException as DealsError
from hubspot.crm.objects.meetings import ApiException as MeetingsError
from hubspot.crm.objects.meetings import (
    AssociationSpec,
    PublicAssociationsForObject,
    PublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.meetings import Filter as MeetingFilter
from hubspot.crm.objects.meetings import FilterGroup as MeetingFilterGroup
from hubspot.crm.objects.meetings import (
    PublicObjectSearchRequest as MeetingSearchRequest,
)
from hubspot.crm.owners import ApiException as OwnersError
from hubspot.crm.tickets import ApiException as TicketsError
from urllib3.exceptions import HTTPError as TransportError
from urllib3.util.retry import Retry

from adapters.http_retry import parse_retry_after
from handlers.connect_crm import CrmAccount
from handlers.crm import (
    CrmBusy,
    CrmMissingScopes,
    CrmOwner,
    CrmRefused,
    LoggedMeeting,
    RecordPage,
)
from handlers.domain import RecordKind, RecordRow
from handlers.records_csv import (
    MAX_NAME_CHARS,
    is_valid_email,
    is_valid_timezone,
    phone_problem,
)

HUBSPOT_API_URL = "https://api.hubapi.com"
UI_DOMAIN = re.compile(r"app(-[a-z0-9]+)?\.hubspot\.com")
# HubSpot's object type ids, as its record pages' URLs name them
OBJECT_TYPE_IDS = {"contact": "0-1", "company": "0-2", "deal": "0-3", "ticket": "0-5"}
EXTERNAL_PREFIX = "hubspot:"
PAGE_SIZE = 100
SEARCH_CAP = 10_000  # HubSpot returns at most this many results of one search
TIMEOUT_SECONDS = 20.0

# What Meetline asks of a private app, and why (README "Use with HubSpot").
READ_SCOPES = (
    "crm.objects.contacts.read",
    "crm.objects.companies.read",
    "crm.objects.deals.read",
    "tickets",
    "crm.objects.owners.read",
)
WRITE_SCOPES = ("crm.objects.contacts.write",)  # meeting engagements
SCOPES = READ_SCOPES + WRITE_SCOPES

OBJECT_TYPES = {
    RecordKind.COMPANY: "companies",
    RecordKind.DEAL: "deals",
    RecordKind.CONTACT: "contacts",
    RecordKind.TICKET: "tickets",
}
KIND_OF = {v: k for k, v in OBJECT_TYPES.items()}
PULL_ORDER = (RecordKind.COMPANY, RecordKind.DEAL, RecordKind.CONTACT, RecordKind.TICKET)
MERGED = "hs_merged_object_ids"  # "id;id": records merged into this one (gone)
PROPERTIES = {
    "contacts": (
        "firstname",
        "lastname",
        "email",
        "phone",
        "hs_timezone",
        "hubspot_owner_id",
        MERGED,
    ),
    "companies": ("name", "domain", "phone", "hubspot_owner_id", MERGED),
    "deals": ("dealname", "dealstage", "hubspot_owner_id", MERGED),
    "tickets": ("subject", "hubspot_owner_id", MERGED),
}
MODIFIED = {"contacts": "lastmodifieddate"}  # the others: hs_lastmodifieddate
# meeting -> record association type ids (HUBSPOT_DEFINED)
MEETING_ASSOCIATION = {"contacts": 200, "companies": 188, "deals": 212, "tickets": 214}
HUBSPOT_OUTCOMES = frozenset({"SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"})

_API_ERRORS = (
    ContactsError,
    CompaniesError,
    DealsError,
    TicketsError,
    AssociationsError,
    OwnersError,
    MeetingsError,
)
T = TypeVar("T")


class HubSpotRejected(Exception):
    """HubSpot refused a request for a reason other than the token, scopes or load: a
    bug of ours or a record deleted meanwhile. Carries no reply text (it may quote
    customer data)."""

    def __init__(self, status: int, category: str) -> None:
        self.status = status
        self.category = category
        super().__init__(f"HubSpot answered {status} {category}")


def external_id(kind: RecordKind, object_id: str) -> str:
    return f"{EXTERNAL_PREFIX}{kind.value}:{object_id}"


def hubspot_object(external: str) -> tuple[str, str] | None:
    """(object type, id) of a record mirrored from HubSpot; None for other records."""
    if not external.startswith(EXTERNAL_PREFIX):
        return None
    kind, _, object_id = external[len(EXTERNAL_PREFIX) :].partition(":")
    if kind not in {k.value for k in RecordKind} or not object_id.isdigit():
        return None
    return OBJECT_TYPES[RecordKind(kind)], object_id


def hubspot_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z: the form HubSpot accepts for datetimes."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def iana_zone(value: str | None) -> str | None:
    """HubSpot's `hs_timezone` option (`america_slash_new_york`) as an IANA name."""
    if not value:
        return None
    name = "/".join(
        "_".join(word[:1].upper() + word[1:] for word in part.split("_"))
        for part in value.split("_slash_")
    )
    return name if is_valid_timezone(name) else None


@dataclass(frozen=True)
class CrmObject:
    id: str
    properties: dict[str, str | None]
    updated_at: datetime | None


@dataclass(frozen=True)
class ObjectPage:
    objects: tuple[CrmObject, ...]
    after: str | None


class HubSpotClient:
    """The HubSpot calls Meetline makes, with HubSpot's failures as `handlers.crm` errors."""

    def __init__(self, token: str, api_url: str = HUBSPOT_API_URL) -> None:
        self._url = api_url.rstrip("/")
        self._api = HubSpot(access_token=token, host=self._url, retry=Retry(total=0, redirect=0))

    # -- calls ----------------------------------------------------------------------

    def check(self) -> CrmAccount | None:
        """A cheap read per scope Meetline reads with; raises `CrmRefused` at the
        first 401 and `CrmMissingScopes` naming every missing scope found. Returns the
        token's account (None if HubSpot would not say: links are then left out)."""
        missing: list[str] = []
        probes: list[Callable[[], object]] = [
            *(lambda t=t: self.objects(t, None, limit=1) for t in OBJECT_TYPES.values()),
            lambda: self._call(lambda: self._api.crm.owners.owners_api.get_page(limit=1)),
        ]
        for probe in probes:
            try:
                probe()
            except CrmMissingScopes as exc:
                missing.extend(s for s in exc.scopes if s not in missing)
        if missing:
            raise CrmMissingScopes(tuple(missing))
        return self.account()

    def account(self) -> CrmAccount | None:
        """The portal id and UI host (`/account-info/v3/details`, no scope needed)."""
        try:
            answer = self._api.api_request(
                {
                    "method": "GET",
                    "path": "/account-info/v3/details",
                    "base_url": self._url,
                    "timeout": TIMEOUT_SECONDS,
                }
            )
        except requests.RequestException:
            return None
        if answer.status_code != 200:
            return None
        details = _json(answer.content)
        portal, domain = details.get("portalId"), details.get("uiDomain")
        if not isinstance(portal, int) or not isinstance(domain, str):
            return None
        if not UI_DOMAIN.fullmatch(domain):
            return None  # only HubSpot's own hosts become links in Slack
        return CrmAccount(str(portal), domain)

    def objects(
        self,
        object_type: str,
        after: str | None,
        *,
        since: datetime | None = None,
        archived: bool = False,
        limit: int = PAGE_SIZE,
    ) -> ObjectPage:
        """A page of live objects (changed at or after `since`, oldest change first),
        or of archived ones."""
        api = getattr(self._api.crm, object_type)
        props = list(PROPERTIES[object_type])
        if since is None:
            found = self._call(
                lambda: api.basic_api.get_page(
                    limit=limit,
                    after=after,
                    # one comma-separated value, as HubSpot documents it
                    properties=[",".join(props)],
                    archived=archived,
                    _request_timeout=TIMEOUT_SECONDS,
                )
            )
        else:
            modified = MODIFIED.get(object_type, "hs_lastmodifieddate")
            request = PublicObjectSearchRequest(
                filter_groups=[
                    FilterGroup(
                        filters=[
                            Filter(
                                property_name=modified, operator="GTE", value=hubspot_time(since)
                            )
                        ]
                    )
                ],
                sorts=[modified],
                properties=props,
                limit=limit,
                after=after,
            )
            found = self._call(
                lambda: api.search_api.do_search(request, _request_timeout=TIMEOUT_SECONDS)
            )
        paging = found.paging
        nxt = paging.next.after if paging is not None and paging.next is not None else None
        return ObjectPage(
            tuple(
                CrmObject(
                    str(o.id),
                    dict(o.properties or {}),
                    getattr(o, "archived_at", None) if archived else o.updated_at,
                )
                for o in found.results
            ),
            nxt,
        )

    def associations(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[str]]:
        """Associated object ids by object id (v4 batch read, 1,000 ids at a time)."""
        out: dict[str, list[str]] = {}
        for start in range(0, len(ids), 1000):
            body = BatchInputPublicFetchAssociationsBatchRequest(
                inputs=[
                    PublicFetchAssociationsBatchRequest(id=i) for i in ids[start : start + 1000]
                ]
            )
            batch = self._api.crm.associations.v4.batch_api
            found = self._call(
                partial(batch.get_page, from_type, to_type, body, _request_timeout=TIMEOUT_SECONDS)
            )
            for result in found.results:
                out[str(result._from.id)] = [str(to.to_object_id) for to in result.to]
        return out

    def owners(self) -> list[CrmOwner]:
        """Every active owner with an e-mail (500 a page)."""
        api = self._api.crm.owners.owners_api
        found: list[CrmOwner] = []
        after: str | None = None
        while True:
            page = self._call(
                partial(api.get_page, limit=500, after=after, _request_timeout=TIMEOUT_SECONDS)
            )
            found += [CrmOwner(str(o.id), o.email) for o in page.results if o.email]
            paging = page.paging
            after = paging.next.after if paging is not None and paging.next is not None else None
            if after is None:
                return found

    def owner_id(self, email: str) -> str | None:
        """The HubSpot owner with this email, if any."""
        found = self._call(
            lambda: self._api.crm.owners.owners_api.get_page(
                email=email, limit=1, _request_timeout=TIMEOUT_SECONDS
            )
        )
        return str(found.results[0].id) if found.results else None

    def create_meeting(
        self, properties: dict[str, str], associations: Iterable[tuple[str, str]]
    ) -> str:
        body = SimplePublicObjectInputForCreate(
            properties=properties,
            associations=[
                PublicAssociationsForObject(
                    to=PublicObjectId(id=object_id),
                    types=[
                        AssociationSpec(
                            association_category="HUBSPOT_DEFINED",
                            association_type_id=MEETING_ASSOCIATION[object_type],
                        )
                    ],
                )
                for object_type, object_id in associations
            ],
        )
        meetings = self._api.crm.objects.meetings.basic_api
        created = self._call(lambda: meetings.create(body, _request_timeout=TIMEOUT_SECONDS))
        return str(created.id)

    def find_meeting(self, title: str, timestamp: str) -> str | None:
        """The meeting engagement with this title at this `hs_timestamp`, if any."""
        request = MeetingSearchRequest(
            filter_groups=[
                MeetingFilterGroup(
                    filters=[
                        MeetingFilter(property_name="hs_timestamp", operator="EQ", value=timestamp),
                        MeetingFilter(property_name="hs_meeting_title", operator="EQ", value=title),
                    ]
                )
            ],
            properties=["hs_meeting_title"],
            limit=1,
        )
        search = self._api.crm.objects.meetings.search_api
        found = self._call(lambda: search.do_search(request, _request_timeout=TIMEOUT_SECONDS))
        return str(found.results[0].id) if found.results else None

    def update_meeting(self, meeting_id: str, properties: dict[str, str]) -> None:
        body = SimplePublicObjectInput(properties=properties)
        meetings = self._api.crm.objects.meetings.basic_api
        self._call(lambda: meetings.update(meeting_id, body, _request_timeout=TIMEOUT_SECONDS))

    # -- errors ---------------------------------------------------------------------

    def _call(self, call: Callable[[], T]) -> T:
        try:
            return call()
        except _API_ERRORS as exc:
            raise _translate(exc) from None
        except TransportError:
            raise CrmBusy("HubSpot unreachable") from None


def _translate(exc: Any) -> Exception:
    status = int(exc.status or 0)
    body = _json(exc.body)
    category = str(body.get("category") or body.get("errorType") or "")
    if status == 401:
        return CrmRefused("HubSpot refused the token")
    if status == 403 and category == "MISSING_SCOPES":
        scopes: list[str] = []
        for error in body.get("errors") or []:
            context = error.get("context") or {} if isinstance(error, dict) else {}
            for key in ("requiredGranularScopes", "requiredScopes"):
                scopes.extend(s for s in context.get(key) or [] if s not in scopes)
        return CrmMissingScopes(tuple(scopes))
    if status == 429 or status >= 500:
        return CrmBusy(f"HubSpot answered {status}", _retry_after(exc.headers))
    return HubSpotRejected(status, category)


def _json(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(headers: Any) -> float | None:
    return parse_retry_after(headers.get("Retry-After") if headers is not None else None)


# -- the ports ----------------------------------------------------------------------


def _name(kind: RecordKind, obj: CrmObject) -> str:
    p = obj.properties
    if kind is RecordKind.CONTACT:
        name = " ".join(x for x in (p.get("firstname"), p.get("lastname")) if x)
        name = name or p.get("email") or ""
    elif kind is RecordKind.COMPANY:
        name = p.get("name") or p.get("domain") or ""
    elif kind is RecordKind.DEAL:
        name = p.get("dealname") or ""
    else:
        name = p.get("subject") or ""
    name = " ".join(name.split())[:MAX_NAME_CHARS]
    return name or f"{kind.value} {obj.id}"


def _row(kind: RecordKind, obj: CrmObject, associated: Sequence[str]) -> RecordRow:
    email = (obj.properties.get("email") or "").strip() or None
    phone = (obj.properties.get("phone") or "").strip() or None
    return RecordRow(
        line=0,
        kind=kind,
        external_id=external_id(kind, obj.id),
        name=_name(kind, obj),
        email=email if email is not None and is_valid_email(email) else None,
        phone=phone if phone is not None and phone_problem(phone) is None else None,
        timezone=iana_zone(obj.properties.get("hs_timezone")),
        associations=tuple(associated),
    )


class HubSpotRecordSource:
    """HubSpot's contacts, companies, deals and tickets as a `RecordSource`.

    The cursor is `<kind>:<live|gone>:<after>`; a row's associations name every
    associated HubSpot record, mirrored yet or not (the caller keeps the ones it has).
    """

    def __init__(self, client: HubSpotClient, page_size: int = PAGE_SIZE) -> None:
        self._client = client
        self._page_size = page_size

    def page(self, cursor: str | None, since: datetime | None = None) -> RecordPage:
        kind, phase, after = _parse_cursor(cursor)
        object_type = OBJECT_TYPES[kind]
        if phase == "gone":
            assert since is not None
            found = self._client.objects(object_type, after, archived=True, limit=self._page_size)
            deleted = tuple(
                external_id(kind, o.id)
                for o in found.objects
                if o.updated_at is None or o.updated_at >= since
            )
            return RecordPage((), deleted, self._next(kind, phase, found.after, since))
        found = self._client.objects(object_type, after, since=since, limit=self._page_size)
        ids = [o.id for o in found.objects]
        linked: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for other in PULL_ORDER:
                if other is kind:
                    continue
                other_type = OBJECT_TYPES[other]
                for oid, targets in self._client.associations(object_type, other_type, ids).items():
                    linked.setdefault(oid, []).extend(external_id(other, t) for t in targets)
        after_next = found.after
        if since is not None and after_next is not None and int(after_next) >= SEARCH_CAP:
            after_next = None  # the cap: the next pull starts at the last date seen
        stamps = [o.updated_at for o in found.objects if o.updated_at is not None]
        return RecordPage(
            tuple(_row(kind, o, linked.get(o.id, ())) for o in found.objects),
            (),
            self._next(kind, phase, after_next, since),
            max(stamps) if stamps else None,
            _merges(kind, found.objects),
        )

    @staticmethod
    def _next(
        kind: RecordKind, phase: str, after: str | None, since: datetime | None
    ) -> str | None:
        if after is not None:
            return f"{kind.value}:{phase}:{after}"
        if phase == "live" and since is not None:
            return f"{kind.value}:gone:"
        position = PULL_ORDER.index(kind)
        if position + 1 < len(PULL_ORDER):
            return f"{PULL_ORDER[position + 1].value}:live:"
        return None


def _merges(kind: RecordKind, objects: Sequence[CrmObject]) -> tuple[tuple[str, str], ...]:
    """(merged away, kept) external ids: a merge drops records without archiving them,
    and the kept one names them. An id that is itself a live object of the page is
    not gone, whatever an older merge said."""
    live = {o.id for o in objects}
    pairs: dict[str, str] = {}
    for o in objects:
        for raw in (o.properties.get(MERGED) or "").split(";"):
            gone = raw.strip()
            if gone.isdigit() and gone not in live:
                pairs.setdefault(external_id(kind, gone), external_id(kind, o.id))
    return tuple(pairs.items())


def _parse_cursor(cursor: str | None) -> tuple[RecordKind, str, str | None]:
    if not cursor:
        return PULL_ORDER[0], "live", None
    kind, phase, after = cursor.split(":", 2)
    if phase not in ("live", "gone"):
        raise ValueError("not a HubSpot cursor")
    return RecordKind(kind), phase, after or None


def _outcome(outcome: str) -> str:
    """HubSpot's outcome for Meetline's. A workspace's own outcomes (an admin's "Demo
    done", "Upsell") have no HubSpot counterpart; recording one says the meeting took
    place, so HubSpot's is COMPLETED (leaving it SCHEDULED would keep a past meeting
    looking upcoming in HubSpot's reports)."""
    return outcome if outcome in HUBSPOT_OUTCOMES else "COMPLETED"


class HubSpotMeetingLog:
    """Meetings as HubSpot meeting engagements (a `MeetingLog`): created once with
    their associations, then updated in place (times, texts, outcome)."""

    def __init__(self, client: HubSpotClient) -> None:
        self._client = client

    def find(self, meeting: LoggedMeeting) -> str | None:
        # HubSpot has no idempotency key for creates: a retried create looks for the
        # engagement with the meeting's title at its start.
        return self._client.find_meeting(meeting.title, hubspot_time(meeting.start_utc))

    def write(self, meeting: LoggedMeeting, log_id: str | None) -> str:
        props = {
            "hs_meeting_title": meeting.title,
            "hs_meeting_body": meeting.description,
            "hs_internal_meeting_notes": meeting.internal_notes,
            "hs_meeting_location": meeting.location,
            "hs_meeting_start_time": hubspot_time(meeting.start_utc),
            "hs_meeting_end_time": hubspot_time(meeting.end_utc),
            "hs_timestamp": hubspot_time(meeting.start_utc),
        }
        props["hs_meeting_outcome"] = _outcome(meeting.outcome)
        if meeting.link or log_id is not None:
            # HubSpot's "external URL" of the meeting: its link, on create and on every
            # update (an edit that drops the video call clears it).
            props["hs_meeting_external_url"] = meeting.link or ""
        if meeting.host_email:
            owner = self._client.owner_id(meeting.host_email)
            if owner is not None:
                props["hubspot_owner_id"] = owner
        if log_id is not None:
            self._client.update_meeting(log_id, props)
            return log_id
        targets = dict.fromkeys(
            found
            for record in meeting.records
            if (found := hubspot_object(record.external_id)) is not None
        )
        return self._client.create_meeting(props, targets)


if TYPE_CHECKING:  # mypy proves the ports are implemented; nothing runs
    from handlers.ports import MeetingLog, RecordSource

    def _implements(
        s: HubSpotRecordSource, m: HubSpotMeetingLog
    ) -> tuple[RecordSource, MeetingLog]:
        return s, m


def record_url(external: str, portal_id: str | None, ui_domain: str | None) -> str | None:
    """The HubSpot page of a record mirrored from HubSpot; None for other records or
    without the account."""
    if not portal_id or not ui_domain or not UI_DOMAIN.fullmatch(ui_domain):
        return None
    if not external.startswith(EXTERNAL_PREFIX):
        return None
    kind, _, object_id = external[len(EXTERNAL_PREFIX) :].partition(":")
    if kind not in OBJECT_TYPE_IDS or not object_id.isdigit() or not portal_id.isdigit():
        return None
    return f"https://{ui_domain}/contacts/{portal_id}/record/{OBJECT_TYPE_IDS[kind]}/{object_id}"
