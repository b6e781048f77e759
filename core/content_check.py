"""``launcher.py content check``: what stands between a site's content and a committee's sign-off.

Why: the terminal speaks its knowledge answers, quiz explanations and exhibit narrations aloud in
public. Before a site goes live (and after every edit) a reviewer needs the list of what to look at:
entries not published (unreviewed or still draft), entries that do not say where their facts come
from, Chinese texts with no English, zh/en pairs whose numbers or dates differ, English that is off the bilingual glossary, and site
facts (contact office, opening hours, room names …) written out by hand instead of ``${name}``, which
is how a site ends up contradicting itself. Every problem names file:line and the entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.bilingual import Glossary, avoided_terms, load_glossary, missing_terms, number_mismatch
from core.review import Review
from core.site_facts_files import facts_for_scene, facts_from_file
from core.sitefacts import SITE_FILE, render_tree, strings_in
from core.yamlfile import YamlFileError, display_path, dotted, read_yaml, where

GLOSSARY_FILE = "glossary.yaml"
#: Keys whose strings are not the site's own prose: what visitors say, ids, references, citations.
NOT_PROSE = {"questions_zh", "questions_en", "id", "tags", "source", "review", "media", "room", "exhibit",
             "topic", "stops", "image", "category", "site", "kind"}
#: (zh field, en field) pairs compared per kind of entry.
PAIRS = {
    "knowledge": [("answer_zh", "answer_en")],
    "quiz": [("question_zh", "question_en"), ("explanation_zh", "explanation_en")],
    "exhibit": [("title_zh", "title_en"), ("description_zh", "description_en"), ("narration_zh", "narration_en")],
    "room": [("name_zh", "name_en")],
    "notice": [("title_zh", "title_en"), ("body_zh", "body_en")],
    "article": [("title_zh", "title_en")],
    "guide": [("title_zh", "title_en"), ("body_zh", "body_en")],
}
#: Kinds that must be reviewed (published) and must cite a source.
REVIEWED = {"knowledge", "quiz", "exhibit", "guide"}
SOURCED = {"knowledge", "quiz", "exhibit", "article", "guide"}


@dataclass(frozen=True)
class Problem:
    where: str
    """file:line"""
    entry: str
    kind: str
    """file | review | source | english | numbers | glossary | restated"""
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.entry}: {self.kind}: {self.message}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"problems": [asdict(p) for p in self.problems], "counts": self.counts, "notes": self.notes}


@dataclass(frozen=True)
class ContentFile:
    """A content file and where its entries sit in it: ``sections`` maps a kind to the key path of its
    list (``()`` for a file that is the list itself)."""

    path: Path
    sections: dict[str, tuple]


def _entries(data: Any, loc: tuple) -> Iterator[tuple[tuple, dict]]:
    node = data
    for key in loc:
        node = node.get(key) if isinstance(node, dict) else None
    for i, item in enumerate(node if isinstance(node, list) else []):
        if isinstance(item, dict):
            yield (*loc, i), item


def _check_entry(kind: str, entry: dict, rendered: dict, glossary: Glossary | None,
                 facts: dict[str, str]) -> Iterator[tuple[tuple, str, str]]:
    """(key path inside the entry, kind of problem, message) for each problem of one entry."""
    if kind in REVIEWED:
        review = entry.get("review")
        if review is None:
            yield (), "review", "not reviewed (no review block): withheld from visitors"
        else:
            try:
                state = Review.model_validate(review).state
            except Exception as exc:  # the loader reports the details; here: not publishable
                state = f"invalid ({str(exc).splitlines()[-1].strip()})"
            if state != "published":
                yield ("review",), "review", f"review state {state}: withheld from visitors"
    if kind in SOURCED and not str(entry.get("source") or "").strip():
        yield (), "source", "no source: say which document, article and date its facts come from"
    for zh_key, en_key in PAIRS.get(kind, []):
        zh, en = str(rendered.get(zh_key) or ""), str(rendered.get(en_key) or "")
        if zh.strip() and not en.strip():  # the terminal is bilingual: an English visitor would get Chinese
            yield (), "english", f"{zh_key} has no {en_key}"
            continue
        only_zh, only_en = number_mismatch(zh, en, glossary)
        if only_zh or only_en:
            parts = ([f"{zh_key} has {', '.join(sorted(only_zh))} that {en_key} lacks"] if only_zh else []) + \
                    ([f"{en_key} has {', '.join(sorted(only_en))} that {zh_key} lacks"] if only_en else [])
            yield (en_key,), "numbers", "; ".join(parts)
        if glossary is not None:
            for term in missing_terms(zh, en, glossary):
                yield (en_key,), "glossary", f"{zh_key} says {term.zh}: {en_key} should say \"{term.en[0]}\""
            for term, wrong in avoided_terms(en, glossary):
                yield (en_key,), "glossary", (f"{en_key} says \"{wrong}\": the glossary's English for {term.zh} "
                                              f"is \"{term.en[0]}\"")
    for loc, text in strings_in({k: v for k, v in entry.items() if k not in NOT_PROSE}):
        for name, value in facts.items():
            if len(value) >= 2 and value.casefold() in text.casefold():
                yield loc, "restated", (f"{dotted(loc)} writes the site fact {name} (\"{value}\") by hand: "
                                        f"write ${{{name}}}")


def check_file(cf: ContentFile, facts: dict[str, str], glossary: Glossary | None, report: Report) -> None:
    """Check one content file: the raw text for restated facts and review/source, the text with facts
    filled in for numbers and terms."""
    try:
        raw, origins = read_yaml(cf.path)
    except YamlFileError as exc:
        report.problems += [Problem(display_path(cf.path), "-", "file", m) for m in exc.messages]
        return
    rendered, unfilled = render_tree(raw, facts)
    shown = display_path(cf.path)
    report.problems += [Problem(where(loc, origins, shown), "-", "file", msg) for loc, msg in unfilled]
    for kind, section in cf.sections.items():
        n = 0
        filled_at = dict(_entries(rendered, section))
        for loc, entry in _entries(raw, section):
            n += 1
            filled = filled_at.get(loc, entry)
            label = str(entry.get("id", "?"))
            report.problems += [Problem(where((*loc, *sub), origins, shown), label, what, message)
                                for sub, what, message in _check_entry(kind, entry, filled, glossary, facts)]
        report.counts[kind] = report.counts.get(kind, 0) + n


def check_site(site: Path, knowledge: Path | None = None, scene: Path | None = None) -> Report:
    """Check a site folder (its site facts, glossary, notices, articles, quiz and knowledge base) and the
    hall scene. ``knowledge`` defaults to the folder's knowledge.yaml."""
    report = Report()
    site_file = site / SITE_FILE
    try:
        facts = facts_from_file(site_file)
    except YamlFileError as exc:
        report.problems += [Problem(display_path(site_file), "-", "file", m) for m in exc.messages]
        return report
    glossary: Glossary | None = None
    if (site / GLOSSARY_FILE).is_file():
        try:
            glossary = load_glossary(site / GLOSSARY_FILE)
        except YamlFileError as exc:
            report.problems += [Problem(display_path(site / GLOSSARY_FILE), "-", "file", m) for m in exc.messages]
    else:
        report.notes.append(f"no {GLOSSARY_FILE} in {display_path(site)}: English terms not checked")
    files = [ContentFile(knowledge or site / "knowledge.yaml", {"knowledge": ()}),
             ContentFile(site / "quiz.yaml", {"quiz": ()}),
             ContentFile(site / "notices.yaml", {"notice": ()}),
             ContentFile(site / "articles.yaml", {"article": ()}),
             ContentFile(site / "guides.yaml", {"guide": ()})]
    for cf in files:
        if cf.path.is_file():
            check_file(cf, facts, glossary, report)
    if scene is not None:
        scene_facts = _scene_facts(scene, report)
        if scene_facts is not None:
            check_file(ContentFile(scene, {"room": ("rooms",), "exhibit": ("exhibits",)}), scene_facts, glossary,
                       report)
    return report


def _scene_facts(scene: Path, report: Report) -> dict[str, str] | None:
    try:
        data, origins = read_yaml(scene)
    except YamlFileError as exc:
        report.problems += [Problem(display_path(scene), "-", "file", m) for m in exc.messages]
        return None
    try:
        return facts_for_scene(scene, data)
    except YamlFileError as exc:
        at = where(("hall", "site"), origins, display_path(scene))
        report.problems += [Problem(at, "-", "file", f"hall.site: {m}") for m in exc.messages]
        return None
