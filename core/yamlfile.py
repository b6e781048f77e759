"""Reading YAML files that people write by hand, keeping the line of every key.

Config, the demo site's content and hall scenes are all edited by administrators; when one is wrong the
message must say ``file:line: key: problem``. PyYAML's composed node tree carries the marks; this module
pairs them with the parsed data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class YamlFileError(Exception):
    """Problems in one or more files, each a ready-to-print ``file:line: key: message`` line."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Origin:
    """Where a value came from: ``where`` is "file:line" (or an environment variable's name)."""

    where: str
    base_dir: Path


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_yaml(path: Path, error: type[YamlFileError] = YamlFileError) -> tuple[Any, dict[tuple, Origin]]:
    """Parse ``path``; return the data and a map from key path (tuple of keys/indices) to its origin."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error([f"{shown}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error([f"{shown}: cannot read: {exc}"]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error([f"{shown}{line}: YAML syntax error: {problem}"]) from None
    origins: dict[tuple, Origin] = {}
    base = path.resolve().parent

    def walk(n: yaml.Node | None, key_path: tuple) -> None:
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                child = (*key_path, key_node.value)
                origins[child] = Origin(f"{shown}:{key_node.start_mark.line + 1}", base)
                walk(value_node, child)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                child = (*key_path, i)
                origins[child] = Origin(f"{shown}:{item.start_mark.line + 1}", base)
                walk(item, child)

    walk(node, ())
    return data, origins


def where(loc: tuple, origins: dict[tuple, Origin], fallback: str) -> str:
    """The origin of the deepest known prefix of ``loc``."""
    for i in range(len(loc), 0, -1):
        if loc[:i] in origins:
            return origins[loc[:i]].where
    return fallback


def dotted(loc: tuple) -> str:
    """('exhibits', 3, 'title_zh') -> 'exhibits[3].title_zh'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_model(path: Path, model: type[M], wrap: str | None = None) -> M:
    """Read ``path`` and validate it as ``model``; ``wrap`` puts the document under that key first
    (for files whose top level is a list). Raises YamlFileError with file:line:key messages."""
    data, origins = read_yaml(path)
    if wrap is not None:
        data = {wrap: data}
        origins = {(wrap, *k): v for k, v in origins.items()}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        shown = display_path(path)
        messages = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            shown_loc = loc[1:] if wrap is not None and loc and loc[0] == wrap else loc
            value = err.get("input")
            got = "" if err["type"] in ("missing", "extra_forbidden") or isinstance(value, (dict, list)) else (
                f", got {value!r}")
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            messages.append(f"{where(loc, origins, shown)}: {dotted(shown_loc) or '(top level)'}: {msg}{got}")
        raise YamlFileError(messages) from None
