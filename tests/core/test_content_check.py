"""Content a committee can sign off: site facts written once, review state, and `content check`.

The checker's own cases run on small site folders written here; the shipped demo must pass it, and a
changed site fact must show up in every file that refers to it once loaded (knowledge base, notices,
articles, quiz, hall scene, database)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.bilingual import (
    Glossary,
    Term,
    avoided_terms,
    missing_terms,
    number_mismatch,
    numbers_en,
    numbers_zh,
)
from core.content_check import check_site
from core.demo import load_site, read_site_folder
from core.knowledge import load_knowledge
from core.models import ContentItem, QuizQuestion
from core.sitefacts import FactError, placeholders, render, strings_in
from core.yamlfile import YamlFileError, read_yaml
from tests.conftest import ROOT
from vr_hall.scene import load_scene

DEMO = ROOT / "content" / "demo"
SCENE = ROOT / "scenes" / "hall.yaml"
REVIEWED = "review: {state: published, by: 审核人, date: 2026-12-01}"

SITE = """\
organisation: {name_zh: 测试党委, phone: "010-1234 5678"}
branches: [{code: B01, name_zh: 第一支部}]
facts:
  office_zh: 党群工作部
  office_en: Party and Mass Work Department
"""


def write_site(folder: Path, knowledge: str, site: str = SITE, glossary: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.yaml").write_text(site, encoding="utf-8")
    (folder / "knowledge.yaml").write_text(knowledge, encoding="utf-8")
    if glossary is not None:
        (folder / "glossary.yaml").write_text(glossary, encoding="utf-8")
    return folder


def entry(eid: str, zh: str, en: str, extra: str = f"source: 测试文件\n  {REVIEWED}") -> str:
    return f"- id: {eid}\n  questions_zh: [问题]\n  answer_zh: {zh}\n  answer_en: {en}\n  {extra}\n"


def kinds(report) -> list[tuple[str, str]]:
    return sorted((p.entry, p.kind) for p in report.problems)


# ------------------------------------------------------------------ site facts


def test_render_fills_facts_and_refuses_unknown_names_and_stray_dollars():
    facts = {"office_zh": "党群工作部", "org_phone": "010-1234"}
    assert render("请联系${office_zh}，电话${org_phone}。", facts) == "请联系党群工作部，电话010-1234。"
    assert render("US$$5", facts) == "US$5"
    with pytest.raises(FactError, match=r"unknown site fact \$\{office_en\}"):
        render("Ask the ${office_en}.", facts)
    with pytest.raises(FactError, match="starts no"):
        render("costs $5", facts)
    assert placeholders("${a} and ${b_2} and $$x") == ["a", "b_2"]


def test_an_unknown_fact_names_file_line_and_key(tmp_path):
    write_site(tmp_path, entry("k1", "请联系${office_zh}", "Ask the ${offic_en}."))
    with pytest.raises(YamlFileError) as err:
        load_knowledge(tmp_path / "knowledge.yaml")
    assert "knowledge.yaml:4: [0].answer_en: unknown site fact ${offic_en}" in str(err.value)


def test_a_changed_site_fact_appears_everywhere_it_is_used(tmp_path, database):
    """Copy the demo site and hall, change every fact, load everything: each text that refers to a fact
    now says the new value, in every file and in the database."""
    site, scenes = tmp_path / "content" / "demo", tmp_path / "scenes"
    shutil.copytree(DEMO, site)
    scenes.mkdir()
    shutil.copy(SCENE, scenes / "hall.yaml")
    raw_site = read_yaml(site / "site.yaml")[0]
    facts = raw_site["facts"]
    assert {"office_zh", "office_en"} <= set(facts)
    changed = {name: f"改{i}号{name}" for i, name in enumerate(facts)}
    text = (site / "site.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("\nfacts:")
    (site / "site.yaml").write_text(head + "\nfacts:\n" + "".join(f"  {k}: {v}\n" for k, v in changed.items()),
                                    encoding="utf-8")

    used: dict[str, set[str]] = {}  # file -> facts its texts refer to
    for name in ("knowledge.yaml", "notices.yaml", "articles.yaml", "quiz.yaml", "guides.yaml"):
        used[name] = {f for _, s in strings_in(read_yaml(site / name)[0]) for f in placeholders(s) if f in facts}
    used["hall.yaml"] = {f for _, s in strings_in(read_yaml(scenes / "hall.yaml")[0]) for f in placeholders(s)
                         if f in facts}
    assert used["knowledge.yaml"] and used["hall.yaml"] and used["guides.yaml"]
    assert used["notices.yaml"] | used["articles.yaml"]

    def says(texts: list[str], names: set[str]) -> None:
        blob = "\n".join(texts)
        missing = [n for n in names if changed[n] not in blob]
        assert not missing, f"not filled in: {missing}"
        assert "${" not in blob

    kb = load_knowledge(site / "knowledge.yaml")
    says([t for e in kb.entries for t in (e.answer_zh, e.answer_en)], used["knowledge.yaml"])
    scene = load_scene(scenes / "hall.yaml", check_media=False)
    says([t for e in scene.exhibits for t in (e.title_zh, e.title_en, e.description_zh, e.description_en,
                                              e.narration_zh, e.narration_en)]
         + [t for r in scene.rooms for t in (r.name_zh, r.name_en)], used["hall.yaml"])
    with database.session() as s:
        load_site(s, site, datetime(2026, 12, 7, 2, tzinfo=UTC), ZoneInfo("Asia/Shanghai"))
    with database.session() as s:
        items = s.scalars(select(ContentItem).where(ContentItem.source == "site")).all()
        questions = s.scalars(select(QuizQuestion)).all()
    says([t for i in items for t in (i.title_zh, i.title_en or "", i.body, i.body_en or "")],
         used["notices.yaml"] | used["articles.yaml"] | used["guides.yaml"])
    says([t for q in questions for t in (q.question_zh, q.question_en, q.explanation_zh, q.explanation_en,
                                         *q.options_zh, *q.options_en)], used["quiz.yaml"])


# ------------------------------------------------------------------ review state


def test_only_published_entries_are_answered_asked_or_built(tmp_path, database):
    kb = (entry("pub", "答", "A") + entry("draft", "答", "A", "review: {state: draft}")
          + entry("none", "答", "A", "source: x"))
    write_site(tmp_path, kb)
    assert [e.id for e in load_knowledge(tmp_path / "knowledge.yaml").entries] == ["pub"]
    assert len(load_knowledge(tmp_path / "knowledge.yaml", published_only=False).entries) == 3
    with pytest.raises(YamlFileError, match="names its reviewer"):
        write_site(tmp_path, entry("bad", "答", "A", "review: {state: published}"))
        load_knowledge(tmp_path / "knowledge.yaml")

    # quiz: a draft question is not loaded into the bank
    site = tmp_path / "site"
    shutil.copytree(DEMO, site)
    quiz = (site / "quiz.yaml").read_text(encoding="utf-8")
    first = read_site_folder(site).quiz.questions[0].id
    (site / "quiz.yaml").write_text(quiz.replace("state: published", "state: draft", 1), encoding="utf-8")
    with database.session() as s:
        report = load_site(s, site, datetime(2026, 12, 7, 2, tzinfo=UTC), ZoneInfo("Asia/Shanghai"))
    with database.session() as s:
        codes = set(s.scalars(select(QuizQuestion.code)))
    assert first not in codes and report.counts["questions"] == len(codes) == len(read_site_folder(site).quiz.questions) - 1


def test_an_unpublished_exhibit_is_not_built_nor_toured(tmp_path):
    scenes = tmp_path / "scenes"
    shutil.copytree(DEMO, tmp_path / "content" / "demo")
    scenes.mkdir()
    full = load_scene(SCENE, check_media=False)
    first_stop = full.tours[0].stops[0]
    text = SCENE.read_text(encoding="utf-8")
    at = text.index(f"- id: {first_stop}\n")
    end = text.index("state: published", at)
    (scenes / "hall.yaml").write_text(text[:end] + "state: draft" + text[end + len("state: published"):],
                                      encoding="utf-8")
    scene = load_scene(scenes / "hall.yaml", check_media=False)
    assert first_stop not in {e.id for e in scene.exhibits}
    assert len(scene.exhibits) == len(full.exhibits) - 1
    assert all(first_stop not in t.stops for t in scene.tours)
    assert first_stop in {e.id for e in load_scene(scenes / "hall.yaml", check_media=False, published=False).exhibits}


# ------------------------------------------------------------------ the checker's own cases


def test_numbers_and_dates_are_compared_across_languages():
    assert numbers_zh("1934年10月长征，行程约二万五千里，百分之零点五，9899万人，12.8万个村") == \
        {"1934", "10", "25000", "0.5", "98990000", "128000"}
    assert numbers_en("In October 1934, 25,000 li, 0.5%, 98.99 million people, 128,000 villages") == \
        {"1934", "10", "25000", "0.5", "98990000", "128000"}
    assert number_mismatch("1921年7月23日开幕", "It opened on 23 July 1921.") == (set(), set())
    assert number_mismatch("1921年7月23日开幕", "It opened on 23 July 1922.") == ({"1921"}, {"1922"})
    assert number_mismatch("几十年来", "for decades") == (set(), set())


def test_the_glossary_catches_missing_and_off_glossary_english():
    g = Glossary(terms=[Term(zh="遵义会议", en=["Zunyi Meeting"], avoid=["Zunyi Conference"]),
                        Term(zh="三会一课", en=["three meetings and one Party lesson"])])
    assert [t.zh for t in missing_terms("遵义会议召开", "The Zunyi Conference met.", g)] == ["遵义会议"]
    assert [a for _, a in avoided_terms("The Zunyi Conference met.", g)] == ["Zunyi Conference"]
    assert missing_terms("遵义会议召开", "The Zunyi Meeting met.", g) == []
    # a term is masked before numbers are compared: 三 and 一 of 三会一课 are not numbers
    assert number_mismatch("落实三会一课，每月一次", "Hold the three meetings and one Party lesson monthly.", g) == \
        (set(), set())


def test_check_lists_each_kind_of_problem(tmp_path):
    kb = (entry("ok", "1921年7月成立，请联系${office_zh}", "Founded in July 1921; ask the ${office_en}.")
          + entry("year", "1921年7月成立", "Founded in July 1922.")
          + entry("term", "遵义会议", "The Zunyi Conference.")
          + entry("fact", "请联系党群工作部", "Ask the Party and Mass Work Department.")
          + entry("unsourced", "答", "A", REVIEWED)
          + entry("unreviewed", "答", "A", "source: 测试文件")
          + entry("english", "只有中文", '""'))
    glossary = "terms:\n  - {zh: 遵义会议, en: [Zunyi Meeting], avoid: [Zunyi Conference]}\n"
    report = check_site(write_site(tmp_path, kb, glossary=glossary))
    assert kinds(report) == [("english", "english"), ("fact", "restated"), ("fact", "restated"), ("term", "glossary"),
                             ("term", "glossary"), ("unreviewed", "review"), ("unsourced", "source"),
                             ("year", "numbers")]
    year = next(p for p in report.problems if p.kind == "numbers")
    assert year.where.endswith("knowledge.yaml:10") and "1921" in year.message and "1922" in year.message
    assert report.counts["knowledge"] == 7


def test_content_check_command_on_the_shipped_demo():
    """The demo site, its knowledge base and the hall pass the check: the README promises it."""
    out = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "content", "check", "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    report = json.loads(out.stdout)
    assert report["problems"] == [], "\n".join(f"{p['where']}: {p['entry']}: {p['message']}"
                                               for p in report["problems"][:20])
    assert out.returncode == 0
    assert report["counts"]["knowledge"] >= 100 and report["counts"]["exhibit"] == 30
    assert not report["notes"]  # a glossary is shipped


def test_a_broken_glossary_or_guides_file_is_a_clear_problem_not_a_crash(tmp_path):
    """New input files (#21): a glossary that is not a list of terms and a guide without a title are named
    with file:line and key; nothing is loaded half."""
    site = write_site(tmp_path, entry("ok", "答", "A"), glossary="terms:\n  - {zh: 党课}\n")
    problems = [p for p in check_site(site).problems if p.kind == "file"]
    assert problems and "glossary.yaml:2" in problems[0].where + problems[0].message and "en" in problems[0].message
    shutil.copytree(DEMO, tmp_path / "demo")
    (tmp_path / "demo" / "guides.yaml").write_text("- {id: g1, body_zh: 正文}\n", encoding="utf-8")
    with pytest.raises(YamlFileError, match=r"guides.yaml:1: \[0\].title_zh: Field required"):
        read_site_folder(tmp_path / "demo")
