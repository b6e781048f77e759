"""The review state of hand-written content: knowledge answers, quiz questions and hall exhibits.

Why: the terminal speaks its content aloud in public, so a party committee signs off each entry the
way it signs off news (分级审核): draft → branch_approved → published (or rejected), with who reviewed
it and when. Only published entries are spoken or shown; an entry with no review block has not been
reviewed and is withheld too. ``launcher.py content check`` lists what is waiting.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.models import REVIEW_STATES

ReviewState = Literal["draft", "branch_approved", "published", "rejected"]
assert set(ReviewState.__args__) == set(REVIEW_STATES)  # type: ignore[attr-defined]


class Review(BaseModel):
    """``review: {state: published, by: 刘芳（宣传委员）, date: 2026-12-07}`` (``date``, not ``on``:
    YAML reads a bare ``on`` key as the boolean true)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: ReviewState
    by: str = Field("", max_length=64)
    """Who approved it (name and post)."""
    date: dt.date | None = None
    """When it was approved."""

    @model_validator(mode="after")
    def _signed(self) -> Review:
        if self.state in ("branch_approved", "published") and not (self.by.strip() and self.date):
            raise ValueError(f"a {self.state} entry names its reviewer (by) and the date (date)")
        return self


def is_published(review: Review | None) -> bool:
    """True only for an entry a reviewer published; no review block means not reviewed."""
    return review is not None and review.state == "published"


class Reviewed(BaseModel):
    """The fields every reviewed entry carries (knowledge answers, quiz questions, guides, exhibits)."""

    source: str = ""
    """Where its real-world facts come from (document, article, date), or ``site`` for the site's own."""
    review: Review | None = None

    @property
    def published(self) -> bool:
        return is_published(self.review)
