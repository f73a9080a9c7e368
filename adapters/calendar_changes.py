"""Reading changes back from calendars (`handlers.calendar_sync.ChangeFeed`), one
subclass per adapter so the writing side stays as it was built and tested.

Each uses the cheapest signal its provider offers:

- **Google**: `events.list` with the stored `syncToken` (deletions come back as
  `status: cancelled`); a 410 means the token expired and sync starts over. A sync token
  cannot be combined with filters, so Meetline's events are picked out on our side.
- **Microsoft Graph**: `calendarView/delta` over a window from yesterday to a year ahead;
  the `@odata.deltaLink` is stored, deletions arrive as `@removed`, and the window is
  renewed when it gets short.
- **CalDAV**: the collection's `getctag` tells whether anything changed at all; only then
  is each watched event fetched by its URL (a 404 means the host deleted it).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from caldav.calendarobjectresource import Event as DavEvent
from caldav.elements.base import ValuedBaseElement
from caldav.lib import error as dav_error

from adapters.caldav_calendar import CalDavCalendar
from adapters.google_calendar import GoogleCalendar
from adapters.graph_calendar import GraphCalendar, _parse_graph_time
from handlers.calendar_sync import ChangeBatch, EventChange, SyncStateExpired, WatchedEvent
from handlers.calendars import CalendarNotFoundError

GOOGLE_PAGE_SIZE = 2500
MAX_PAGES = 20
GRAPH_WINDOW_BEFORE = timedelta(days=1)
GRAPH_WINDOW_AFTER = timedelta(days=365)
GRAPH_WINDOW_MARGIN = timedelta(days=30)


def _google_time(value: Mapping[str, Any] | None) -> datetime | None:
    if not value or "dateTime" not in value:
        return None  # all-day: not a Meetline event shape; leave the times alone
    moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


class GoogleCalendarSync(GoogleCalendar):
    def changes(
        self, state: Mapping[str, Any] | None, watched: Sequence[WatchedEvent]
    ) -> ChangeBatch:
        token = (state or {}).get("sync_token")
        ids = {w.event_id for w in watched}
        meeting_ids = {w.meeting_id for w in watched}
        items: list[dict[str, Any]] = []
        page: str | None = None
        next_token: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {
                "calendarId": self.calendar_id,
                "maxResults": GOOGLE_PAGE_SIZE,
                "showDeleted": True,
            }
            if token:
                params["syncToken"] = token
            if page:
                params["pageToken"] = page
            try:
                answer = self._execute(self._service.events().list(**params))
            except CalendarNotFoundError as exc:
                if token:
                    raise SyncStateExpired(f"Google sync token expired: {exc}") from exc
                raise
            items.extend(answer.get("items") or [])
            page = answer.get("nextPageToken")
            if not page:
                next_token = answer.get("nextSyncToken")
                break
        changes = []
        for item in items:
            private = (item.get("extendedProperties") or {}).get("private") or {}
            try:
                meeting_id: int | None = int(private["meetline_id"])
            except (KeyError, TypeError, ValueError):
                meeting_id = None
            if item.get("id") not in ids and meeting_id not in meeting_ids:
                continue
            changes.append(
                EventChange(
                    event_id=str(item["id"]),
                    meeting_id=meeting_id,
                    cancelled=item.get("status") == "cancelled",
                    start_utc=_google_time(item.get("start")),
                    end_utc=_google_time(item.get("end")),
                    description=item.get("description") if "description" in item else "",
                    sequence=item.get("sequence"),
                )
            )
        new_state = {"sync_token": next_token} if next_token else (dict(state) if state else None)
        return ChangeBatch(tuple(changes), new_state)


class GraphCalendarSync(GraphCalendar):
    def changes(
        self, state: Mapping[str, Any] | None, watched: Sequence[WatchedEvent]
    ) -> ChangeBatch:
        now = datetime.now(UTC)
        link = (state or {}).get("delta_link")
        window_end = (state or {}).get("window_end")
        fresh_window = (
            not link
            or not window_end
            or datetime.fromisoformat(window_end) < now + GRAPH_WINDOW_MARGIN
        )
        if fresh_window:
            end = now + GRAPH_WINDOW_AFTER
            path: str | None = (
                f"/calendarView/delta?startDateTime={quote(self._iso(now - GRAPH_WINDOW_BEFORE))}"
                f"&endDateTime={quote(self._iso(end))}"
            )
            window_end = end.isoformat()
        else:
            path = self._relative(str(link))
        ids = {w.event_id for w in watched}
        items: list[dict[str, Any]] = []
        delta_link: str | None = None
        for _ in range(MAX_PAGES):
            if path is None:
                break
            try:
                answer = self._call("GET", path).json()
            except CalendarNotFoundError as exc:
                if not fresh_window:
                    raise SyncStateExpired(f"Graph delta link expired: {exc}") from exc
                raise
            items.extend(answer.get("value") or [])
            if answer.get("@odata.nextLink"):
                path = self._relative(str(answer["@odata.nextLink"]))
                continue
            delta_link = answer.get("@odata.deltaLink")
            break
        changes = []
        for item in items:
            event_id = str(item.get("id", ""))
            if event_id not in ids:
                continue
            removed = "@removed" in item or bool(item.get("isCancelled"))
            changes.append(
                EventChange(
                    event_id=event_id,
                    cancelled=removed,
                    start_utc=None
                    if removed or "start" not in item
                    else _parse_graph_time(item["start"]),
                    end_utc=None
                    if removed or "end" not in item
                    else _parse_graph_time(item["end"]),
                    description=None,  # HTML with the Teams blob: not compared
                )
            )
        if delta_link:
            return ChangeBatch(tuple(changes), {"delta_link": delta_link, "window_end": window_end})
        return ChangeBatch(tuple(changes), dict(state) if state else None)

    @staticmethod
    def _iso(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _relative(self, link: str) -> str | None:
        """Graph hands back absolute links; `_call` wants the part after the mailbox."""
        if link.startswith(self._base):
            return link[len(self._base) :]
        marker = link.find("/calendarView/")
        return link[marker:] if marker >= 0 else None


class _GetCtag(ValuedBaseElement):
    tag = "{http://calendarserver.org/ns/}getctag"


def _as_utc(value: date | datetime) -> datetime | None:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return None


class CalDavCalendarSync(CalDavCalendar):
    def changes(
        self, state: Mapping[str, Any] | None, watched: Sequence[WatchedEvent]
    ) -> ChangeBatch:
        with self._lock:
            ctag = self._guard(self._ctag)
            if ctag and state and state.get("ctag") == ctag:
                return ChangeBatch((), dict(state))
            changes = []
            for item in watched:
                change = self._guard(functools.partial(self._read, item))
                if change is not None:
                    changes.append(change)
        return ChangeBatch(tuple(changes), {"ctag": ctag} if ctag else None)

    def _ctag(self) -> str | None:
        try:
            value = self._calendar().get_property(_GetCtag())
        except dav_error.DAVError:
            return None  # a server without ctags is polled every time
        return str(value) if value else None

    def _read(self, watched: WatchedEvent) -> EventChange | None:
        obj = DavEvent(client=self._dav(), url=watched.event_id, parent=self._calendar())
        try:
            obj.load(multiget_fallback=False)
        except dav_error.NotFoundError:
            return EventChange(
                event_id=watched.event_id, meeting_id=watched.meeting_id, cancelled=True
            )
        for component in obj.icalendar_instance.walk("VEVENT"):
            if str(component.get("UID", "")) != watched.uid:
                continue
            cancelled = str(component.get("STATUS", "")).upper() == "CANCELLED"
            return EventChange(
                event_id=watched.event_id,
                meeting_id=watched.meeting_id,
                cancelled=cancelled,
                start_utc=_as_utc(component.start),
                end_utc=_as_utc(component.end),
                description=str(component.get("DESCRIPTION", "")),
                sequence=int(component.get("SEQUENCE", 0)),
            )
        return None
