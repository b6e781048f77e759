"""The knowledge base the assistant answers from: entries with several phrasings in zh and en.

Only the file format lives here (validated, with file:line errors); retrieval is the assistant's.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.yamlfile import load_model


class KnowledgeEntry(BaseModel):
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


def load_knowledge(path: Path) -> KnowledgeBase:
    """Read a knowledge-base YAML file (a list of entries). Raises YamlFileError naming file:line:key."""
    return load_model(path, KnowledgeBase, wrap="entries")
