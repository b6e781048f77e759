"""Site facts: what a site's content keeps repeating, written once and referenced everywhere.

Why: the contact office, its phone, the day of 主题党日, the hall's opening hours and room names, the
ways to sign in are repeated by knowledge answers, notices, articles, quiz explanations and hall panels.
Written by hand in each place they drift apart (the demo once named two different contact offices),
and the terminal then contradicts itself aloud. So they live in the ``facts:`` block of the site file
(``site.yaml``) and content says ``${office_zh}``; the value is put in when the file is loaded.

Which facts a file sees: a content file in a site folder (knowledge base, notices, articles, quiz) uses
the ``site.yaml`` beside it; a hall scene names its site file in ``hall.site``. Besides the ``facts:``
block, the organisation's own fields are facts too, as ``org_<field>`` (``org_phone``, ``org_name_zh``).

Syntax: ``${name}`` only (lower-case letters, digits and ``_``); ``$$`` is a literal dollar sign. A bare
``$`` or an unknown name is an error naming file, line and key, never a ``${...}`` spoken aloud.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from typing import Any

FACT_NAME = r"[a-z][a-z0-9_]{0,63}"
"""A fact's name: what ``${...}`` may hold."""

SITE_FILE = "site.yaml"


class FactTemplate(string.Template):
    """``string.Template`` accepting only the braced form, so that prose with a stray ``$word`` is an
    error and not a silent substitution."""

    idpattern = r"(?!)"  # the unbraced $name form never matches: it is reported as invalid
    braceidpattern = FACT_NAME
    flags = re.NOFLAG


class FactError(ValueError):
    """A template that cannot be filled: unknown fact, or a ``$`` that starts no ``${name}``."""


def placeholders(text: str) -> list[str]:
    """The fact names ``text`` refers to, in order (duplicates kept)."""
    return [m.group("braced") for m in FactTemplate.pattern.finditer(text) if m.group("braced")]


def render(text: str, facts: Mapping[str, str]) -> str:
    """``text`` with every ``${name}`` replaced by its fact. Raises FactError naming what is wrong."""
    if "$" not in text:
        return text
    unknown = [name for name in placeholders(text) if name not in facts]
    if unknown:
        known = ", ".join(sorted(facts)) or "none: the site file has no facts block"
        raise FactError(f"unknown site fact ${{{unknown[0]}}} (known: {known})")
    try:
        return FactTemplate(text).substitute(facts)
    except ValueError:
        at = next(m.start() for m in FactTemplate.pattern.finditer(text) if m.group("invalid") is not None)
        raise FactError(f"a '$' at character {at + 1} starts no ${{fact}} (write $$ for a dollar sign)") from None


def render_tree(data: Any, facts: Mapping[str, str], loc: tuple = ()) -> tuple[Any, list[tuple[tuple, str]]]:
    """Render every string in a parsed YAML document (dict keys are left alone). Returns the new data
    and the problems as (key path, message), so the caller can name the line of each.

    A list or mapping reached twice (a YAML alias) is rendered once and shared again, and one that holds
    itself is left as it is: a hand-written file can be an alias bomb, and this runs before validation."""
    problems: list[tuple[tuple, str]] = []
    done: dict[int, Any] = {}

    def walk(value: Any, here: tuple) -> Any:
        if isinstance(value, str):
            try:
                return render(value, facts)
            except FactError as exc:
                problems.append((here, str(exc)))
                return value
        if not isinstance(value, (dict, list)):
            return value
        if id(value) in done:
            return done[id(value)] if done[id(value)] is not None else value
        done[id(value)] = None  # in progress: a cycle back to it keeps the original
        if isinstance(value, dict):
            out: Any = {k: walk(v, (*here, k)) for k, v in value.items()}
        else:
            out = [walk(v, (*here, i)) for i, v in enumerate(value)]
        done[id(value)] = out
        return out

    try:
        return walk(data, loc), problems
    except RecursionError:  # thousands of nested brackets: not a content file
        return data, [(loc, "nested too deeply")]


def strings_in(data: Any, loc: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every string value of a parsed document with its key path (for checks over raw content); a list
    or mapping reached twice (a YAML alias) is visited once."""
    seen: set[int] = set()
    stack: list[tuple[tuple, Any]] = [(loc, data)]
    while stack:
        here, value = stack.pop()
        if isinstance(value, str):
            yield here, value
        elif isinstance(value, (dict, list)) and id(value) not in seen:
            seen.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend(reversed([((*here, k), v) for k, v in items]))
