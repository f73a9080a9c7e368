"""OAuth install through Bolt's OAuthFlow against the fake's oauth.v2.access."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore

from tests.support.bolt_server import BoltTestServer
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import SlackClientSim


def test_oauth_install_flow(tmp_path: Path, clean_slack_env: None) -> None:
    with FakeSlack(oauth_client=("111.222", "s3cret")) as fake:
        installs = FileInstallationStore(base_dir=str(tmp_path / "installs"))
        app = App(
            signing_secret="secret",
            client=WebClient(base_url=fake.url),
            oauth_settings=OAuthSettings(
                client_id="111.222",
                client_secret="s3cret",
                scopes=["commands", "chat:write"],
                installation_store=installs,
                state_store=FileOAuthStateStore(
                    expiration_seconds=600, base_dir=str(tmp_path / "states")
                ),
            ),
        )
        with BoltTestServer(app) as server:
            sim = SlackClientSim(server.url, "secret")
            install = sim.get("/slack/install")
            assert install.status == 200, install.text
            cookie = install.headers["set-cookie"].split(";")[0]
            state = parse_qs(urlsplit(_authorize_url(install.text)).query)["state"][0]

            done = sim.get(f"/slack/oauth_redirect?code=abc&state={state}", {"Cookie": cookie})
            assert done.status == 200, done.text

        assert fake.last("oauth.v2.access").args["code"] == "abc"
        auth = fake.last("auth.test")
        assert auth.headers["authorization"] == "Bearer xoxb-installed"
        bot = installs.find_bot(enterprise_id=None, team_id="T0001")
        assert bot is not None and bot.bot_token == "xoxb-installed"


def _authorize_url(html: str) -> str:
    start = html.index("https://slack.com/oauth/v2/authorize")
    end = html.index('"', start)
    return html[start:end].replace("&amp;", "&")
