"""Multi-workspace mode: install over OAuth into our own database, tokens encrypted, then /meet."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import create_engine, text

from storage.crypto import SecretBox, SecretBoxError
from storage.migrate import upgrade
from tests.support.fake_slack import FakeSlack
from tests.support.server import (
    OTHER_SECRET_KEY,
    SECRET_KEY,
    SIGNING_SECRET,
    ServeProcess,
    clean_env,
)
from tests.support.slack_requests import SlackClientSim

CLIENT = ("111.222", "s3cret")


def authorize_url(html: str) -> str:
    start = html.index("https://slack.com/oauth/v2/authorize")
    return html[start : html.index('"', start)].replace("&amp;", "&")


@pytest.mark.both_databases
def test_install_stores_encrypted_tokens_and_serves_the_workspace(
    tmp_path: Path, database_url: str
) -> None:
    with FakeSlack(oauth_client=CLIENT) as slack:
        slack.add_user("U1", name="anna", real_name="Anna Host", email="anna@meetline.example")
        env = clean_env(
            {
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_CLIENT_ID": CLIENT[0],
                "SLACK_CLIENT_SECRET": CLIENT[1],
                "SECRET_KEY": SECRET_KEY,
                "PUBLIC_URL": "https://meetline.example",
                "SLACK_API_URL": slack.url,
                "DATABASE_URL": database_url,
            }
        )
        upgrade(database_url)
        with ServeProcess(env, tmp_path, ["--no-worker"]) as serve:
            sim = SlackClientSim(serve.url, SIGNING_SECRET)
            install = sim.get("/slack/install")
            assert install.status == 200
            cookie = install.headers["set-cookie"].split(";")[0]
            query = parse_qs(urlsplit(authorize_url(install.text)).query)
            assert set(query["scope"][0].split(",")) >= {"commands", "chat:write", "users:read"}
            assert query["redirect_uri"] == ["https://meetline.example/slack/oauth_redirect"]
            forged = sim.get("/slack/oauth_redirect?code=abc&state=forged", {"Cookie": cookie})
            assert forged.status >= 400
            done = sim.get(
                f"/slack/oauth_redirect?code=abc&state={query['state'][0]}", {"Cookie": cookie}
            )
            assert done.status == 200 and "Meetline is installed" in done.text

            resp = sim.command("", user_id="U1")
            assert resp.status == 200
            opened = slack.wait_for("views.open")[0]
            assert opened.headers["authorization"] == "Bearer xoxb-installed"

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT bot_token FROM slack_bots")).scalar_one()
        admin = conn.execute(
            text("SELECT is_admin FROM users WHERE slack_user_id = 'U1'")
        ).scalar_one()
    engine.dispose()
    assert "xoxb-installed" not in stored and stored.startswith("enc1:")
    assert SecretBox(SECRET_KEY).decrypt(stored) == "xoxb-installed"
    with pytest.raises(SecretBoxError):
        SecretBox(OTHER_SECRET_KEY).decrypt(stored)
    assert admin  # the installer administers Meetline in that workspace
