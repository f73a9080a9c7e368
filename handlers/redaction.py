"""Scrubbing secrets and personal data out of text that is kept for operators (log lines,
`jobs.last_error`).

Messages are written to hold ids only; this is the safety net for what slips through
anyway: exception texts from libraries and servers (an SMTP reply quoting the
recipient, an OAuth response quoting a token). Pure text in, text out, so both the
worker (handlers) and the logging set-up (bot) share it.
"""

from __future__ import annotations

import re
from typing import Final

REDACTED: Final = "[redacted]"

_PATTERNS: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    # Slack tokens: bot, user, app-level, refresh, config, workspace and legacy ones.
    (re.compile(r"\bx(?:ox[abeoprst]|app|oxe\.xox[bp])-[A-Za-z0-9-]+"), REDACTED),
    # Google OAuth access and refresh tokens.
    (re.compile(r"\bya29\.[A-Za-z0-9._-]+"), REDACTED),
    (re.compile(r"\b1//[A-Za-z0-9._-]{10,}"), REDACTED),
    # Authorization headers, whatever the scheme.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + REDACTED),
    # key=value / "key": "value" pairs whose value is a secret.
    (
        re.compile(r"""(?ix)
        (["']?\b(?:access_token|refresh_token|id_token|client_secret|password|passwd|secret|
                 api_key|token|code_verifier|authorization)\b["']?\s*[:=]\s*["']?)
        [^"'\s,&;}]+"""),
        r"\1" + REDACTED,
    ),
    # user:password@ in URLs (SMTP_URL, CalDAV).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+):[^/\s@]+@"), r"\1:" + REDACTED + "@"),
    # Email addresses (also inside <...> as SMTP replies quote them).
    (re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[email]"),
)


def redact(text: str) -> str:
    """`text` with tokens, secrets and email addresses replaced by placeholders."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def error_summary(exc: BaseException) -> str:
    """What may be stored about a failure: its class and any status code it carries,
    never its message (servers quote recipients, bodies and tokens in theirs)."""
    name = type(exc).__name__
    for attr in ("smtp_code", "status_code", "status", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{name} ({attr.replace('_', ' ')} {value})"
    return name
