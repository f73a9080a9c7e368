"""The command line an operator meets first: settings errors, setup hints, CSV import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from bot.listeners.meet import MESSAGE_SHORTCUT
from storage.db import normalize_url
from tests.support.blockkit import validate_manifest
from tests.support.fake_slack import FakeSlack
from tests.support.server import BOT_TOKEN, SIGNING_SECRET, clean_env, run_cli

REPO = Path(__file__).resolve().parents[2]

GOOD = """type,id,name,email,phone,timezone,associations
company,acme,Acme,,,Europe/Warsaw,
contact,jane,Jane Doe,jane@acme.example,,America/New_York,acme
"""


def test_serve_without_slack_credentials_explains_how_to_create_the_app(tmp_path: Path) -> None:
    env = clean_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    result = run_cli(["serve"], env, tmp_path)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET" in result.stderr and "manifest.yml" in result.stderr
    assert "Traceback" not in result.stderr
    friendly = run_cli(["serve", "--explain-setup"], env, tmp_path)  # what `make run` uses
    assert friendly.returncode == 0 and "api.slack.com/apps" in friendly.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLACK_BOT_TOKEN", "not-a-token"),
        ("DATABASE_URL", "mysql://x/y"),
        ("SMTP_URL", "http://mail"),
        ("SECRET_KEY", "short"),
        ("SLACK_API_URL", "nope"),
    ],
)
def test_a_malformed_setting_stops_start_up_with_one_line_naming_it(
    tmp_path: Path, name: str, value: str
) -> None:
    env = clean_env(
        {
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            name: value,
        }
    )
    result = run_cli(["serve"], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], result.stderr


def test_settings_are_read_from_dot_env(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=wrong\n")
    result = run_cli(
        ["migrate"], clean_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}), tmp_path
    )
    assert result.returncode == 2 and "SLACK_BOT_TOKEN" in result.stderr


@pytest.mark.both_databases
def test_import_is_all_or_nothing_and_reimport_updates(tmp_path: Path, database_url: str) -> None:
    env = clean_env({"DATABASE_URL": database_url})
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    first = run_cli(["import", str(good), "--team", "T1"], env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 created" in first.stdout
    good.write_text(GOOD.replace("Jane Doe", "Jane Smith"), encoding="utf-8")
    again = run_cli(["import", str(good), "--team", "T1"], env, tmp_path)
    assert again.returncode == 0 and "0 created, 2 updated" in again.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text(
        GOOD
        + "person,x1,Nobody,,,,\ncontact,x2,Bad Mail,not-an-email,,,\ncontact,x3,Lost,,,,nope\n",
        encoding="utf-8",
    )
    result = run_cli(["import", str(bad), "--team", "T1"], env, tmp_path)
    assert result.returncode == 2
    assert "line 4" in result.stderr and "line 5" in result.stderr and "line 6" in result.stderr
    assert "nothing was imported" in result.stderr
    listed = run_cli(["meetings", "--json"], env, tmp_path)
    assert json.loads(listed.stdout) == []
    missing = run_cli(["import", str(tmp_path / "missing.csv"), "--team", "T1"], env, tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def _records_of(database_url: str) -> dict[str, set[str]]:
    """Team -> names of the records stored for it."""
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT team_id, name FROM records")).all()
    finally:
        engine.dispose()
    found: dict[str, set[str]] = {}
    for team, name in rows:
        found.setdefault(team, set()).add(name)
    return found


def test_import_without_a_workspace_to_default_to_exits_2_and_stores_nothing(
    tmp_path: Path, database_url: str
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    result = run_cli(["import", str(good)], clean_env({"DATABASE_URL": database_url}), tmp_path)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("meetline: --team is required") and "Traceback" not in result.stderr, (
        result.stderr
    )
    bad_team = run_cli(
        ["import", str(good), "--team", "T1; drop"],
        clean_env({"DATABASE_URL": database_url}),
        tmp_path,
    )
    assert bad_team.returncode == 2 and "--team" in bad_team.stderr
    assert _records_of(database_url) == {}


def test_import_before_the_first_serve_asks_slack_which_workspace_the_bot_token_is(
    tmp_path: Path, database_url: str
) -> None:
    """Single-workspace mode, no request seen yet: auth.test names the workspace."""
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    with FakeSlack(team_id="TSOLO1") as slack:
        env = clean_env(
            {
                "DATABASE_URL": database_url,
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.url,
            }
        )
        result = run_cli(["import", str(good)], env, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "workspace TSOLO1" in result.stdout
        assert [c.method for c in slack.calls()] == ["auth.test"]
        slack.fail_next("auth.test", error="invalid_auth")
        refused = run_cli(["import", str(good)], env, tmp_path)
        last = refused.stderr.strip().splitlines()[-1]
        assert (
            refused.returncode == 2
            and last.startswith("meetline: --team is required")
            and "auth.test" in last
        )
        assert "Traceback" not in refused.stderr
    assert _records_of(database_url) == {"TSOLO1": {"Acme", "Jane Doe"}}


def test_manifest_is_valid_and_declares_what_the_app_uses() -> None:
    manifest = yaml.safe_load((REPO / "manifest.yml").read_text())
    validate_manifest(manifest)
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/meet"]
    assert [(s["type"], s["callback_id"]) for s in manifest["features"]["shortcuts"]] == [
        ("message", MESSAGE_SHORTCUT)
    ]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "users:read.email",
        "app_mentions:read",
    }
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_mention",
    }
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["request_url"].endswith("/slack/events")
    assert interactivity["message_menu_options_url"].endswith("/slack/events")
