"""How a configuration mistake is worded: ``file:line: key: what is wrong``, in plain words about what the
key must be, for an administrator with no developer at hand (``core.config`` adds file and line).

Why apart from the loading: the wording (pydantic's error kinds turned into sentences, the known keys of a
section, a misspelling's likeliest meaning) is long and changes for its own reasons.
"""

from __future__ import annotations

import difflib
from typing import Any

import yaml
from pydantic import BaseModel

from core.config_sections import Config
from core.yamlfile import YamlFileError, cut, short_repr


class ConfigError(YamlFileError):
    """One or more configuration problems, each a ready-to-print ``file:line: key: message`` line."""


def _field_info(loc: tuple) -> Any:
    """The pydantic FieldInfo at ``loc`` (None where the path leaves the model)."""
    model: Any = Config
    info = None
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        ann = info.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else _list_item_model(ann)
    return info


def _list_item_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _got(value: Any, limit: int = 80) -> str:
    """The offending value as the administrator wrote it, cut to ``limit`` characters."""
    if isinstance(value, str):
        text = f'"{value}"' if value.isprintable() else repr(value)  # a line break must not split the message
    else:
        try:
            text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip().removesuffix("\n...")
        except (yaml.YAMLError, RecursionError):
            text = repr(value)
        if "\n" in text:  # a long or quoted value folds over lines: one line, as Python writes it
            text = repr(value)
    return cut(text, limit)


def describe(error: dict) -> str:
    """Turn one pydantic error into plain words about what the key must be."""
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    info = _field_info(tuple(error["loc"]))
    gt = next((m.gt for m in (info.metadata if info else []) if getattr(m, "gt", None) is not None), None)
    if kind == "extra_forbidden":
        return "unknown key" + _allowed_here(tuple(error["loc"])[:-1], error["loc"][-1] if error["loc"] else "")
    if kind == "missing":
        return "is required"
    if kind in ("int_parsing", "int_type", "int_from_float") or (kind == "greater_than" and gt == 0):
        what = "a positive integer" if gt == 0 else "an integer"
        if info is not None and info.annotation is float:
            what = "a positive number" if gt == 0 else "a number"
        return f"must be {what}, got {_got(value)}"
    if kind == "finite_number":
        return f"must be a finite number, got {_got(value)}"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number, got {_got(value)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false, got {_got(value)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {_got(value)}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.values()))
        words = {"greater_than": "greater than", "greater_than_equal": "at least",
                 "less_than": "less than", "less_than_equal": "at most"}[kind]
        return f"must be {words} {bound}, got {_got(value)}"
    if kind == "string_pattern_mismatch":
        return f"must match {ctx.get('pattern')}, got {_got(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "value_error":  # a validator's own words; a pasted 3000-character value is shortened
        text = str(ctx.get("error", error["msg"]))
        return text.replace(repr(value), short_repr(value)) if isinstance(value, str) else text
    if kind in ("model_type", "dict_type"):
        return f"must be a mapping of keys, got {_got(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list, got {_got(value)}"
    if kind in ("string_type", "path_type"):
        return f"must be text, got {_got(value)}"
    return f"{error['msg']}, got {_got(value)}"


def _allowed_here(parent: tuple, typed: Any = "") -> str:
    """" (known keys here: …)": all of them when there are a dozen or fewer, else the likeliest ones for
    what was typed (a misspelling) and how many there are — a section of 28 keys made a 700-character line."""
    model: Any = Config
    for part in parent:
        if isinstance(part, int):
            continue
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return ""
        ann = fields[part].annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else _list_item_model(ann)
    fields = list(getattr(model, "model_fields", None) or [])
    if not fields:
        return ""
    if len(fields) <= 12:
        return f" (known keys here: {', '.join(fields)})"
    close = difflib.get_close_matches(str(typed), fields, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return f" ({hint}{len(fields)} keys here: {', '.join(fields[:8])}, … — see config.yaml)"
