"""ConnectCrm: who may connect HubSpot, and what an admin is told about a token."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.connect_crm import ConnectCrm, CrmAccount
from handlers.crm import CrmBusy, CrmMissingScopes, CrmRefused
from handlers.domain import UserProfile
from handlers.errors import Field, NotAllowed, ValidationFailed
from tests.fakes import InMemoryCrmConnections
from tests.support.clock import MutableClock

ADMIN = UserProfile(team_id="T1", slack_user_id="UADMIN", is_admin=True)
MEMBER = UserProfile(team_id="T1", slack_user_id="UMEMBER")
GOOD = "pat-eu1-good"


class Checker:
    """A token check answering as HubSpot would, recording what it was asked."""

    def __init__(self, answer: Exception | None = None) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, token: str) -> CrmAccount | None:
        self.asked.append(token)
        if self.answer is not None:
            raise self.answer
        return CrmAccount("4242", "app.hubspot.com")


def connect(
    check: Checker, connections: InMemoryCrmConnections | None = None
) -> tuple[ConnectCrm, InMemoryCrmConnections, list[tuple[str, str]]]:
    connections = connections or InMemoryCrmConnections()
    started: list[tuple[str, str]] = []
    clock = MutableClock(datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    use_case = ConnectCrm(connections, check, clock, lambda t, u: started.append((t, u)))
    return use_case, connections, started


def token_error(use_case: ConnectCrm, actor: UserProfile, token: str) -> str:
    with pytest.raises(ValidationFailed) as refused:
        use_case(actor, token)
    return refused.value.errors[Field.CRM_TOKEN]


def test_an_admins_good_token_is_kept_with_its_account_and_starts_the_first_sync() -> None:
    check = Checker()
    use_case, connections, started = connect(check)
    connection = use_case(ADMIN, f"  {GOOD}\n")
    assert connections.tokens == {"T1": GOOD} and check.asked == [GOOD]
    assert (connection.connected_by, connection.portal_id) == ("UADMIN", "4242")
    assert started == [("T1", "UADMIN")]


def test_members_may_not_connect_and_hubspot_is_not_asked() -> None:
    check = Checker()
    use_case, connections, started = connect(check)
    with pytest.raises(NotAllowed):
        use_case(MEMBER, GOOD)
    assert check.asked == [] and connections.tokens == {} and started == []


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (CrmRefused(), "did not accept this token"),
        (
            CrmMissingScopes(("tickets", "crm.objects.deals.read")),
            "tickets, crm.objects.deals.read",
        ),
        (CrmBusy("503"), "did not answer"),
    ],
)
def test_what_hubspot_refuses_is_said_on_the_token_field(answer: Exception, said: str) -> None:
    use_case, connections, started = connect(Checker(answer))
    assert said in token_error(use_case, ADMIN, GOOD)
    assert connections.tokens == {} and started == []


def test_a_token_is_not_sent_anywhere_when_it_cannot_be_kept_or_is_no_token() -> None:
    check = Checker()
    use_case, _, _ = connect(check, InMemoryCrmConnections(can_store=False))
    assert "SECRET_KEY" in token_error(use_case, ADMIN, GOOD)
    use_case, _, _ = connect(check)
    assert "access token" in token_error(use_case, ADMIN, "pat eu1 with spaces")
    assert "access token" in token_error(use_case, ADMIN, "")
    assert check.asked == []
