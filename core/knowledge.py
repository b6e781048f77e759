"""The knowledge base the assistant answers from: entries with several phrasings in zh and en.

Only the file format lives here (validated, with file:line errors); retrieval is the assistant's.
Entries carry a review state and the source of the facts they state (``core.review``); only published
entries reach the assistant. Site facts (``${office_zh}``) are filled in from the site file beside the
knowledge file (``core.sitefacts``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.review import Reviewed
from core.site_facts_files import facts_beside
from core.yamlfile import load_model

log = logging.getLogger(__name__)


class KnowledgeEntry(Reviewed):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    topic: str = ""
    tags: list[str] = []
    exhibit: str | None = None
    room: str | None = None
    questions_zh: list[str] = Field(min_length=1)
    questions_en: list[str] = []
    answer_zh: str = Field(min_length=1)
    answer_en: str = ""


class KnowledgeBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[KnowledgeEntry]

    @model_validator(mode="after")
    def _unique_ids(self) -> KnowledgeBase:
        ids = [e.id for e in self.entries]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"entry ids used twice: {dup}")
        return self

    def by_id(self, entry_id: str) -> KnowledgeEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


def load_knowledge(path: Path, *, published_only: bool = True) -> KnowledgeBase:
    """Read a knowledge-base YAML file (a list of entries) with its site facts filled in; by default only
    the published entries. Raises YamlFileError naming file:line:key."""
    kb = load_model(path, KnowledgeBase, wrap="entries", facts=facts_beside(path))
    if not published_only:
        return kb
    withheld = [e.id for e in kb.entries if not e.published]
    if withheld:
        log.warning("knowledge base %s: %d entries not published (not answered): %s%s", path, len(withheld),
                    ", ".join(withheld[:10]), " …" if len(withheld) > 10 else "")
    return KnowledgeBase(entries=[e for e in kb.entries if e.published])
