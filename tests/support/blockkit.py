"""Block Kit / manifest validators for tests.

Every validator raises ``AssertionError`` listing all problems (``path: message``), or returns
``None``. They combine:

1. the Block Kit JSON Schema (``slack-block-kit.schema.json``, draft 2020-12) when found;
2. ``slack_sdk``'s model checks (``View(**d).to_dict()``, ``Block.parse(...).to_dict()``);
3. payload-wide rules the schema does not enforce (duplicate ``block_id``/``action_id``,
   block counts, modal title/submit/close length, ``private_metadata`` length, one
   ``focus_on_load``, ``submit`` required with ``input`` blocks).

Schema lookup: ``$BLOCK_KIT_SCHEMA`` (file, or a directory holding it), else
``<ancestor of repo root>/shared/schemas/``. The manifest schema is looked up as
``$SLACK_MANIFEST_SCHEMA`` or next to the Block Kit schema.
"""

from __future__ import annotations

import functools
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jsonschema import Draft7Validator, Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

if TYPE_CHECKING:
    from tests.support.fake_slack import FakeSlack

__all__ = [
    "assert_all_views_valid",
    "block_kit_schema_path",
    "blocks_errors",
    "manifest_schema_available",
    "manifest_schema_path",
    "schema_available",
    "validate_blocks",
    "validate_home",
    "validate_manifest",
    "validate_modal",
    "validate_options_response",
    "validate_view",
    "view_errors",
]

BLOCK_KIT_FILE = "slack-block-kit.schema.json"
MANIFEST_FILE = "slack-manifest.schema.json"
REPO_ROOT = Path(__file__).resolve().parents[2]

MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_TEXT = 24
MAX_PRIVATE_METADATA = 3000
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150


# ---------------------------------------------------------------------- schema lookup


def _find_schema(env_var: str, filename: str) -> Path | None:
    env = os.environ.get(env_var)
    if env:
        candidate = Path(env)
        if candidate.is_dir():
            candidate = candidate / filename
        return candidate if candidate.is_file() else None
    for ancestor in (REPO_ROOT, *REPO_ROOT.parents):
        candidate = ancestor / "shared" / "schemas" / filename
        if candidate.is_file():
            return candidate
    vendored = REPO_ROOT / "tests" / "schemas" / filename
    return vendored if vendored.is_file() else None


def block_kit_schema_path() -> Path | None:
    """Path of ``slack-block-kit.schema.json``, or ``None`` when not found."""
    return _find_schema("BLOCK_KIT_SCHEMA", BLOCK_KIT_FILE)


def manifest_schema_path() -> Path | None:
    """Path of ``slack-manifest.schema.json``, or ``None`` when not found."""
    env = os.environ.get("SLACK_MANIFEST_SCHEMA")
    if env:
        return _find_schema("SLACK_MANIFEST_SCHEMA", MANIFEST_FILE)
    bk = block_kit_schema_path()
    if bk is not None and (bk.parent / MANIFEST_FILE).is_file():
        return bk.parent / MANIFEST_FILE
    return _find_schema("__MEETLINE_UNSET__", MANIFEST_FILE)


def schema_available() -> bool:
    """True when the Block Kit JSON Schema file was found."""
    return block_kit_schema_path() is not None


def manifest_schema_available() -> bool:
    return manifest_schema_path() is not None


