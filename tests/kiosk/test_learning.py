"""学习考试 screens on real pygame (dummy driver) over a real SQLite database loaded with the demo site.

Taps go through real pygame mouse events and the GestureRecognizer into the Navigator, as on the kiosk.
Every screen is rendered in landscape and portrait; the PNGs are left in the test's tmp_path
(``pytest --basetemp=DIR`` keeps them somewhere to look at).
"""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pygame
import pygame.freetype
import pytest
from sqlalchemy import select

from core.config import load_config
from core.db import Database
from core.demo import load_site
from core.models import Member, QuizQuestion, QuizResult
from core.quiz import Quiz
from core.secrets import hash_pin
from core.terminal import Terminal
from kiosk.context import KioskContext
from kiosk.screens import learning as L
from kiosk.ui.fonts import Fonts, has_glyphs, missing_glyphs
from kiosk.ui.gestures import GestureRecognizer
from kiosk.ui.screens import ErrorScreen, Navigator
from kiosk.ui.theme import Theme, mix
from kiosk.ui.widgets import Button, Label, ListItem, ScrollList, Tile

ROOT = Path(__file__).resolve().parents[2]
#: After every demo article's publication date (the newest is 2026-11-18).
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
PIN = "2580"
SIZES = [(1920, 1080), (1080, 1920)]


