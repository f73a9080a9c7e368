"""Use case: an admin connects the workspace's CRM (HubSpot) with a private-app token.

The token is checked with HubSpot at once (a cheap read per scope), so a mistyped
token or a private app without the scopes Meetline needs is refused in the form,
naming the scopes, instead of failing later in a sync nobody watches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handlers.crm import CrmBusy, CrmMissingScopes, CrmRefused
from handlers.domain import UserProfile
from handlers.errors import Field, NotAllowed, Reason, ValidationFailed
from handlers.i18n import Translator, translator
from handlers.policy import can_change_settings
from handlers.ports import Clock

HUBSPOT = "hubspot"
MAX_TOKEN_CHARS = 200


@dataclass(frozen=True)
class CrmConnection:
    """A workspace's CRM as settings show it (never the token)."""

    team_id: str
    provider: str
    connected_by: str
    connected_at: datetime
    synced_up_to: datetime | None = None
    portal_id: str | None = None  # the HubSpot account, for links to its records
    ui_domain: str | None = None  # e.g. app.hubspot.com, app-eu1.hubspot.com
    # the CRM's owners by e-mail, with the Slack user of that e-mail (None: no match),
    # as the last finished sync found them
    owners: tuple[tuple[str, str | None], ...] = ()


class CrmConnections(Protocol):
    """Where the workspace's CRM token is kept (encrypted, storage/crm_connections.py)."""

    def can_store_secrets(self) -> bool:
        """False without SECRET_KEY: then no token may be stored."""
        ...

    def save(
        self,
        team_id: str,
        provider: str,
        token: str,
        user_id: str,
        now: datetime,
        account: CrmAccount | None = None,
    ) -> None: ...

    def get(self, team_id: str) -> CrmConnection | None: ...


@dataclass(frozen=True)
class CrmAccount:
    """The CRM account a token belongs to, as far as links to its records need it."""

    portal_id: str
    ui_domain: str


# Checks a token with the CRM and names its account (None: the CRM would not say);
# raises CrmRefused, CrmMissingScopes or CrmBusy.
TokenCheck = Callable[[str], CrmAccount | None]


class ConnectCrm:
    def __init__(
        self,
        connections: CrmConnections,
        check: TokenCheck,
        clock: Clock,
        start_sync: Callable[[str, str], None],
    ) -> None:
        self._connections = connections
        self._check = check
        self._clock = clock
        self._start_sync = start_sync  # (team, admin): the first sync, as jobs

    def __call__(
        self, actor: UserProfile, token: str, t: Translator | None = None
    ) -> CrmConnection:
        """Raises NotAllowed for anyone but an admin of that workspace and
        ValidationFailed (on the token) for a token HubSpot does not accept."""
        t = t or translator("en")
        if not can_change_settings(actor, actor.team_id):
            raise NotAllowed(Reason.CHANGE_SETTINGS)
        token = token.strip()
        if not token or len(token) > MAX_TOKEN_CHARS or any(c.isspace() for c in token):
            raise _refused(t.gettext("Paste the private app's access token (pat-…)."))
        if not self._connections.can_store_secrets():
            raise _refused(
                t.gettext("Meetline cannot store tokens until its operator sets SECRET_KEY.")
            )
        try:
            account = self._check(token)
        except CrmRefused:
            raise _refused(
                t.gettext("HubSpot did not accept this token. Copy it again from the private app.")
            ) from None
        except CrmMissingScopes as missing:
            raise _refused(
                t.gettext(
                    "The private app lacks these scopes: {scopes}. Add them in HubSpot, "
                    "then paste the token again.",
                    scopes=", ".join(missing.scopes),
                )
            ) from None
        except CrmBusy:
            raise _refused(t.gettext("HubSpot did not answer. Try again in a minute.")) from None
        now = self._clock.now()
        self._connections.save(actor.team_id, HUBSPOT, token, actor.slack_user_id, now, account)
        self._start_sync(actor.team_id, actor.slack_user_id)
        return CrmConnection(
            actor.team_id,
            HUBSPOT,
            actor.slack_user_id,
            now,
            portal_id=account.portal_id if account else None,
            ui_domain=account.ui_domain if account else None,
        )


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed({Field.CRM_TOKEN: message})
