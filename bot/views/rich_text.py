"""Slack rich_text (the /meet form's internal notes) read as plain text and mentions.

The meeting keeps the rich text only to show it again in the edit form; everything
else (timelines, DMs, the mention DMs) uses what is read here, so handlers never walk
Slack's structure.
"""

from __future__ import annotations

from typing import Any


def mentioned_users(notes: dict[str, Any] | None) -> list[str]:
    """Slack user ids mentioned anywhere in a rich_text value, in order, once each."""
    found: list[str] = []
    _mentions(notes, found)
    return found


def notes_plain_text(notes: dict[str, Any] | None) -> str:
    """A readable rendering of rich text for timelines and DMs (mentions as <@U…>)."""
    parts: list[str] = []
    _plain_text(notes, parts)
    return "".join(parts).strip()


# The walks are module functions, not closures: a closure that calls itself is a
# reference cycle (function -> cell -> function), left for the garbage collector
# after every Save.


def _mentions(node: Any, found: list[str]) -> None:
    if isinstance(node, dict):
        user_id = node.get("user_id")
        if node.get("type") == "user" and isinstance(user_id, str) and user_id not in found:
            found.append(user_id)
        for value in node.values():
            _mentions(value, found)
    elif isinstance(node, list):
        for item in node:
            _mentions(item, found)


def _plain_text(node: Any, parts: list[str]) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "text":
            parts.append(str(node.get("text", "")))
        elif kind == "user":
            parts.append(f"<@{node.get('user_id', '')}>")
        elif kind == "link":
            parts.append(str(node.get("text") or node.get("url", "")))
        elif kind == "emoji":
            parts.append(f":{node.get('name', '')}:")
        _plain_text(node.get("elements"), parts)
        if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            parts.append("\n")
    elif isinstance(node, list):
        for item in node:
            _plain_text(item, parts)
