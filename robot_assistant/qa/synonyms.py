"""Synonym groups read from a small text file, and the query expansion they drive.

Why a file: the site's wording changes with its people (打卡 vs 签到); an administrator can add a line
without touching code. Matching is on the normalised question text, not on jieba's words, so a synonym
works however the segmenter cuts the sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from robot_assistant.qa.text import CJK_CHAR, normalize

DEFAULT_SYNONYMS = Path(__file__).with_name("synonyms.txt")


@dataclass
class Synonyms:
    """Groups of interchangeable terms (normalised: lower case, half-width)."""

    groups: list[tuple[str, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cjk: list[tuple[str, int]] = []
        english: dict[str, int] = {}
        for gi, group in enumerate(self.groups):
            for term in group:
                if CJK_CHAR.search(term):
                    self._cjk.append((term, gi))
                else:
                    english[term] = gi
        self._english = english
        pattern = "|".join(re.escape(t) for t in sorted(english, key=len, reverse=True))
        self._english_re = re.compile(rf"\b(?:{pattern})\b") if pattern else None

    @classmethod
    def load(cls, path: Path = DEFAULT_SYNONYMS) -> Synonyms:
        """Read ``path``: one comma-separated group per line, ``#`` comments. Raises ValueError with file:line."""
        groups = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            terms = tuple(dict.fromkeys(normalize(t) for t in re.split(r"[,，]", line) if t.strip()))
            if len(terms) < 2:
                raise ValueError(f"{path}:{n}: a synonym group needs at least two terms, got {line!r}")
            groups.append(terms)
        return cls(groups)

    def terms(self) -> list[str]:
        return [t for g in self.groups for t in g]

    def matches(self, text: str) -> list[tuple[str, list[str]]]:
        """For every group term found in ``text``: (the term, the group's other terms not in ``text``)."""
        text = normalize(text)
        found: list[tuple[str, int]] = [(term, gi) for term, gi in self._cjk if term in text]
        if self._english_re is not None:
            found.extend((m.group(), self._english[m.group()]) for m in self._english_re.finditer(text))
        return [(term, [t for t in self.groups[gi] if t not in text]) for term, gi in found]

    def expansions(self, text: str) -> list[str]:
        """Terms to add for ``text``: the other members of every group one of whose terms occurs in it."""
        return list(dict.fromkeys(t for _, others in self.matches(text) for t in others))
