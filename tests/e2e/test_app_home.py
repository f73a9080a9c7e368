"""App Home through the real app, for a member and for an admin: the member reads what
they can do, the admin also what the server still needs; both views are valid Block Kit.

The stack runs without `SECRET_KEY`, `PUBLIC_URL` or sign-in settings, as a fresh
install does."""

from __future__ import annotations

import json
from typing import Any

from tests.support.blockkit import validate_home
from tests.support.slack_requests import event_body
from tests.support.stack import HOST, TEAMMATE, Stack


def open_home(stack: Stack, user: str) -> dict[str, Any]:
    count = len(stack.slack.calls("views.publish"))
    stack.client.post(
        event_body({"type": "app_home_opened", "user": user, "tab": "home"}), "application/json"
    )
    home = stack.slack.wait_for("views.publish", count=count + 1)[-1].args
    assert home["user_id"] == user
    view: dict[str, Any] = home["view"]
    validate_home(view)
    return view


def test_a_member_reads_what_they_can_do_an_admin_also_what_to_set_up(stack: Stack) -> None:
    stack.slack.add_user(
        HOST, name="anna", real_name="Anna Host", email="anna@meetline.example", is_admin=True
    )
    admin, member = open_home(stack, HOST), open_home(stack, TEAMMATE)
    admin_text, member_text = json.dumps(admin), json.dumps(member)
    assert "SECRET_KEY" in admin_text and "admin_open" in admin_text
    assert "SECRET_KEY" not in member_text and "admin_open" not in member_text
    assert "`" not in json.dumps([b for b in member["blocks"] if "calendar" in b["block_id"]])
    assert "not set up in this workspace yet" in member_text
    for text in (admin_text, member_text):  # neither has hosted anything yet
        assert "every meeting you hosted" not in text
        assert "Nothing is waiting for an outcome." in text