# ------------------------------------------------------------------------------------------- fixtures
class MovableClock:
    """``ctx.clock``: the kiosk's wall clock, moved by hand (exam countdowns)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture(scope="module")
def fonts() -> Fonts:
    pygame.display.init()
    pygame.freetype.init()
    if pygame.display.get_surface() is None:
        pygame.display.set_mode((64, 64))
    return Fonts.default()


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """The demo site loaded once (migrations + load ≈ 1 s); each test gets a copy of the file."""
    folder = tmp_path_factory.mktemp("learning-template")
    path = folder / "t.db"
    db = Database(f"sqlite:///{path}")
    with db.session() as s:
        load_site(s, ROOT / "content" / "demo", NOW, ZoneInfo("Asia/Shanghai"))
        member = s.scalars(select(Member).where(Member.number == "M0101")).one()
        member.pin_hash = hash_pin(PIN)  # demo members have no PIN; M0102 stays without one
    db.dispose()
    return path


@pytest.fixture
def terminal(tmp_path: Path, template_db: Path):
    shutil.copy(template_db, tmp_path / "t.db")
    config = load_config(environ={"DANGJIAN__SITE__DATA_DIR": str(tmp_path)})
    db = Database(f"sqlite:///{tmp_path}/t.db")
    yield Terminal(config, db)
    db.dispose()


class Kiosk:
    """A navigator with the learning hub as home, and a finger that taps through real pygame events."""

    def __init__(self, terminal: Terminal, fonts: Fonts, size: tuple[int, int], clock: MovableClock) -> None:
        self.theme = Theme.for_screen(size, fonts=fonts)
        self.clock = clock
        self.ctx = KioskContext(terminal, self.theme, clock=clock)
        self.hub = L.LearningScreen(self.ctx)
        self.nav = Navigator(self.theme, self.hub, org_name="星河能源科技有限公司党委", animations=False,
                             now=lambda: datetime(2026, 11, 26, 10, 0))
        self.t = 100.0
        self.rec = GestureRecognizer(size, clock=lambda: self.t)

    @property
    def top(self):
        return self.nav.top

    def _feed(self, event: pygame.event.Event) -> None:
        for gesture in self.rec.feed(event):
            self.nav.handle(gesture)

    def tick(self, seconds: float = 0.05) -> None:
        self.t += seconds
        for gesture in self.rec.poll():
            self.nav.handle(gesture)
        self.nav.update(seconds)

    def tap(self, target, *, check: bool = True) -> None:
        rect = getattr(target, "rect", None)
        pos = rect.center if rect is not None else target
        assert not check or rect is None or (target.visible and getattr(target, "enabled", True)), f"{target} cannot be tapped"
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1, touch=False))
        self.tick()
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1, touch=False))
        self.tick()
        assert not self.nav.errors, self.nav.errors[-1].traceback

    def swipe(self, start: tuple[int, int], dy: int, steps: int = 8) -> None:
        x, y = start
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(x, y), button=1, touch=False))
        for i in range(1, steps + 1):
            self.tick(0.016)
            self._feed(pygame.event.Event(pygame.MOUSEMOTION, pos=(x, y + dy * i / steps), rel=(0, dy / steps),
                                          buttons=(1, 0, 0), touch=False))
        self._feed(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=(x, y + dy), button=1, touch=False))
        for _ in range(40):  # let a fling run out
            self.tick(0.05)

    def type_digits(self, digits: str) -> None:
        keypad = self.top.keypad
        for d in digits:
            self.tap(keypad.keys[d])
        self.tap(keypad.keys["确定"])

    def render(self, path: Path) -> pygame.Surface:
        surface = pygame.Surface(self.nav.size)
        self.nav.draw(surface)
        pygame.image.save(surface, str(path))
        assert not self.nav.errors, self.nav.errors[-1].traceback
        return surface


@pytest.fixture
def make_kiosk(terminal, fonts):
    def make(size: tuple[int, int] = (1920, 1080), now: datetime = NOW) -> Kiosk:
        return Kiosk(terminal, fonts, size, MovableClock(now))

    return make


def sign_in(k: Kiosk, digits: str = "0101", pin: str = PIN) -> None:
    k.tap(k.hub.login_button)
    assert isinstance(k.top, L.LoginScreen)
    k.type_digits(digits)
    k.type_digits(pin)


def right_answer_taps(k: Kiosk, screen: L.QuizScreen) -> None:
    for i in L.correct_options(screen.question):
        k.tap(screen.options[i])
    k.tap(screen.action)


def distinct_colours(surface: pygame.Surface) -> int:
    small = pygame.transform.scale(surface, (192, 192))
    return len({small.get_at((x, y))[:3] for x in range(0, 192, 2) for y in range(0, 192, 2)})


def ink_coverage(surface: pygame.Surface, rect: pygame.Rect, *backgrounds: tuple[int, int, int]) -> float:
    """Share of ``rect`` drawn in a colour other than the given backgrounds (text, marks, shapes)."""
    sub = surface.subsurface(rect)
    plain = 0
    for bg in backgrounds:
        plain += pygame.mask.from_threshold(sub, bg, (6, 6, 6, 255)).count()
    return 1.0 - plain / (rect.w * rect.h)


def screen_texts(screen) -> list[str]:
    """Every string the screen's widgets draw (for the glyph check)."""
    out: list[str] = [screen.title or ""]
    for w in screen.widgets:
        if isinstance(w, L.TextBlock):
            out += [r.text for r in w.runs]
        elif isinstance(w, (Label, Button, L.OptionButton)):
            out.append(w.text)
        elif isinstance(w, Tile):
            out += [w.title, w.subtitle or "", str(w.unit or "")]
        elif isinstance(w, ScrollList):
            for item in w.items[:12]:
                if isinstance(item, ListItem):
                    out += [item.title, item.subtitle or "", item.trailing or ""]
                elif hasattr(item, "text"):
                    out.append(item.text)
                elif isinstance(item, QuizQuestion):
                    out.append(item.question_zh)
                elif hasattr(item, "name"):
                    out += [item.name, item.branch]
    return [s for s in out if s]


