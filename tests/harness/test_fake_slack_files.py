"""The fake Slack accepts files_upload_v2 the way Slack does (three steps) and keeps the bytes."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.support.fake_slack import FILE_UPLOAD_METHOD, FakeSlack


def test_files_upload_v2_round_trip(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.url)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    result = client.files_upload_v2(
        channel="DU1",
        initial_comment="Here you are",
        file_uploads=[
            {"file": png, "filename": "chart.png", "title": "Chart", "alt_txt": "bars"},
            {"content": "a,b\r\n1,2\r\n", "filename": "data.csv", "title": "Data"},
        ],
    )
    assert result["ok"] and [f["title"] for f in result["files"]] == ["Chart", "Data"]
    files = fake_slack.uploaded_files("DU1")
    assert [(f["name"], f["data"]) for f in files] == [
        ("chart.png", png),
        ("data.csv", b"a,b\r\n1,2\r\n"),
    ]
    assert files[0]["alt_txt"] == "bars" and files[0]["initial_comment"] == "Here you are"
    assert len(fake_slack.calls(FILE_UPLOAD_METHOD)) == 2
    assert fake_slack.uploaded_files("COTHER") == []
    assert client.files_info(file=files[0]["id"])["file"]["size"] == len(png)


def test_completing_an_upload_that_sent_no_bytes_fails(fake_slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-test", base_url=fake_slack.url)
    issued = client.files_getUploadURLExternal(filename="x.csv", length=3)
    assert issued["upload_url"].startswith(fake_slack.root_url)
    with pytest.raises(SlackApiError) as caught:
        client.files_completeUploadExternal(files=[{"id": issued["file_id"]}], channel_id="D1")
    assert caught.value.response["error"] == "file_upload_not_complete"
    assert fake_slack.uploaded_files() == []
