"""ChangeSeat against in-memory ports: admins of the workspace give its active members a
seat and roles in one unit of work; every refusal names its field and writes nothing."""

from __future__ import annotations

import pytest

from handlers.domain import UserProfile
from handlers.errors import Field, ValidationFailed
from handlers.seats import ChangeSeat, SeatChange
from tests.unit.usecases import TEAM, World

ADMIN = UserProfile(TEAM, "UADMIN", is_admin=True)


def change(
    world: World,
    who: UserProfile,
    user_id: str = "UBOB",
    seat: str = "professional",
    roles: frozenset[str] = frozenset({"manager"}),
) -> UserProfile:
    return ChangeSeat(world.uow, world.people)(who, SeatChange(user_id, seat, roles))


def refused(world: World, who: UserProfile, **kwargs: object) -> dict[Field, str]:
    with pytest.raises(ValidationFailed) as error:
        change(world, who, **kwargs)  # type: ignore[arg-type]
    return error.value.errors


def test_an_admin_gives_a_teammate_a_seat_and_roles_in_one_commit() -> None:
    world = World()
    world.teammate("UBOB", name="Bob", email="bob@meetline.example")
    saved = change(world, ADMIN)
    stored = world.uow.users.get(TEAM, "UBOB")
    assert stored == saved and world.uow.commits == 1
    assert (stored.seat, stored.is_manager, stored.is_admin, stored.is_sandbox) == (
        "professional",
        True,
        False,
        False,
    )
    assert stored.email == "bob@meetline.example"  # the rest of the profile is kept


def test_roles_not_ticked_are_taken_away() -> None:
    world = World()
    world.teammate("UBOB", is_admin=True, is_manager=True, is_sandbox=True)
    saved = change(world, ADMIN, roles=frozenset())
    assert (saved.is_admin, saved.is_manager, saved.is_sandbox) == (False, False, False)


def test_every_refusal_names_its_field_and_writes_nothing() -> None:
    world = World()
    world.teammate("UBOB")
    world.teammate("UADMIN", is_admin=True)
    before = world.uow.users.list_users(TEAM)
    assert set(refused(world, UserProfile(TEAM, "UBOB"))) == {Field.USER}  # not an admin
    assert set(refused(world, UserProfile("T2", "UADMIN", is_admin=True))) == {
        Field.USER
    }  # another workspace's
    assert set(refused(world, ADMIN, user_id="")) == {Field.USER}  # nobody picked
    assert set(refused(world, ADMIN, user_id="UGONE")) == {Field.USER}  # not a member here
    assert set(refused(world, ADMIN, seat="platinum")) == {Field.SEAT}
    assert refused(world, ADMIN, user_id="UADMIN", roles=frozenset({"manager"})) == {
        Field.ROLES: "You cannot remove your own admin role."
    }
    assert world.uow.users.list_users(TEAM) == before and world.uow.commits == 0


def test_the_teammate_is_looked_up_before_the_unit_of_work_opens() -> None:
    world = World()
    world.teammate("UBOB")
    change(world, ADMIN)  # WatchfulPeople fails if asked inside the unit
    assert world.people.asked == ["UBOB"]
