"""The calendar fakes, grown by what connecting and syncing need (kept out of the shared
fakes so their own tests are untouched):

- ``FakeGoogleAccount``: Google's authorization-code grant with PKCE (the code a
  browser would bring back is issued by :meth:`issue_code`), ID tokens carrying the
  email, and ``events.list`` with sync tokens (410 for an expired one), plus helpers
  that play the host editing their calendar by hand;
- ``FakeGraphDelta``: ``/me/calendarView/delta`` with delta links.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.fake_google import FakeGoogle, GoogleApiError, Reply, Request, rfc3339
from tests.support.fake_graph import FakeGraph

GOOGLE_SCOPE_REPLY = (
    "openid https://www.googleapis.com/auth/userinfo.email "
    "https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.freebusy"
)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


class FakeGoogleAccount(FakeGoogle):
    def __init__(self, user_email: str = "host@example.com", **kwargs: Any) -> None:
        super().__init__(user_email, **kwargs)
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (code_challenge, redirect_uri)
        self.granted_scope = GOOGLE_SCOPE_REPLY
        self.versions: dict[tuple[str, str], int] = {}
        self.expired_sync_tokens: set[str] = set()
        self._version = itertools.count(1)
        self.list_calls: list[dict[str, str]] = []
        self.signin_email: str | None = (
            None  # who signs in on the consent screen (default: user_email)
        )
        self.email_verified = True

    # ------------------------------------------------------------ the browser's part
    def issue_code(self, authorization_url: str) -> tuple[str, str]:
        """Play the consent screen for an authorization URL: (code, state)."""
        query = {k: v[-1] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        assert query["client_id"] == self.client_id, query
        assert query["response_type"] == "code" and query["code_challenge_method"] == "S256", query
        assert query.get("access_type") == "offline" and query.get("prompt") == "consent", query
        code = "4/" + secrets.token_urlsafe(12)
        with self.lock:
            self.codes[code] = (query["code_challenge"], query["redirect_uri"])
        return code, query["state"]

    # ------------------------------------------------------------ the host's part
    def user_moves(self, event_id: str, start: datetime, end: datetime) -> None:
        with self.lock:
            event = self.events[(self.user_email, event_id)]
            event["start"] = {
                "dateTime": rfc3339(start),
                "timeZone": event["start"].get("timeZone", "UTC"),
            }
            event["end"] = {
                "dateTime": rfc3339(end),
                "timeZone": event["end"].get("timeZone", "UTC"),
            }
            event["sequence"] = event.get("sequence", 0) + 1
            self._stamp(event)

    def user_deletes(self, event_id: str) -> None:
        with self.lock:
            event = self.events[(self.user_email, event_id)]
            event["status"] = "cancelled"
            self._stamp(event)

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.expired_sync_tokens.update(str(v) for v in range(0, next(self._version) + 1))

    # ------------------------------------------------------------ overrides
    def _stamp(self, event: dict[str, Any]) -> None:
        super()._stamp(event)
        owner = (event.get("organizer") or {}).get("email", self.user_email)
        self.versions[(owner, event["id"])] = next(self._version)

    def _token(self, req: Request) -> Reply:
        form = req.form()
        if form.get("grant_type") != "authorization_code":
            return super()._token(req)
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        basic = req.headers.get("authorization", "")
        if basic.lower().startswith("basic "):  # client_secret_basic, which Google accepts too
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return Reply(401, {"error": "invalid_client"})
        challenge, redirect_uri = self.codes.pop(form.get("code", ""), ("", ""))
        verifier = form.get("code_verifier", "")
        expected = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .decode()
            .rstrip("=")
        )
        if not challenge or expected != challenge or form.get("redirect_uri") != redirect_uri:
            return Reply(
                400,
                {"error": "invalid_grant", "error_description": "Bad code, verifier or redirect."},
            )
        token = f"ya29.code-{secrets.token_hex(4)}"
        self.valid_tokens.add(token)
        self.refresh_tokens.add("1//refresh")
        claims = {
            "email": self.signin_email or self.user_email,
            "email_verified": self.email_verified,
            "aud": self.client_id,
        }
        id_token = ".".join([_b64({"alg": "none"}), _b64(claims), ""])
        return Reply(
            200,
            {
                "access_token": token,
                "expires_in": 3599,
                "refresh_token": "1//refresh",
                "scope": self.granted_scope,
                "token_type": "Bearer",
                "id_token": id_token,
            },
        )

    def _list(self, req: Request, cal: str) -> Reply:
        self.list_calls.append(dict(req.query))
        token = req.query.get("syncToken")
        if token is not None and token in self.expired_sync_tokens:
            raise GoogleApiError(
                410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required."
            )
        since = int(token) if token else 0
        items = []
        for key, event in sorted(self.events.items()):
            if key[0] != cal:
                continue
            if (
                token is None
                and event["status"] == "cancelled"
                and req.query.get("showDeleted") != "true"
            ):
                continue
            if self.versions.get(key, 0) > since:
                items.append(self._public(event))
        latest = max((v for k, v in self.versions.items() if k[0] == cal), default=0)
        return Reply(200, {"kind": "calendar#events", "items": items, "nextSyncToken": str(latest)})


class FakeGraphDelta(FakeGraph):
    """Delta links are snapshots: the next call reports what differs from it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.snapshots: dict[str, dict[str, str]] = {}
        self.nonce: str | None = None

    def authorize(self, authorization_url: str) -> tuple[str, str]:
        """Play the sign-in page: (code, state); the ID token will carry the request's nonce."""
        query = {k: v[-1] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        assert query["client_id"] == self.client_id and query["code_challenge_method"] == "S256", (
            query
        )
        code = "auth-code-" + secrets.token_hex(4)
        with self.lock:
            self.auth_codes.add(code)
            self.nonce = query.get("nonce")
        return code, query["state"]

    def _token(self, form: dict[str, str]) -> Reply:
        reply = super()._token(form)
        if reply.status == 200 and form.get("grant_type") == "authorization_code" and self.nonce:
            head, claims, tail = reply.body["id_token"].split(".")
            data = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
            reply.body["id_token"] = ".".join([head, _b64({**data, "nonce": self.nonce}), tail])
        return reply

    def _mailbox(self, req: Request, mailbox: str, rest: list[str]) -> Reply:
        if rest == ["calendarView", "delta"] and req.method == "GET":
            return self._delta(req, mailbox)
        return super()._mailbox(req, mailbox, rest)

    def _delta(self, req: Request, mailbox: str) -> Reply:
        events = self.events[mailbox]
        current = {
            eid: json.dumps([e["start"], e["end"], e.get("isCancelled", False)], sort_keys=True)
            for eid, e in events.items()
        }
        token = req.query.get("$deltatoken")
        if token is not None and token not in self.snapshots:
            return Reply(410, self.error_body(410, "Sync state not found", "syncStateNotFound"))
        before = self.snapshots.get(token or "", {}) if token else {}
        value: list[dict[str, Any]] = []
        for eid, shape in current.items():
            if token is None or before.get(eid) != shape:
                value.append(self._render(req, copy.deepcopy(events[eid])))
        if token is not None:
            value += [
                {"id": eid, "@removed": {"reason": "deleted"}}
                for eid in before
                if eid not in current
            ]
        new_token = secrets.token_hex(6)
        self.snapshots[new_token] = current
        link = f"{self.graph_url}/me/calendarView/delta?$deltatoken={new_token}"
        return Reply(200, {"value": value, "@odata.deltaLink": link})

    def user_moves(self, event_id: str, start: datetime, end: datetime) -> None:
        with self.lock:
            event = self.events[self.user_email][event_id]
            event["start"] = {
                "dateTime": start.astimezone(UTC).replace(tzinfo=None).isoformat(),
                "timeZone": "UTC",
            }
            event["end"] = {
                "dateTime": end.astimezone(UTC).replace(tzinfo=None).isoformat(),
                "timeZone": "UTC",
            }
