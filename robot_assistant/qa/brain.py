"""The assistant's brain: text in, what to say and which event to publish out. Pure Python, no audio.

Why one function: the microphone worker (speech to text), the kiosk's typed questions and the tests all hand
over a string and need the same decision — the intent, its slots, the answer in the visitor's language, the
knowledge-base entry it came from, suggestions, and the event for the bus (Answer, GuideTo, OpenScreen,
SignInRequested, StopSpeaking). Speech output and device code stay elsewhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from core.events import Answer, DuesAsked, Event, GuideTo, OpenScreen, SignInRequested, Speak, StopSpeaking
from core.knowledge import KnowledgeEntry, load_knowledge
from robot_assistant.intents import Intent, IntentParser
from robot_assistant.qa.answer import DEFAULT_THRESHOLD, QA, answer_in, question_in, starter_entries
from robot_assistant.qa.framing import strip_framing
from robot_assistant.qa.fusion import FUSION, FusedRetriever, FusionSettings
from robot_assistant.qa.places import PlaceCatalog
from robot_assistant.qa.retriever import LexicalRetriever, LexicalSettings, Retriever
from robot_assistant.qa.site_data import SiteData
from robot_assistant.qa.synonyms import DEFAULT_SYNONYMS, Synonyms
from robot_assistant.qa.text import Language
from robot_assistant.qa.tokenize import Analyzer
from robot_assistant.qa.tools import answer_dues, parse_dues_question

#: ``entry_id`` / ``Answer.source_id`` of an answer worked out by the dues calculator.
DUES_TOOL = "tool:dues"

log = logging.getLogger(__name__)

REPLIES: dict[str, dict[str, str]] = {
    "greet": {"zh": "您好！我是智慧党建助手，可以回答党建知识、展厅参观和终端使用方面的问题，也可以带您参观展厅。",
              "en": "Hello! I'm the party-building assistant. Ask me about Party knowledge, the exhibition hall or "
                    "this terminal, or ask me to show you around."},
    "thanks": {"zh": "不客气！还有什么可以帮您？", "en": "You're welcome! Anything else I can help with?"},
    "goodbye": {"zh": "再见，欢迎再来！", "en": "Goodbye, come again!"},
    "guide": {"zh": "好的，请跟我来，这就带您去{name}。", "en": "Sure, follow me to {name}."},
    "open_screen": {"zh": "好的，为您打开{name}。", "en": "Opening {name}."},
    "sign_in": {"zh": "好的，请正对摄像头，保持半米左右的距离。", "en": "Sure, please face the camera from about half a metre away."},
    "nothing_to_repeat": {"zh": "我还没有说过什么，请问有什么可以帮您？", "en": "I haven't said anything yet. How can I help?"},
}


@dataclass(frozen=True)
class BrainResult:
    """Everything the front ends need from one utterance."""

    text: str
    intent: Intent
    language: Language
    answer: str
    """What to show and say ("" for stop)."""
    event: Event
    """The one event that carries the outcome: Answer, GuideTo, OpenScreen, SignInRequested or StopSpeaking."""
    slots: Mapping[str, str] = field(default_factory=dict)
    entry_id: str | None = None
    """The knowledge-base entry answered from (ask only; None when declined)."""
    suggestions: tuple[str, ...] = ()
    score: float | None = None
    """Retrieval confidence (ask) or place-name match (guide)."""
    extra_events: tuple[Event, ...] = ()
    """Published after the answer (a worked-out dues figure opens the calculator: DuesAsked)."""

    @property
    def declined(self) -> bool:
        return self.intent == "ask" and self.entry_id is None

    @property
    def events(self) -> tuple[Event, ...]:
        """Events to publish, in order: an action's event, then the spoken confirmation (Answer events are
        shown and spoken by themselves)."""
        if isinstance(self.event, Answer) or not self.answer:
            return (self.event, *self.extra_events)
        return (self.event, Speak(self.answer, self.language), *self.extra_events)


@dataclass(frozen=True)
class BrainSettings:
    """What the configuration controls (see the report to the lead for the config keys)."""

    threshold: float | None = None
    """None: the threshold calibrated for the retrieval in use (fused or lexical)."""
    suggestions: int = 3
    synonyms: Path = DEFAULT_SYNONYMS
    lexical: LexicalSettings = LexicalSettings()
    place_threshold: float = 0.68
    #: A transformers sentence-embedding folder for reranking; None: lexical only.
    embedding_model: Path | None = None
    embedding_languages: tuple[Language, ...] = ("en",)
    embedding_weight: float = 0.5
    #: "use+e5": meaning (USE multilingual and multilingual-e5-small, which also reads the answers) fused with
    #: BM25; "use": USE alone (e5's engine needs AVX2); "none": BM25 only.
    sentence_encoder: str = "use+e5"
    #: None: the fusion calibrated for the encoder in use (``robot_assistant.qa.fusion.FUSION``).
    fusion: FusionSettings | None = None
    #: Where jieba keeps its dictionary cache (None: the system temp folder).
    cache_dir: Path | None = None
    #: Where phrasing embeddings are cached (None: not cached).
    embedding_cache: Path | None = None

    @classmethod
    def from_config(cls, config: Any) -> BrainSettings:
        """Settings from ``core.config.Config`` (its typed ``assistant`` section holds each key's one default);
        jieba's cache goes to ``<data_dir>/cache/jieba`` instead of the system temp folder."""
        a = config.assistant
        return cls(
            threshold=a.qa_threshold,
            suggestions=a.qa_suggestions,
            synonyms=Path(a.qa_synonyms) if a.qa_synonyms else DEFAULT_SYNONYMS,
            place_threshold=a.place_match_threshold,
            embedding_model=a.embedding_model,
            embedding_languages=tuple(a.embedding_languages),
            embedding_weight=a.embedding_weight,
            sentence_encoder=a.sentence_encoder,
            cache_dir=Path(config.site.data_dir) / "cache" / "jieba",
            embedding_cache=Path(config.site.data_dir) / "cache" / "embeddings",
        )


class Brain:
    """Understands an utterance and decides the reply. Thread-safe; remembers the last reply for "repeat"."""

    def __init__(self, parser: IntentParser, qa: QA, site: SiteData | None = None,
                 where_answers: Mapping[str, KnowledgeEntry] | None = None):
        self.parser = parser
        self.qa = qa
        #: room id → the knowledge entry that says where it is ("党史长廊在哪" answers, then walks there)
        self.where_answers = dict(where_answers or {})
        #: Live lookups (meetings, news) when the brain has the terminal's database.
        self.site = site
        self._last: BrainResult | None = None
        self._lock = threading.Lock()

    @classmethod
    def build(
        cls,
        entries: Sequence[KnowledgeEntry],
        scene: Path | None = None,
        settings: BrainSettings = BrainSettings(),
        retriever: Retriever | None = None,
        site: SiteData | None = None,
    ) -> Brain:
        """Wire the default parts: retrieval (``build_retriever``), intents and places, the decline threshold."""
        places = PlaceCatalog.from_scene(scene, entries, settings.place_threshold) if scene else None
        if retriever is None:
            retriever = build_retriever(entries, settings, places)
        threshold = settings.threshold
        if threshold is None:
            threshold = retriever.settings.threshold if isinstance(retriever, FusedRetriever) else DEFAULT_THRESHOLD
        fallback = starter_entries(entries)
        where = {e.room: e for e in entries if e.room and not e.exhibit and e.topic == "hall"}
        return cls(IntentParser(places, cache_dir=settings.cache_dir), QA(retriever, threshold, settings.suggestions, fallback), site, where)

    @classmethod
    def from_files(cls, knowledge: Path, scene: Path | None = None, settings: BrainSettings = BrainSettings(),
                   site: SiteData | None = None) -> Brain:
        return cls.build(load_knowledge(knowledge).entries, scene, settings, site=site)

    @classmethod
    def from_config(cls, config: Any, db: Any = None) -> Brain:
        """The brain for ``core.config.Config``: its knowledge base, hall scene and assistant settings; with
        the terminal's database (``core.db.Database``) it also answers meeting and news questions."""
        site = SiteData(db.session, ZoneInfo(config.site.timezone)) if db is not None else None
        return cls.from_files(config.assistant.knowledge_base, config.hall.scene, BrainSettings.from_config(config),
                              site)

    def handle_text(self, text: str) -> BrainResult:
        """Decide what to do with one utterance (an ASR transcript or a typed question)."""
        u = self.parser.parse(text)
        lang = u.language
        dues = parse_dues_question(text) if u.intent == "ask" else None
        if dues is not None:  # an income stated: work it out (core.dues) instead of reciting the bands
            say, monthly = answer_dues(dues, lang)
            event = Answer(say, lang, DUES_TOOL, ())
            pay = f"{dues.pay.normalize():f}" if dues.pay is not None else ""
            extra = (DuesAsked(pay, dues.category, f"{monthly:.2f}"),)
            slots = {"pay": pay, "category": dues.category, "monthly": f"{monthly:.2f}"}
            result = BrainResult(text, "ask", lang, say, event, slots, DUES_TOOL, (), 1.0, extra)
        elif u.intent == "ask" and self.site is not None and (found := self.site.answer(text, lang)) is not None:
            tool = f"tool:{found.kind}"
            event = Answer(found.text, lang, tool, ())
            result = BrainResult(text, "ask", lang, found.text, event, {}, tool, (), 1.0, (OpenScreen(found.screen),))
        elif u.intent == "ask":
            # The question as said, not the parser's bare, lower-cased query: the sentence encoder reads case
            # ("beidou" is not "BeiDou" to it) and punctuation (the bare query lost 8 of dev's colloquial
            # questions that the text as said answers, 1 the other way); BM25 normalises by itself. Without
            # the greetings and thanks around it (robot_assistant.qa.framing).
            r = self.qa.answer(strip_framing(text, lang))
            event = Answer(r.text, r.language, r.entry.id if r.entry else None, r.suggestions)
            result = BrainResult(text, "ask", r.language, r.text, event, {}, event.source_id, r.suggestions, r.score)
        elif u.intent == "guide" and u.place is not None:
            say = REPLIES["guide"][lang].format(name=u.place.name(lang))
            about = self.where_answers.get(u.place.id) if u.slots.get("question") == "where" else None
            if about is not None:  # where it is, then the walk: "党史长廊是展厅的第一展区…… 请跟我来"
                where_text, where_lang = answer_in(about, lang)
                say = f"{where_text}{'' if where_lang == 'zh' else ' '}{REPLIES['guide'][where_lang].format(name=u.place.name(where_lang))}"
            result = BrainResult(text, "guide", lang, say, GuideTo(u.place.id), u.slots,
                                 about.id if about is not None else None, score=u.score)
        elif u.intent == "open_screen" and u.screen is not None:
            say = REPLIES["open_screen"][lang].format(name=u.screen.title(lang))
            result = BrainResult(text, "open_screen", lang, say, OpenScreen(u.screen.name), u.slots)
        elif u.intent == "sign_in":
            result = BrainResult(text, "sign_in", lang, REPLIES["sign_in"][lang], SignInRequested())
        elif u.intent == "stop":
            return BrainResult(text, "stop", lang, "", StopSpeaking())
        elif u.intent == "repeat":
            with self._lock:
                last = self._last
            if last is None:
                say = REPLIES["nothing_to_repeat"][lang]
                return BrainResult(text, "repeat", lang, say, Answer(say, lang, None, ()))
            event = last.event if isinstance(last.event, Answer) else Speak(last.answer, last.language)
            return BrainResult(text, "repeat", last.language, last.answer, event, last.slots, last.entry_id,
                               last.suggestions, last.score)
        else:  # greet, thanks, goodbye
            say = REPLIES[u.intent][lang]
            starters = self.qa.fallback if u.intent == "greet" else []
            suggestions = tuple(question_in(e, lang) for e in starters)
            result = BrainResult(text, u.intent, lang, say, Answer(say, lang, None, suggestions),
                                 suggestions=suggestions)
        with self._lock:
            self._last = result
        return result


def _fused_retriever(entries: Sequence[KnowledgeEntry], lexical: LexicalRetriever,
                     settings: BrainSettings) -> FusedRetriever:
    """BM25 fused with meaning: USE and e5 as one ensemble, e5 also reading the answers ("use+e5"), or USE
    alone ("use", or where e5 cannot load: no AVX2, package missing, model file damaged; logged)."""
    from robot_assistant.qa.decline import OutOfScope, load_themes
    from robot_assistant.qa.semantic import AnswerPassages, SemanticRetriever, SentenceEncoder, UseEncoder

    use = UseEncoder()
    encoder: SentenceEncoder = use
    answers = None
    kind = "use"
    if settings.sentence_encoder == "use+e5":
        from robot_assistant.qa.encoders import ENSEMBLE_WEIGHTS, E5Encoder, EnsembleEncoder

        try:
            e5 = E5Encoder()
        except (ModuleNotFoundError, OSError, ValueError) as exc:
            log.warning("the e5 sentence encoder is unavailable, meaning by USE alone: %s", exc)
        else:
            ensemble = EnsembleEncoder(((use, ENSEMBLE_WEIGHTS["use"]), (e5, ENSEMBLE_WEIGHTS["e5"])))
            encoder, kind = ensemble, "use+e5"
            answers = AnswerPassages(entries, e5.passages, lambda v: ensemble.part(v, e5), settings.embedding_cache)
    semantic = SemanticRetriever(entries, encoder, settings.embedding_cache, answers=answers)
    out_of_scope = OutOfScope(load_themes(), lexical, encoder, settings.embedding_cache)
    return FusedRetriever(lexical, semantic, settings.fusion or FUSION[kind], out_of_scope)


def build_retriever(
    entries: Sequence[KnowledgeEntry], settings: BrainSettings = BrainSettings(), places: PlaceCatalog | None = None
) -> Retriever:
    """The configured retriever: BM25 fused with the sentence encoder (the default), or BM25 alone (wrapped by
    the transformers reranker when a model folder is set). Without the encoder's package it says so in the
    log and answers by words.

    Place names and knowledge-base tags join jieba's dictionary so that 北斗展区 or 三会一课 stay one word.
    """
    synonyms = Synonyms.load(settings.synonyms)
    user_words = [t for e in entries for t in e.tags] + synonyms.terms()
    if places is not None:
        user_words += [a for p in places.places for a in (p.name_zh, *p.aliases)]
    lexical = LexicalRetriever(entries, Analyzer(user_words, settings.cache_dir), synonyms, settings.lexical)
    if settings.sentence_encoder != "none":
        try:
            return _fused_retriever(entries, lexical, settings)
        except (ModuleNotFoundError, OSError, ValueError) as exc:  # degrade to words, say why
            log.warning("sentence encoder unavailable, answering by words only: %s", exc)
    retriever: Retriever = lexical
    if settings.embedding_model is not None:
        from robot_assistant.qa.rerank import EmbeddingModel, EmbeddingReranker

        retriever = EmbeddingReranker(retriever, EmbeddingModel(settings.embedding_model), entries,
                                      settings.embedding_languages, settings.embedding_weight)
    return retriever
