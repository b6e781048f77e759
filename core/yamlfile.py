"""Reading YAML files that people write by hand, keeping the line of every key.

Config, the demo site's content and hall scenes are all edited by administrators; when one is wrong the
message must say ``file:line: key: problem``. PyYAML's composed node tree carries the marks; this module
pairs them with the parsed data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from core.sitefacts import render_tree

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


def display_path(path: Path | str) -> str:
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class MarkedSafeLoader(yaml.SafeLoader):
    """SafeLoader whose bad values are YAML errors with a line. PyYAML's constructors let a date that
    does not exist (``2024-13-45``), ``!!int abc`` or a 5000-digit number escape as a bare ValueError,
    and ``!!timestamp x`` as an AttributeError, without a mark: a traceback for the administrator
    instead of ``file:line: ...``."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """A key written twice is a mistake (two ``kiosk:`` blocks: the first would be dropped without a
        word), so it is an error naming both lines."""
        seen: dict[Any, int] = {}
        pairs = node.value if isinstance(node, yaml.MappingNode) else []  # "!!map [1]": the base class says no
        for pair in pairs:
            key_node = pair[0] if isinstance(pair, tuple) and len(pair) == 2 else None
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                try:
                    key = self.construct_object(key_node)
                    hash(key)
                except Exception:  # an unhashable or unreadable key: the base class says what is wrong
                    continue
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {short_repr(key)} (first on line {seen[key]})", key_node.start_mark)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception as exc:  # whatever a constructor raises on text it was never meant to see
            what = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {short_repr(what)}: {exc}",
                                                    node.start_mark) from None


def cut(text: str, limit: int = 200) -> str:
    """``text`` cut to about ``limit`` characters: a message must stay readable when the value in it is a
    100 kB string someone pasted by mistake."""
    return text if len(text) <= limit else f"{text[:limit - 5]}…({len(text)} characters)"


def short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters."""
    return cut(repr(value), limit)


#: More values than any hand-written file of ours holds (the demo hall: ~3,000), far fewer than an alias
#: bomb expands to (nine aliases of nine aliases … : 9**9).
MAX_EXPANDED_VALUES = 200_000


def _expanded_size(root: yaml.Node) -> int:
    """How many values the document has once every alias is expanded, counted on the node tree (each
    distinct node once, memoised), stopping early past the limit; a node holding itself counts as large."""
    sizes: dict[int, int] = {}
    busy: set[int] = set()

    def size(n: yaml.Node) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in busy:
            return MAX_EXPANDED_VALUES + 1
        busy.add(key)
        total = 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k) + size(v)
                if total > MAX_EXPANDED_VALUES:
                    break
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                total += size(item)
                if total > MAX_EXPANDED_VALUES:
                    break
        busy.discard(key)
        sizes[key] = total
        return total

    try:
        return size(root)
    except RecursionError:  # thousands of nested brackets: reported as such where the data is built
        return 0


def read_yaml(path: Path, error: type[YamlFileError] = YamlFileError) -> tuple[Any, dict[tuple, Origin]]:
    """Parse ``path`` (a ``str`` is taken as a path too); return the data and a map from key path (tuple of
    keys/indices) to its origin."""
    path = Path(path)
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error([f"{shown}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error([f"{shown}: cannot read: {exc}"]) from None
    loader: MarkedSafeLoader | None = None
    try:
        loader = MarkedSafeLoader(text)  # already raises for a NUL or other unprintable character
        # One parse gives both the node tree (with marks) and the data, as yaml.safe_load would.
        node = loader.get_single_node()
        expanded = _expanded_size(node) if node is not None else 0
        if expanded > MAX_EXPANDED_VALUES:  # before anything walks the expanded tree (seconds, gigabytes)
            raise error([f"{shown}: YAML aliases expand this file to more than {MAX_EXPANDED_VALUES} values "
                         f"(an alias bomb, or an anchor that holds itself): write the values out instead"])
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:  # a NUL or control character: it has a position, not a mark
        line = text.count("\n", 0, exc.position) + 1
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise error([f"{shown}:{line}: YAML syntax error: unacceptable character {char} ({exc.reason})"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or " ".join(str(exc).split())
        raise error([f"{shown}{line}: YAML syntax error: {problem}"]) from None
    except RecursionError:  # thousands of nested brackets: PyYAML's composer recurses per level
        raise error([f"{shown}: YAML syntax error: nested too deeply"]) from None
    finally:
        if loader is not None:
            loader.dispose()
    origins: dict[tuple, Origin] = {}
    base = path.resolve().parent
    seen: set[int] = set()

    def key_of(key_node: yaml.Node) -> Any:
        """The key as the data holds it (``1:`` is the int 1, ``on:`` is True), so lookups by the
        locations pydantic reports find it; the raw text where it cannot be rebuilt."""
        if isinstance(key_node, yaml.ScalarNode):
            try:
                return loader.construct_object(key_node)
            except yaml.YAMLError:
                pass
        return key_node.value

    def walk(n: yaml.Node | None, key_path: tuple) -> None:
        # An alias is the same node object as its anchor: walk it once, or a "billion laughs" file
        # (nine aliases of nine aliases of ...) takes forever here while the parsed data stays small.
        if n is None or id(n) in seen:
            return
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                child = (*key_path, key_of(key_node))
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
    """('exhibits', 3, 'title_zh') -> 'exhibits[3].title_zh'. A key with a line break or another
    unprintable character is shown quoted, so that a message stays one line; so is an empty key, or one
    with spaces around it, which would not be seen otherwise."""
    out = ""
    for part in loc:
        if isinstance(part, str) and (not part.isprintable() or not part or part != part.strip()):
            part = repr(part)
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_model(path: Path, model: type[M], wrap: str | None = None, facts: Mapping[str, str] | None = None) -> M:
    """Read ``path`` and validate it as ``model``; ``wrap`` puts the document under that key first
    (for files whose top level is a list); ``facts`` fills ``${name}`` site facts into every string
    (content files; ``core.sitefacts``). Raises YamlFileError with file:line:key messages."""
    path = Path(path)
    data, origins = read_yaml(path)
    if facts is not None:
        data, problems = render_tree(data, facts)
        if problems:
            shown = display_path(path)
            raise YamlFileError([f"{where(loc, origins, shown)}: {dotted(loc) or '(top level)'}: {msg}"
                                 for loc, msg in problems])
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
                f", got {short_repr(value)}")
            msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            messages.append(f"{where(loc, origins, shown)}: {dotted(shown_loc) or '(top level)'}: {msg}{got}")
        raise YamlFileError(messages) from None
