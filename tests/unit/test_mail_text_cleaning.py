"""What reaches a mail header or an .ics line from user text: one line, no controls
(single_line), and a description's paragraphs without controls (multi_line). Both take
a shortcut for text that has nothing to clean; these cases hold on either path."""

from __future__ import annotations

import pytest

from handlers.invitations import multi_line, single_line


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Product demo", "Product demo"),
        ("  Zażółć   gęślą  ", "Zażółć gęślą"),  # printable: spaces collapse
        ("Demo\r\nBcc: x@y.com", "Demo Bcc: x@y.com"),  # header injection flattened
        ("a\u2028b\u2029c", "a b c"),  # Unicode line and paragraph separators
        ("tab\there\x00\x1b[31m", "tab here [31m"),  # controls become spaces
        ("non\xa0breaking", "non breaking"),  # not printable by Python: a space
        ("", ""),
    ],
)
def test_single_line(value: str, expected: str) -> None:
    assert single_line(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Agenda:\n\t- pricing\n", "Agenda:\n\t- pricing"),  # nothing to clean: stripped
        ("one\r\ntwo\rthree", "one\ntwo\nthree"),
        ("a\u2028b\u2029c\x0bd", "a\nb\nc\nd"),
        ("be\x00ll\x07 and \x1b[0mescape", "bell and [0mescape"),  # controls dropped
        ("  Zażółć gęślą\n\n", "Zażółć gęślą"),
    ],
)
def test_multi_line(value: str, expected: str) -> None:
    assert multi_line(value) == expected
