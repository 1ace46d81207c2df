"""The pipeline file's text: YAML that keeps the line of every key, and error messages
that point at it (`pipeline.yaml, line 12: generators[0].params.epoch: ...`).

The document is composed node by node (`yaml.SafeLoader`) so that each key's line is
known; a pydantic error's location is then mapped back to the line it was written on.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from synthera.errors import ParameterError, one_line

KeyPath = tuple[str, ...]  # a key's place in the document: ("generators", "0", "params")


class PipelineConfigError(ParameterError):
    """The pipeline file is missing, not YAML, or has a wrong key or value."""


def parse_yaml(text: str, label: str) -> tuple[Any, dict[KeyPath, int]]:
    """The document's data and the line (1-based) of every key and list item."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PipelineConfigError(f"{label} is empty")
        lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
        _record_lines(node, (), lines, label)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "not valid YAML"
        raise PipelineConfigError(one_line(f"{label}{where}: not valid YAML: {problem}")) from None
    except yaml.YAMLError as exc:
        raise PipelineConfigError(one_line(f"{label}: not valid YAML: {exc}")) from None
    finally:
        loader.dispose()


def _record_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], label: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen and key != "<<":
                dotted = format_key((*path, key))
                raise PipelineConfigError(
                    f"{label}, line {line}: {dotted} appears twice (first on line {seen[key]})"
                )
            seen[key] = line
            lines[(*path, key)] = line
            _record_lines(value_node, (*path, key), lines, label)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, str(index))] = item.start_mark.line + 1
            _record_lines(item, (*path, str(index)), lines, label)


# ---- error messages --------------------------------------------------------------------


def format_key(path: typing.Sequence[str | int]) -> str:
    """("generators", 0, "params") -> "generators[0].params"."""
    text = ""
    for part in path:
        if isinstance(part, int) or str(part).isdigit():
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "the file"


def line_of(path: typing.Sequence[str | int], lines: Mapping[KeyPath, int]) -> int:
    """The line of the deepest written key on `path` (a missing key: its parent's line)."""
    parts = tuple(str(p) for p in path)
    for end in range(len(parts), -1, -1):
        if parts[:end] in lines:
            return lines[parts[:end]]
    return 1


def describe_error(
    exc: ValidationError, lines: Mapping[KeyPath, int], label: str, root: type[BaseModel]
) -> str:
    """The first validation error as one line: file, line, key and what is wrong."""
    errors = exc.errors(include_url=False)
    # An unknown key first: a misspelt key also reads as the right key missing.
    first = min(errors, key=lambda e: (e["type"] != "extra_forbidden", line_of(_loc(e), lines)))
    loc = _loc(first)
    kind = first["type"]
    if kind == "extra_forbidden":
        message = f"unknown key {loc[-1]!r}" + _allowed_keys(root, loc[:-1], str(loc[-1]))
    elif kind == "missing":
        message = f"missing key {loc[-1]!r}"
    else:
        message = first["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        given = first.get("input")
        if kind not in ("value_error", "assertion_error") and not isinstance(given, dict | list):
            message += f" (got {given!r})"
    more = (
        f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})" if len(errors) > 1 else ""
    )
    key = format_key(loc)
    return one_line(f"{label}, line {line_of(loc, lines)}: {key}: {message}{more}")


def _loc(error: Any) -> list[int | str]:
    return [p for p in error["loc"] if isinstance(p, int | str)]


def _allowed_keys(root: type[BaseModel], parent: list[int | str], wrong: str) -> str:
    section = _section_at(root, parent)
    if section is None:
        return ""
    allowed = [f.alias or name for name, f in section.model_fields.items()]
    close = difflib.get_close_matches(wrong, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f" (allowed: {', '.join(allowed)}){hint}"


def _section_at(root: type[BaseModel], parent: list[int | str]) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at `parent`, if there is one."""
    current: Any = root
    for part in parent:
        if isinstance(part, int):
            continue  # a list index: the item type was unwrapped already
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """`list[X]` and `X | None` -> X."""
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    return annotation
