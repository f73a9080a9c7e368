"""What Slack reports of a modal: `state.values` as the user left it.

`submitted_values` is the state when the user touched nothing (every element's initial
value); `LabelledForm` fills a view the way a person does, finding each input by the
label they read, so a test of the form never names a block id.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

_INITIAL_TO_SUBMITTED: dict[str, tuple[str, str, object]] = {
    # element type: (initial key, submitted key, submitted value when no initial)
    "plain_text_input": ("initial_value", "value", None),
    "number_input": ("initial_value", "value", None),
    "static_select": ("initial_option", "selected_option", None),
    "external_select": ("initial_option", "selected_option", None),
    "multi_external_select": ("initial_options", "selected_options", []),
    "checkboxes": ("initial_options", "selected_options", []),
    "datepicker": ("initial_date", "selected_date", None),
    "timepicker": ("initial_time", "selected_time", None),
    "users_select": ("initial_user", "selected_user", None),
    "rich_text_input": ("initial_value", "rich_text_value", None),
}


def stateful_elements(block: dict[str, Any]) -> list[dict[str, Any]]:
    """The elements of a block Slack keeps a value for: an input's, an actions block's selects."""
    if block["type"] == "input":
        return [block["element"]]
    if block["type"] == "actions":
        return [e for e in block["elements"] if e["type"] in _INITIAL_TO_SUBMITTED]
    return []


def submitted_values(view: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Inputs, and the selects of actions blocks, as Slack reports them untouched."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in view["blocks"]:
        for element in stateful_elements(block):
            initial, submitted, empty = _INITIAL_TO_SUBMITTED[element["type"]]
            values.setdefault(block["block_id"], {})[element["action_id"]] = {
                "type": element["type"],
                submitted: copy.deepcopy(element.get(initial, empty)),
            }
    return values


def _text(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


@dataclass
class LabelledForm:
    """A modal being filled in. A new view from Slack (`shown`) keeps what the user set
    in elements it still has (same block and action ids), as Slack does; the rest shows
    the new view's initial values."""

    view: dict[str, Any]
    values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    touched: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.values = submitted_values(self.view) | self.values

    def shown(self, view: dict[str, Any]) -> None:
        values = submitted_values(view)
        for block, action in list(self.touched):
            if action in values.get(block, {}):
                values[block][action] = self.values[block][action]
            else:
                self.touched.discard((block, action))
        self.view, self.values = view, values

    @staticmethod
    def block_ids(view: dict[str, Any]) -> set[str]:
        return {b["block_id"] for b in view["blocks"]}

    def labels(self) -> list[str]:
        return [_text(b["label"]) for b in self.view["blocks"] if b["type"] == "input"]

    def input(self, label: str) -> dict[str, Any]:
        """The input block labelled `label` (exactly as shown)."""
        found = [
            b for b in self.view["blocks"] if b["type"] == "input" and _text(b["label"]) == label
        ]
        assert len(found) == 1, f"{label!r} not among {self.labels()}"
        block: dict[str, Any] = found[0]
        return block

    def _state(self, block: dict[str, Any], element: dict[str, Any]) -> dict[str, Any]:
        self.touched.add((block["block_id"], element["action_id"]))
        return self.values.setdefault(block["block_id"], {}).setdefault(
            element["action_id"], {"type": element["type"]}
        )

    def type_text(self, label: str, text: str) -> None:
        block = self.input(label)
        self._state(block, block["element"])["value"] = text

    def choose(self, label: str, option_text: str) -> dict[str, Any]:
        """Pick the option reading `option_text` in the select labelled `label`."""
        block = self.input(label)
        return self.choose_in(block, block["element"], option_text)

    def choose_in(
        self, block: dict[str, Any], element: dict[str, Any], option_text: str
    ) -> dict[str, Any]:
        options = [o for o in element["options"] if _text(o["text"]) == option_text]
        assert options, (
            f"{option_text!r} not among {[_text(o['text']) for o in element['options']]}"
        )
        option: dict[str, Any] = options[0]
        self._state(block, element)["selected_option"] = option
        return option

    def choose_found(self, label: str, option: dict[str, Any]) -> None:
        """An option an external select loaded (block_suggestion) picked."""
        block = self.input(label)
        self._state(block, block["element"])["selected_option"] = option

    def set(self, label: str, key: str, value: Any) -> None:
        """A picker's value (`selected_date`, `selected_time`, `selected_user`…)."""
        block = self.input(label)
        self._state(block, block["element"])[key] = value

    def tick(self, label: str, *option_texts: str) -> None:
        block = self.input(label)
        element = block["element"]
        picked = [o for o in element["options"] if _text(o["text"]) in option_texts]
        assert len(picked) == len(option_texts), [_text(o["text"]) for o in element["options"]]
        self._state(block, element)["selected_options"] = picked

    def button(self, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(block, button) of the button reading `text`, in an actions block or a section."""
        for block in self.view["blocks"]:
            candidates = list(block.get("elements", [])) + [block.get("accessory") or {}]
            for element in candidates:
                if element.get("type") == "button" and _text(element.get("text")) == text:
                    return block, element
        raise AssertionError(f"no button {text!r}")

    def after(self, heading: str) -> list[dict[str, Any]]:
        """The actions blocks right after the section reading `heading` (e.g. its lines)."""
        blocks = self.view["blocks"]
        start = next(i for i, b in enumerate(blocks) if heading in _text(b.get("text")))
        lines = []
        for block in blocks[start + 1 :]:
            if block["type"] != "actions":
                break
            lines.append(block)
        return lines

    def current(self) -> dict[str, Any]:
        return self.view | {"state": {"values": self.values}}
