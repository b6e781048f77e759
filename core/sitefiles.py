"""Schemas of the site files an administrator writes: organisation, branches, members, meetings
(``site.yaml``), notices, learning articles and the quiz bank.

Validated with pydantic so a wrong file names file, line and key (via ``core.yamlfile``) and nothing
half-valid reaches the database. Cross-references (a member's branch, a roster member) are checked
here too, for the same reason. The site file's ``facts:`` block holds what content repeats (contact
office, 主题党日, opening hours, room names): content refers to them as ``${name}`` (``core.sitefacts``).
Quiz questions carry a review state and a source like knowledge entries (``core.review``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.models import MEETING_TYPES, MEMBER_CATEGORIES, MEMBER_STATUSES
from core.review import Reviewed
from core.sitefacts import FACT_NAME

FactName = Annotated[str, Field(pattern=f"^{FACT_NAME}$")]

MeetingType = Literal["支部党员大会", "支委会", "党小组会", "党课"]
assert set(MeetingType.__args__) == set(MEETING_TYPES)  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Organisation(_Strict):
    name_zh: str = Field(min_length=1)
    name_en: str = ""
    short_zh: str = ""
    address_zh: str = ""
    phone: str = ""
    office_hours_zh: str = ""
    office_hours_en: str = ""


class BranchFile(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name_zh: str = Field(min_length=1)
    name_en: str = ""
    secretary: str | None = None
    phone: str = ""
    place_zh: str = ""
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)


class MemberFile(_Strict):
    number: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str = Field(min_length=1, max_length=64)
    name_en: str = ""
    branch: str
    gender: Literal["男", "女", ""] = ""
    role: str = "党员"
    status: Literal["正式", "预备"] = "正式"
    category: Literal["在职", "退休", "学生", "无业"] = "在职"
    joined: dt.date | None = None
    phone: str = ""
    group: str = ""


assert set(MemberFile.model_fields["status"].annotation.__args__) == set(MEMBER_STATUSES)  # type: ignore
assert set(MemberFile.model_fields["category"].annotation.__args__) == set(MEMBER_CATEGORIES)  # type: ignore


class MeetingFile(_Strict):
    type: MeetingType
    title_zh: str = Field(min_length=1)
    title_en: str = ""
    branch: str
    place_zh: str = ""
    week: int = Field(0, ge=-260, le=52)
    weekday: int = Field(ge=1, le=7)
    start: str = Field(pattern=r"^([01]?\d|2[0-3]):[0-5]\d$")
    minutes: int = Field(gt=0, le=24 * 60)
    roster: Literal["all"] | list[str] = "all"
    attended: list[str] = []
    late: list[str] = []

    @model_validator(mode="after")
    def _attended_only_in_past(self) -> MeetingFile:
        if (self.attended or self.late) and self.week >= 0:
            raise ValueError("attended/late are only for past meetings (week < 0)")
        if not set(self.late) <= set(self.attended):
            raise ValueError("late must be a subset of attended")
        return self


class SiteFile(_Strict):
    organisation: Organisation
    branches: list[BranchFile] = Field(min_length=1)
    members: list[MemberFile] = []
    meetings: list[MeetingFile] = []
    facts: dict[FactName, Annotated[str, Field(min_length=1, max_length=500)]] = {}
    """What content repeats, written once: ``office_zh: 党群工作部`` is ``${office_zh}`` in content."""

    @model_validator(mode="after")
    def _references(self) -> SiteFile:
        codes = [b.code for b in self.branches]
        numbers = [m.number for m in self.members]
        problems = [f"branch code {c} is used twice" for c in set(codes) if codes.count(c) > 1]
        problems += [f"member number {n} is used twice" for n in set(numbers) if numbers.count(n) > 1]
        branch_of = {m.number: m.branch for m in self.members}
        problems += [f"member {m.number}: unknown branch {m.branch}" for m in self.members if m.branch not in codes]
        problems += [f"branch {b.code}: secretary {b.secretary} is not a member"
                     for b in self.branches if b.secretary and b.secretary not in branch_of]
        for i, mt in enumerate(self.meetings):
            if mt.branch not in codes:
                problems.append(f"meetings[{i}]: unknown branch {mt.branch}")
            roster = set(mt.roster) if isinstance(mt.roster, list) else None
            unknown = [n for n in (roster or set()) | set(mt.attended) if n not in branch_of]
            if unknown:
                problems.append(f"meetings[{i}]: unknown member numbers {sorted(unknown)}")
            if roster is not None and not set(mt.attended) <= roster:
                problems.append(f"meetings[{i}]: attended members not on the roster")
            if roster is None and any(branch_of.get(n) != mt.branch for n in mt.attended):
                problems.append(f"meetings[{i}]: attended members from another branch")
        if problems:
            raise ValueError("; ".join(sorted(problems)))
        return self


class NoticeFile(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    title_zh: str = Field(min_length=1)
    title_en: str = ""
    body_zh: str = ""
    body_en: str = ""
    branch: str | None = None
    published_days_ago: int = Field(0, ge=0)
    expires_in_days: int | None = Field(None, gt=0)
    pinned: bool = False
    urgent: bool = False
    review: Literal["draft", "branch_approved", "published", "rejected"] = "published"
    source: str = ""


class NoticesFile(_Strict):
    notices: list[NoticeFile]


class ArticleFile(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    title_zh: str = Field(min_length=1)
    title_en: str = ""
    category: str = ""
    minutes: int = Field(1, gt=0)
    published: dt.date
    image: str | None = None
    summary_en: str = ""
    body_zh: str = Field(min_length=1)
    points: int = Field(0, ge=0)
    source: str = ""
    """The documents its real-world statements come from (checked by ``content check``)."""


class ArticlesFile(_Strict):
    articles: list[ArticleFile]


class GuideFile(_Strict, Reviewed):
    """A how-to guide of the office-hours page (党费, 组织关系转接 …): reviewed like knowledge answers."""

    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    title_zh: str = Field(min_length=1)
    title_en: str = ""
    body_zh: str = Field(min_length=1)
    body_en: str = ""


class GuidesFile(_Strict):
    guides: list[GuideFile]


class QuestionFile(_Strict, Reviewed):
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    type: Literal["single", "multi", "truefalse"]
    difficulty: int = Field(1, ge=1, le=3)
    tags: list[str] = []
    question_zh: str = Field(min_length=1)
    question_en: str = ""
    options_zh: list[str] = []
    options_en: list[str] = []
    answer: list[int] | bool
    explanation_zh: str = ""
    explanation_en: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> QuestionFile:
        if self.type == "truefalse":
            if not isinstance(self.answer, bool) or self.options_zh:
                raise ValueError("a truefalse question has answer: true|false and no options")
            return self
        if isinstance(self.answer, bool):
            raise ValueError(f"a {self.type} question's answer is a list of option indices")
        if not 2 <= len(self.options_zh) <= 6:
            raise ValueError("needs 2 to 6 options_zh")
        if self.options_en and len(self.options_en) != len(self.options_zh):
            raise ValueError("options_en must match options_zh in length")
        if any(not 0 <= a < len(self.options_zh) for a in self.answer) or len(set(self.answer)) != len(self.answer):
            raise ValueError("answer indices must be distinct and within the options")
        if self.type == "single" and len(self.answer) != 1:
            raise ValueError("a single-choice question has exactly one answer")
        if self.type == "multi" and len(self.answer) < 2:
            raise ValueError("a multiple-choice question has at least two answers")
        return self


class QuizFile(_Strict):
    questions: list[QuestionFile]

    @model_validator(mode="after")
    def _unique(self) -> QuizFile:
        ids = [q.id for q in self.questions]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"question ids used twice: {dup}")
        return self


def parse_hhmm(text: str) -> dt.time:
    hours, minutes = (int(x) for x in re.split(":", text))
    return dt.time(hours, minutes)