# ------------------------------------------------------------------------------------------- tests
def test_exam_from_start_to_score_then_leaderboard_and_history(make_kiosk, terminal, tmp_path):
    k = make_kiosk((1920, 1080))
    sign_in(k)
    assert k.ctx.visitor.member_number == "M0101" and k.top is k.hub
    k.tap(k.hub.tiles["exam"])
    assert k.nav.dialog is not None, "the exam asks before the clock starts"
    k.tap(k.nav.dialog.children[-1])  # 开始考试
    exam = k.top
    assert isinstance(exam, L.QuizScreen) and exam.mode == "exam" and exam.run.total == L.EXAM_COUNT
    assert k.ctx.visitor.state[L.STATE_KEY] is exam.run
    assert exam.timer is not None and exam.timer.text == "15:00"
    k.clock.advance(seconds=75)
    k.tick()
    assert exam.timer.text == "13:45"
    kinds = set()
    for n in range(L.EXAM_COUNT):
        assert exam.progress_label is not None and f"{n + 1} / {L.EXAM_COUNT}" in exam.progress_label.text
        assert exam.feedback is not None and "解析" in exam.feedback.text()  # no right/wrong during an exam
        assert all(o.verdict is None for o in exam.options)
        kinds.add(exam.question.kind)
        if n == 3:
            k.render(tmp_path / "exam_question.png")
        right_answer_taps(k, exam)
    assert kinds == {"single", "multi", "truefalse"}
    result = k.top
    assert isinstance(result, L.ResultScreen)
    assert (result.score, result.total, result.points) == (20, 20, 2 * 20 + 10)
    assert result.quiz.passed() and L.STATE_KEY not in k.ctx.visitor.state
    summary = result.summary.text()
    assert "答对 20 / 20 题" in summary and "考试通过" in summary and "50 积分" in summary
    k.render(tmp_path / "exam_result.png")
    with terminal.db.session() as s:
        member = s.scalars(select(Member).where(Member.number == "M0101")).one()
        row = s.scalars(select(QuizResult).where(QuizResult.mode == "exam")).one()
        assert (row.member_id, row.score, row.total, row.points) == (member.id, 20, 20, 50)
        assert len(row.answers) == 20 and row.terminal_id == terminal.terminal_id
    # the review: tap a row for its explanation
    k.tap((result.review.rect.centerx, result.review.rect.y + result.review.row_height // 2))
    review = k.top
    assert isinstance(review, L.ReviewScreen)
    q = result.quiz.questions[0]
    assert q.explanation_zh[:12] in review.doc.text().replace("\n", "")
    k.nav.back()
    k.tap(result.widgets[[w.text if isinstance(w, Button) else "" for w in result.widgets]
                         .index("返回学习考试")])
    assert k.top is k.hub and k.hub.tiles["history"].number == 50
    k.tap(k.hub.tiles["leaderboard"])
    board = k.top
    assert isinstance(board, L.LeaderboardScreen)
    assert board.rows[0].number == "M0101" and board.rows[0].points == 50 and board.rows[0].rank == 1
    assert board.my_row() is board.rows[0]
    surface = k.render(tmp_path / "leaderboard_after_exam.png")
    first_row = pygame.Rect(board.list.rect.x + 20, board.list.rect.y + 4, board.list.rect.w // 2, 12)
    highlight = mix(k.theme.palette.surface, k.theme.palette.gold, 0.35)
    assert ink_coverage(surface, first_row, highlight) < 0.5, "the visitor's row is highlighted"
    k.nav.back()
    k.tap(k.hub.tiles["history"])
    hist = k.top
    assert isinstance(hist, L.HistoryScreen) and hist.summary["points"] == 50 and hist.summary["best"] == 100
    assert "模拟考试" in hist.list.items[0].title and "20/20" in hist.list.items[0].title


def test_exam_hands_itself_in_when_time_is_up(make_kiosk, terminal):
    k = make_kiosk((1080, 1920))
    k.nav.push(L.exam_screen(k.ctx))
    exam = k.top
    right_answer_taps(k, exam)
    right_answer_taps(k, exam)
    k.clock.advance(minutes=14, seconds=30)
    k.tick()
    assert "00:30" in exam.timer.text and exam.timer.color == k.theme.palette.bad.text
    k.clock.advance(seconds=31)
    k.tick()
    result = k.top
    assert isinstance(result, L.ResultScreen) and result.timed_out
    assert (result.score, result.total, result.points) == (2, 20, 0)
    assert "时间到" in result.summary.text() and "未通过" in result.summary.text() and "不计积分" in result.summary.text()
    with terminal.db.session() as s:
        row = s.scalars(select(QuizResult)).one()
        assert row.member_id is None and row.points == 0 and row.score == 2


def test_practice_shows_the_explanation_after_a_wrong_answer(make_kiosk, tmp_path):
    k = make_kiosk((1080, 1920))
    k.tap(k.hub.tiles["practice"])
    quiz = k.top
    assert isinstance(quiz, L.QuizScreen) and quiz.mode == "practice" and quiz.run.total == L.PRACTICE_COUNT
    assert quiz.timer is None and not quiz.action.enabled
    q = quiz.question
    right = L.correct_options(q)
    wrong = next(i for i in range(len(quiz.options)) if i not in right)
    k.tap(quiz.options[wrong])
    assert quiz.options[wrong].selected and quiz.action.enabled
    k.tap(quiz.action)
    assert quiz.run.revealed and quiz.question is q
    assert quiz.options[wrong].verdict == "wrong" and all(quiz.options[i].verdict == "correct" for i in right)
    feedback = quiz.feedback.text()
    assert "回答错误" in feedback and "正确答案" in feedback and q.explanation_zh in feedback
    assert quiz.action.text == "下一题"
    surface = k.render(tmp_path / "practice_wrong_portrait.png")
    assert ink_coverage(surface, quiz.feedback.rect, k.theme.palette.surface, k.theme.palette.bg) > 0.02
    k.tap(quiz.options[right[0]], check=False)  # options are locked once answered
    assert quiz.run.selection == [wrong]
    k.tap(quiz.action)
    assert quiz.run.index == 1 and not quiz.run.revealed and quiz.run.selection == []
    right_answer_taps(k, quiz)
    assert "回答正确" in quiz.feedback.text()
    assert quiz.run.quiz.score == 1
    # the same state in landscape (the explanation sits in the side panel)
    k2 = make_kiosk((1920, 1080))
    k2.ctx.visitor.state[L.STATE_KEY] = quiz.run
    k2.nav.push(L.QuizScreen(k2.ctx, "practice", run=quiz.run))
    k2.render(tmp_path / "practice_right_landscape.png")
    assert "回答正确" in k2.top.feedback.text()


def test_multiple_choice_toggles_then_confirms(make_kiosk, terminal, tmp_path):
    k = make_kiosk((1920, 1080))
    with terminal.db.session() as s:
        multi = s.scalars(select(QuizQuestion).where(QuizQuestion.kind == "multi").order_by(QuizQuestion.code)).first()
    run = L.QuizRun(Quiz([multi], "practice", k.ctx.now()))
    k.ctx.visitor.state[L.STATE_KEY] = run
    k.nav.push(L.QuizScreen(k.ctx, "practice", run=run))
    quiz = k.top
    k.tap(quiz.options[0])
    k.tap(quiz.options[1])
    k.tap(quiz.options[0])
    assert run.selection == [1] and not quiz.options[0].selected and quiz.options[1].selected
    k.tap(quiz.options[1])
    assert run.selection == [] and not quiz.action.enabled
    for i in L.correct_options(multi):
        k.tap(quiz.options[i])
    k.render(tmp_path / "multi_selected.png")
    k.nav.resize((1080, 1920))  # the screen is rotated mid-question: the selection survives the re-layout
    k.rec.set_screen_size((1080, 1920))
    assert quiz.theme.portrait and [o.index for o in quiz.options if o.selected] == L.correct_options(multi)
    k.render(tmp_path / "multi_selected_rotated.png")
    k.tap(quiz.action)
    assert "回答正确" in quiz.feedback.text() and quiz.action.text == "查看成绩"
    k.tap(quiz.action)
    assert isinstance(k.top, L.ResultScreen) and k.top.score == 1


def test_login_refuses_a_wrong_pin_then_accepts_the_right_one(make_kiosk, tmp_path):
    """Nothing is looked up before the PIN (#17): an unknown number, a member without a PIN and a wrong PIN
    get the same answer, and the name appears only when the PIN is right."""
    k = make_kiosk((1080, 1920))
    k.tap(k.hub.login_button)
    login = k.top
    assert isinstance(login, L.LoginScreen) and login.step == "number"
    answers = []
    for number in ("9999", "0102", "0101"):  # unknown, a demo member without a PIN, one with a PIN
        k.type_digits(number)
        assert login.step == "pin" and login.number == f"M{number}" and login.keypad.masked
        assert "王建国" not in login.info.text()
        k.type_digits("1111")
        assert k.top is login and k.ctx.visitor.member_number is None
        answers.append(login.info.text().split("\n")[2])
        if number != "0101":
            login.on_back()
    assert all(a.startswith("党员编号或 PIN 不正确，还可以再试 4 次") for a in answers), answers
    k.render(tmp_path / "login_wrong_pin.png")
    k.type_digits(PIN)
    assert k.top is k.hub
    assert (k.ctx.visitor.member_number, k.ctx.visitor.member_name) == ("M0101", "王建国")
    assert k.nav.banner.visible and "王建国" in k.nav.banner.text
    assert k.hub.login_button.text == "退出登录"
    k.render(tmp_path / "hub_signed_in.png")
    k.tap(k.hub.login_button)  # 退出登录
    assert k.ctx.visitor.member_number is None and k.hub.login_button.text == "党员登录"


def test_wrong_pins_lock_the_number_in_the_database_across_a_restart(make_kiosk, terminal, fonts):
    """The learning login uses sign-in's persisted lockout (core.secrets): five wrong PINs lock M0101,
    leaving and reopening the screen or restarting the kiosk lifts nothing, and every try is audited."""
    from core.audit import recent

    k = make_kiosk()
    k.tap(k.hub.login_button)
    k.type_digits("0101")
    for _ in range(L.MAX_PIN_TRIES):
        k.type_digits("0000")
    assert k.top is k.hub and k.ctx.visitor.member_number is None and "次数过多" in k.nav.banner.text
    terminal.db.dispose()  # a restart: a new connection and a new kiosk on the same database file
    db = Database(terminal.db.url)
    try:
        again = Kiosk(Terminal(terminal.config, db), fonts, (1920, 1080), MovableClock(NOW))
        sign_in(again)  # the right PIN, still locked
        assert again.top is again.hub and again.ctx.visitor.member_number is None
        assert "次数过多" in again.nav.banner.text
        with db.session() as s:
            failed = [e for e in recent(s, "pin.failed") if e.target == "learning"]
            assert len(failed) == L.MAX_PIN_TRIES and recent(s, "pin.locked")[0].actor == "member:M0101"
    finally:
        db.dispose()


def test_a_half_finished_quiz_is_cleared_with_the_visitor(make_kiosk):
    k = make_kiosk()
    k.tap(k.hub.tiles["practice"])
    quiz = k.top
    right_answer_taps(k, quiz)
    k.tap(quiz.action)  # 下一题
    run = k.ctx.visitor.state[L.STATE_KEY]
    assert run is quiz.run and run.index == 1
    k.nav.home()  # the header's Home: the quiz waits in the visitor's state
    k.tick()
    assert k.hub.resume_button is not None and "2/10" in k.hub.resume_button.text
    k.tap(k.hub.resume_button)
    resumed = k.top
    assert isinstance(resumed, L.QuizScreen) and resumed.run is run and resumed.run.index == 1
    k.ctx.visitor.clear()  # what the app's idle timeout does
    assert L.STATE_KEY not in k.ctx.visitor.state
    k.tick()
    assert k.top is k.hub and k.hub.resume_button is None
    with k.ctx.session() as s:
        assert s.scalars(select(QuizResult)).first() is None, "nothing is saved for an unfinished quiz"


def test_back_during_a_quiz_asks_before_dropping_it(make_kiosk):
    k = make_kiosk()
    k.tap(k.hub.tiles["practice"])
    k.nav.back()
    assert k.nav.dialog is not None and isinstance(k.top, L.QuizScreen)
    k.tap(k.nav.dialog.children[0])  # 继续答题
    assert isinstance(k.top, L.QuizScreen) and L.STATE_KEY in k.ctx.visitor.state
    k.nav.back()
    k.tap(k.nav.dialog.children[-1])  # 退出
    assert k.top is k.hub and L.STATE_KEY not in k.ctx.visitor.state


def test_reading_an_article_to_the_end_awards_its_points_once(make_kiosk, terminal, tmp_path):
    k = make_kiosk((1080, 1920))
    k.tap(k.hub.tiles["articles"])
    articles = k.top
    assert isinstance(articles, L.ArticleListScreen) and len(articles.rows) == 8
    first = articles.rows[0]
    assert first.points > 0 and "+" in articles.list.items[0].trailing
    k.tap((articles.list.rect.centerx, articles.list.rect.y + articles.list.row_height // 2))
    page = k.top
    assert isinstance(page, L.ArticleScreen) and page.heading == first.title
    assert page.award_button.text == "登录领积分"  # anonymous
    k.tap(page.award_button)
    assert isinstance(k.top, L.LoginScreen)
    k.type_digits("0101")
    k.type_digits(PIN)
    assert k.top is page and not page.award_button.enabled and "读到文末" in page.status.text()
    for _ in range(30):
        if page.reached_end:
            break
        k.swipe((page.doc.rect.centerx, page.doc.rect.bottom - 100), -700)
    assert page.reached_end and page.award_button.enabled
    k.tap(page.award_button)
    assert "获得" in k.nav.banner.text and str(first.points) in k.nav.banner.tag
    assert not page.award_button.enabled and page.award_button.text == "已领取"
    with terminal.db.session() as s:
        rows = s.scalars(select(QuizResult).where(QuizResult.mode == "reading")).all()
        assert [(r.points, r.answers["article"]) for r in rows] == [(first.points, first.guid)]
    k.render(tmp_path / "article_awarded.png")
    k.nav.back()
    assert articles.rows[0].done and articles.list.items[0].trailing == "已领积分"


@pytest.mark.parametrize(("size", "lang"), [(SIZES[0], "zh"), (SIZES[1], "zh"), (SIZES[1], "en")],
                         ids=["landscape", "portrait", "portrait-en"])
def test_every_screen_renders_in_both_orientations(make_kiosk, terminal, size, lang, tmp_path):
    k = make_kiosk(size)
    k.ctx.lang = lang
    with terminal.db.session() as s:  # some results so history and the board have rows
        for i, number in enumerate(("M0101", "M0203", "M0305", "M0402")):
            member = s.scalars(select(Member).where(Member.number == number)).one()
            s.add(QuizResult(member_id=member.id, mode="exam", started_at=NOW - timedelta(days=i),
                             finished_at=NOW - timedelta(days=i), score=18 - i, total=20, points=46 - 2 * i))
    k.ctx.visitor.member_number, k.ctx.visitor.member_name = "M0402", "测试党员"
    title_font = k.theme.font("title")
    palette = k.theme.palette
    for name, factory in L.SCREENS.items():
        k.nav.home()
        if name != "learning":
            k.nav.push(factory(k.ctx))
        k.tick()
        screen = k.top
        assert not isinstance(screen, ErrorScreen), (name, k.nav.errors[-1:] and k.nav.errors[-1].traceback)
        surface = k.render(tmp_path / f"{name}_{size[0]}x{size[1]}_{lang}.png")
        assert distinct_colours(surface) > 12, name
        for text in screen_texts(screen):
            assert has_glyphs(title_font, text), (name, text, missing_glyphs(title_font, text))
        band = pygame.Rect(screen.rect.x, screen.rect.y, screen.rect.w, round(160 * k.theme.scale))
        assert ink_coverage(surface, band, palette.bg, palette.surface) > 0.01, f"{name}: nothing drawn at the top"
        for w in screen.widgets:  # touch targets and type sizes
            if isinstance(w, (Button, Tile, L.OptionButton)) and w.visible:
                assert min(w.rect.w, w.rect.h) >= 80, (name, w)
                assert w.rect.bottom <= size[1] and w.rect.right <= size[0], (name, w, "off screen")
            if isinstance(w, L.TextBlock):
                assert all(k.theme.type.size(r.role) >= 24 for r in w.runs)
        if lang == "en":  # Chinese only where it is the content itself (names, branches, 学习园地 icons)
            assert all(not t.unit or t.unit.isascii() for t in screen.widgets if isinstance(t, Tile)), name


def test_an_empty_question_bank_says_so(make_kiosk, terminal):
    with terminal.db.session() as s:
        for q in s.scalars(select(QuizQuestion)):
            s.delete(q)
    k = make_kiosk()
    k.tap(k.hub.tiles["practice"])
    quiz = k.top
    assert isinstance(quiz, L.QuizScreen) and quiz.run.total == 0
    assert "题库暂无题目" in quiz.widgets[0].text()
    k.tick(1.0)
    k.tap(quiz.widgets[1])
    assert k.top is k.hub and L.STATE_KEY not in k.ctx.visitor.state
