"""The Slack-latency baseline: a bare Bolt app served by waitress exactly like
`meetline serve` (same WSGI adapter, same 16 threads), which acks `/meet`, opens a
fixed modal with views.open, and answers the modal's submission with a fixed view.
Everything Meetline adds on top of that (signature check, database, profiles, the
form, the rules, the booking) is what the benchmark's ratio measures.

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=xoxb-... SLACK_API_URL=http://fake/api/ \\
        python -m bench.bare_app --port 3001
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

FIXED_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "meet_form",
    "title": {"type": "plain_text", "text": "Schedule a meeting"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "title_input"},
        },
    ],
}
DONE_VIEW: dict[str, Any] = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Meeting scheduled"},
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Done."}}],
}


def build_app(signing_secret: str, token: str, api_url: str) -> App:
    app = App(
        signing_secret=signing_secret,
        client=WebClient(token=token, base_url=api_url, timeout=10),
        token=token,
        token_verification_enabled=False,
        process_before_response=False,
    )

    @app.command("/meet")
    def meet(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=FIXED_MODAL)

    @app.view("meet_form")
    def submitted(ack: Ack) -> None:
        ack(response_action="update", view=DONE_VIEW)

    return app


def wsgi_app(app: App) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    handler = SlackRequestHandler(app, path="/slack/events")

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            data = json.dumps({"ok": True}).encode()
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
            )
            return [data]
        return handler(environ, start_response)

    return serve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    from waitress import serve

    app = build_app(
        os.environ["SLACK_SIGNING_SECRET"],
        os.environ["SLACK_BOT_TOKEN"],
        os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
    )
    serve(wsgi_app(app), host=args.host, port=args.port, threads=args.threads, ident="bare-bolt")


if __name__ == "__main__":
    main()