@functools.lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@functools.lru_cache(maxsize=16)
def _bk_validator(path: str, ref: str | None) -> Draft202012Validator:
    schema = _load(path)
    if ref is None:
        return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    sub = {"$defs": schema["$defs"], "$ref": f"#/$defs/{ref}"}
    return Draft202012Validator(sub, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _schema_validator(ref: str | None) -> Draft202012Validator | None:
    path = block_kit_schema_path()
    if path is None:
        return None
    if ref is not None and ref not in _load(str(path)).get("$defs", {}):
        return None
    return _bk_validator(str(path), ref)


# ---------------------------------------------------------------------- error formatting


def _path(parts: Iterable[Any]) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _is_type_mismatch(error: ValidationError) -> bool:
    """A oneOf/anyOf branch error saying the instance's own ``type`` discriminator differs
    (context errors' ``relative_path`` is relative to the parent error's instance)."""
    return error.validator == "const" and list(error.relative_path) == ["type"]


def _leaf_errors(error: ValidationError) -> Iterator[tuple[str, str]]:
    """``(path, message)`` pairs; descends into oneOf/anyOf to the branch matching the
    instance's ``type`` so errors name the real problem instead of "not valid under any"."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield _path(error.absolute_path), error.message
        return
    by_branch: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        key = sub.schema_path[0] if sub.schema_path else None
        by_branch.setdefault(key, []).append(sub)
    candidates = [errs for errs in by_branch.values() if not any(map(_is_type_mismatch, errs))]
    if len(candidates) == 1:
        for sub in candidates[0]:
            yield from _leaf_errors(sub)
        return
    instance = error.instance
    if not candidates and isinstance(instance, dict) and "type" in instance:
        yield _path(error.absolute_path), f"unsupported type {instance['type']!r} here"
        return
    best = best_match(error.context)
    if best is not None and best is not error:
        yield from _leaf_errors(best)
    else:
        yield _path(error.absolute_path), error.message


def _schema_errors(validator: Draft202012Validator | Draft7Validator, instance: Any) -> list[str]:
    out: list[str] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path))):
        for path, message in _leaf_errors(error):
            line = f"{path}: {message}"
            if len(line) > 400:
                line = line[:397] + "..."
            out.append(line)
    return list(dict.fromkeys(out))


def _raise(kind: str, errors: list[str]) -> None:
    if errors:
        details = "\n".join(f"  - {e}" for e in errors)
        raise AssertionError(f"invalid {kind} ({len(errors)} error(s)):\n{details}")


# ---------------------------------------------------------------------- slack_sdk checks


def _sdk_view_errors(view: dict[str, Any]) -> list[str]:
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.views import View

    try:
        View(**view).to_dict()
    except SlackObjectFormationError as exc:
        return [f"$: slack_sdk: {exc}"]
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return [f"$: slack_sdk could not build the view: {exc!r}"]
    return []


def _sdk_block_errors(blocks: list[Any], prefix: str = "$") -> list[str]:
    from slack_sdk.errors import SlackObjectFormationError
    from slack_sdk.models.blocks import Block

    out: list[str] = []
    for i, raw in enumerate(blocks):
        if not isinstance(raw, dict):
            out.append(f"{prefix}[{i}]: block is not an object")
            continue
        try:
            block = Block.parse(raw)
            if block is not None:
                block.to_dict()
        except SlackObjectFormationError as exc:
            out.append(f"{prefix}[{i}]: slack_sdk: {exc}")
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            out.append(f"{prefix}[{i}]: slack_sdk could not parse the block: {exc!r}")
    return out


# ---------------------------------------------------------------------- payload-wide checks


def _block_elements(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Interactive elements of a block (input element, accessory, actions elements)."""
    element = block.get("element")
    if isinstance(element, dict):
        yield element
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        yield accessory
    if block.get("type") in ("actions", "context_actions"):
        for el in block.get("elements") or []:
            if isinstance(el, dict):
                yield el


def _text_len(obj: Any) -> int | None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return len(obj["text"])
    return None


def _common_block_checks(
    blocks: list[Any],
    *,
    prefix: str,
    max_blocks: int,
    surface: str,
    repeated_action_ids_ok: bool,
) -> list[str]:
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(f"{prefix}: {len(blocks)} blocks; a {surface} allows at most {max_blocks}")
    block_ids: Counter[str] = Counter()
    view_action_ids: Counter[str] = Counter()
    focus: list[str] = []
    for i, block in enumerate(blocks):
        if not isinstance(block, dict):
            continue
        bid = block.get("block_id")
        if isinstance(bid, str):
            block_ids[bid] += 1
        in_block: Counter[str] = Counter()
        for el in _block_elements(block):
            aid = el.get("action_id")
            if isinstance(aid, str):
                in_block[aid] += 1
                view_action_ids[aid] += 1
            if el.get("focus_on_load") is True:
                focus.append(f"{prefix}[{i}]")
        for aid, n in in_block.items():
            if n > 1:
                errors.append(f"{prefix}[{i}]: duplicate action_id {aid!r} within the block")
    for bid, n in block_ids.items():
        if n > 1:
            errors.append(f"{prefix}: duplicate block_id {bid!r} ({n} blocks)")
    if not repeated_action_ids_ok:
        for aid, n in view_action_ids.items():
            if n > 1:
                errors.append(
                    f"{prefix}: duplicate action_id {aid!r} in the {surface} ({n} elements)"
                )
    if len(focus) > 1:
        errors.append(f"{prefix}: focus_on_load set on {len(focus)} elements ({', '.join(focus)})")
    return errors


def _view_extra_checks(view: dict[str, Any], *, repeated_action_ids_ok: bool) -> list[str]:
    errors: list[str] = []
    kind = view.get("type")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        errors.append("$.blocks: missing or not a list")
        blocks = []
    if kind == "modal":
        for key in ("title", "submit", "close"):
            length = _text_len(view.get(key))
            if length is not None and length > MAX_MODAL_TEXT:
                errors.append(
                    f"$.{key}.text: {length} chars; modal {key} allows at most {MAX_MODAL_TEXT}"
                )
        if not isinstance(view.get("title"), dict):
            errors.append("$.title: a modal needs a plain_text title")
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and not view.get("submit"):
            errors.append("$.submit: required when the modal has input blocks")
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > MAX_PRIVATE_METADATA:
        errors.append(f"$.private_metadata: {len(metadata)} chars; at most {MAX_PRIVATE_METADATA}")
    errors.extend(
        _common_block_checks(
            blocks,
            prefix="$.blocks",
            max_blocks=MAX_VIEW_BLOCKS,
            surface="Home tab" if kind == "home" else "modal",
            repeated_action_ids_ok=repeated_action_ids_ok,
        )
    )
    return errors


# ---------------------------------------------------------------------- public validators


def view_errors(view: dict[str, Any], *, allow_repeated_action_ids: bool = True) -> list[str]:
    """All problems found in a modal or Home tab view (empty list = valid)."""
    if not isinstance(view, dict):
        return ["$: view is not an object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"$.type: unknown view type {kind!r} (expected 'modal' or 'home')"]
    errors: list[str] = []
    validator = _schema_validator("modal_view" if kind == "modal" else "home_view")
    if validator is not None:
        errors.extend(_schema_errors(validator, view))
    errors.extend(_sdk_view_errors(view))
    if isinstance(view.get("blocks"), list):
        errors.extend(_sdk_block_errors(view["blocks"], prefix="$.blocks"))
    errors.extend(_view_extra_checks(view, repeated_action_ids_ok=allow_repeated_action_ids))
    return list(dict.fromkeys(errors))


def validate_modal(view: dict[str, Any], *, allow_repeated_action_ids: bool = True) -> None:
    """Assert ``view`` is a valid modal (views.open / views.push / views.update)."""
    if not isinstance(view, dict) or view.get("type") != "modal":
        _raise(
            "modal",
            [
                f"$.type: expected 'modal', got {view.get('type') if isinstance(view, dict) else view!r}"
            ],
        )
    _raise("modal", view_errors(view, allow_repeated_action_ids=allow_repeated_action_ids))


def validate_home(view: dict[str, Any], *, allow_repeated_action_ids: bool = True) -> None:
    """Assert ``view`` is a valid Home tab view (views.publish).

    Slack only requires action_ids to be unique within a block; by default this also rejects
    repeats across the view. Pass ``allow_repeated_action_ids=True`` for lists of rows that
    share one listener (e.g. a "Cancel" button per meeting)."""
    if not isinstance(view, dict) or view.get("type") != "home":
        _raise(
            "home view",
            [
                f"$.type: expected 'home', got {view.get('type') if isinstance(view, dict) else view!r}"
            ],
        )
    _raise("home view", view_errors(view, allow_repeated_action_ids=allow_repeated_action_ids))


def validate_view(view: dict[str, Any], *, allow_repeated_action_ids: bool = True) -> None:
    """Dispatch on ``view["type"]`` to :func:`validate_modal` / :func:`validate_home`."""
    kind = view.get("type") if isinstance(view, dict) else None
    _raise(
        f"{kind or 'unknown'} view",
        view_errors(view, allow_repeated_action_ids=allow_repeated_action_ids),
    )


def blocks_errors(blocks: list[Any]) -> list[str]:
    """All problems found in a message ``blocks`` list (empty list = valid)."""
    if not isinstance(blocks, list):
        return ["$: blocks is not a list"]
    if not blocks:
        return []  # an empty list is accepted by chat.* (text-only message)
    errors: list[str] = []
    validator = _schema_validator(None)
    if validator is not None:
        errors.extend(_schema_errors(validator, blocks))
    errors.extend(_sdk_block_errors(blocks))
    errors.extend(
        _common_block_checks(
            blocks,
            prefix="$",
            max_blocks=MAX_MESSAGE_BLOCKS,
            surface="message",
            repeated_action_ids_ok=True,
        )
    )
    return list(dict.fromkeys(errors))


def validate_blocks(blocks: list[Any]) -> None:
    """Assert ``blocks`` is a valid message blocks list (chat.postMessage & co., ≤50 blocks).

    action_ids must be unique within a block; repeats across blocks are allowed in messages."""
    _raise("message blocks", blocks_errors(blocks))


def validate_manifest(manifest: dict[str, Any]) -> None:
    """Assert ``manifest`` matches the Slack app manifest schema (draft-07). Without the
    schema file only ``display_information.name`` is checked."""
    path = manifest_schema_path()
    errors: list[str] = []
    if path is not None:
        validator = Draft7Validator(_load(str(path)))
        errors.extend(_schema_errors(validator, manifest))
    else:
        info = manifest.get("display_information") if isinstance(manifest, dict) else None
        name = info.get("name") if isinstance(info, dict) else None
        if not isinstance(name, str) or not name:
            errors.append("$.display_information.name: required")
    _raise("manifest", errors)


def _option_errors(option: Any, where: str) -> list[str]:
    if not isinstance(option, dict):
        return [f"{where}: option is not an object"]
    errors: list[str] = []
    text = option.get("text")
    if not isinstance(text, dict) or not isinstance(text.get("text"), str):
        errors.append(f"{where}.text: must be a plain_text object with a string text")
    else:
        if text.get("type") != "plain_text":
            errors.append(f"{where}.text.type: must be 'plain_text', got {text.get('type')!r}")
        if len(text["text"]) > MAX_OPTION_TEXT:
            errors.append(
                f"{where}.text.text: {len(text['text'])} chars; at most {MAX_OPTION_TEXT}"
            )
        if not text["text"]:
            errors.append(f"{where}.text.text: empty")
    value = option.get("value")
    if not isinstance(value, str):
        errors.append(f"{where}.value: must be a string, got {type(value).__name__}")
    elif not value or len(value) > MAX_OPTION_VALUE:
        errors.append(f"{where}.value: {len(value)} chars; must be 1..{MAX_OPTION_VALUE}")
    description = option.get("description")
    if description is not None:
        length = _text_len(description)
        if length is None or length > MAX_OPTION_TEXT:
            errors.append(f"{where}.description: plain_text of at most {MAX_OPTION_TEXT} chars")
    return errors


def validate_options_response(body: dict[str, Any]) -> None:
    """Assert an external-select options response (``ack(options=...)`` /
    ``ack(option_groups=...)`` body) is valid: exactly one of ``options``/``option_groups``,
    ≤100 entries, option text ≤75, value a 1..150-char string, unique values."""
    errors: list[str] = []
    if not isinstance(body, dict):
        _raise("options response", ["$: not an object"])
    has_options, has_groups = "options" in body, "option_groups" in body
    if has_options == has_groups:
        errors.append("$: needs exactly one of 'options' or 'option_groups'")
    values: Counter[str] = Counter()
    if has_options:
        options = body["options"]
        if not isinstance(options, list):
            errors.append("$.options: not a list")
            options = []
        if len(options) > MAX_OPTIONS:
            errors.append(f"$.options: {len(options)} options; at most {MAX_OPTIONS}")
        for i, option in enumerate(options):
            errors.extend(_option_errors(option, f"$.options[{i}]"))
            if isinstance(option, dict) and isinstance(option.get("value"), str):
                values[option["value"]] += 1
    if has_groups:
        groups = body["option_groups"]
        if not isinstance(groups, list):
            errors.append("$.option_groups: not a list")
            groups = []
        if len(groups) > MAX_OPTIONS:
            errors.append(f"$.option_groups: {len(groups)} groups; at most {MAX_OPTIONS}")
        for g, group in enumerate(groups):
            where = f"$.option_groups[{g}]"
            if not isinstance(group, dict):
                errors.append(f"{where}: not an object")
                continue
            length = _text_len(group.get("label"))
            if length is None or length > MAX_OPTION_TEXT:
                errors.append(f"{where}.label: plain_text of at most {MAX_OPTION_TEXT} chars")
            options = group.get("options")
            if not isinstance(options, list) or not options:
                errors.append(f"{where}.options: a non-empty list is required")
                continue
            if len(options) > MAX_OPTIONS:
                errors.append(f"{where}.options: {len(options)} options; at most {MAX_OPTIONS}")
            for i, option in enumerate(options):
                errors.extend(_option_errors(option, f"{where}.options[{i}]"))
                if isinstance(option, dict) and isinstance(option.get("value"), str):
                    values[option["value"]] += 1
    for value, n in values.items():
        if n > 1:
            errors.append(f"$: duplicate option value {value!r} ({n} times)")
    _raise("options response", errors)


def assert_all_views_valid(fake: FakeSlack, *, allow_repeated_action_ids: bool = True) -> int:
    """Validate every view sent with views.open/update/push/publish and every ``blocks`` sent
    with chat.postMessage/chat.update/chat.postEphemeral or to a response_url, as recorded by
    ``fake``. Raises one AssertionError listing all problems; returns how many payloads were
    checked."""
    problems: list[str] = []
    checked = 0
    for index, call in enumerate(fake.calls()):
        found: list[str] = []
        if call.method in ("views.open", "views.update", "views.push", "views.publish"):
            view = call.args.get("view")
            checked += 1
            if (
                call.method == "views.publish"
                and isinstance(view, dict)
                and view.get("type") != "home"
            ):
                found.append(f"$.type: views.publish needs a home view, got {view.get('type')!r}")
            found.extend(
                view_errors(view, allow_repeated_action_ids=allow_repeated_action_ids)
                if isinstance(view, dict)
                else ["$: view missing or not an object"]
            )
        elif (
            call.method
            in (
                "chat.postMessage",
                "chat.update",
                "chat.postEphemeral",
                "response_url",
            )
            and "blocks" in call.args
        ):
            checked += 1
            found.extend(blocks_errors(call.args["blocks"]))
        if found:
            problems.append(f"call #{index} {call.method}:")
            problems.extend(f"    {line}" for line in found)
    _raise("Slack payloads", problems)
    return checked
