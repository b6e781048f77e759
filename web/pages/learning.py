"""学习考试: articles (reading points once), practice quizzes and timed exams from the kiosk's question
bank, and the 积分 leaderboard. Results go through ``core.quiz`` into the tables the kiosk reads.

A quiz in progress is only its question codes, mode, start time and a nonce in the signed session; the
answers POSTed are scored against the bank on the server, and the nonce is spent on the first submit,
so re-posting a form earns nothing twice.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core import members, notices
from core.learning import questions_by_code
from core.models import Member
from core.quiz import Quiz, award_reading, is_correct, leaderboard, pick_questions
from web.auth import render, to_login
from web.security import checked_form

MODES = {"practice": (5, None), "exam": (10, timedelta(minutes=10))}


async def hub(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    state = request.app.state.web
    now = state.clock()

    def load(s):
        return {"articles": state.headlines(s, "article", None, now, limit=50), "points": state.points(s, member)}

    return render(request, "learn.html", await state.read(load))


async def article(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    state = request.app.state.web
    now = state.clock()
    found = await state.read(lambda s: notices.published_item(s, request.path_params["item_id"], "article", now))
    if found is None:
        raise HTTPException(404)
    awarded = request.query_params.get("awarded")
    return render(request, "item.html", {"area": "learn", "heading": ("学习园地", "Articles"), "item": found,
                                         "awarded": int(awarded) if awarded and awarded.isdigit() else None})


async def article_done(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    await checked_form(request)
    state = request.app.state.web
    now = state.clock()
    item_id = request.path_params["item_id"]

    def award(s):
        found = notices.published_item(s, item_id, "article", now)
        return None if found is None else award_reading(s, s.get(Member, member.id), found, now, state.terminal_id)

    points = await state.run(award)
    state.forget(member.id, "points")
    if points is None:
        raise HTTPException(404)
    return RedirectResponse(f"/learn/articles/{item_id}?awarded={points}", status_code=303)


async def quiz_start(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    mode = request.path_params["mode"]
    if mode not in MODES:
        raise HTTPException(404)
    state = request.app.state.web
    count, limit = MODES[mode]
    questions = await state.read(lambda s: pick_questions(s, count, seed=secrets.randbits(32)))
    now = state.clock()
    request.session["quiz"] = {"mode": mode, "codes": [q.code for q in questions], "started": now.isoformat(),
                               "nonce": secrets.token_urlsafe(8)}
    return render(request, "quiz.html", {"mode": mode, "questions": questions, "limit": limit,
                                         "nonce": request.session["quiz"]["nonce"]})


def _given(question, form) -> list[int] | bool | None:
    name = f"q_{question.code}"
    try:
        if question.kind == "truefalse":
            value = form.get(name)
            return None if value is None else value == "true"
        if question.kind == "multi":
            return sorted({int(v) for v in form.getlist(name)}) or None
        value = form.get(name)
        return None if value is None else [int(value)]
    except ValueError:
        return None


async def quiz_submit(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    form = await checked_form(request)
    pending = request.session.get("quiz")
    if not pending or form.get("nonce") != pending.get("nonce"):
        return RedirectResponse("/learn", status_code=303)  # already submitted, or another tab's quiz
    del request.session["quiz"]
    state = request.app.state.web
    now = state.clock()
    mode = pending["mode"]

    def save(s):
        questions = questions_by_code(s, pending["codes"])
        quiz = Quiz(questions, mode, datetime.fromisoformat(pending["started"]), time_limit=MODES[mode][1])
        for q in questions:
            given = _given(q, form)
            if given is not None:
                quiz.answer(q, given)
        late = quiz.timed_out(now)
        result = quiz.save(s, s.get(Member, member.id), now, state.terminal_id)
        review = [(q, quiz.answers.get(q.code), is_correct(q, quiz.answers.get(q.code))) for q in questions]
        return {"result": result, "review": review, "passed": quiz.passed(), "timed_out": late, "mode": mode,
                "points_total": members.points_total(s, member)}

    context = await state.run(save)
    state.forget(member.id, "points")
    return render(request, "result.html", context)


async def board(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    state = request.app.state.web
    rows, points = await state.read(lambda s: (leaderboard(s, limit=20), state.points(s, member)))
    return render(request, "board.html", {"rows": rows, "points": points})


def routes() -> list[Route]:
    return [Route("/learn", hub, methods=["GET"]),
            Route("/learn/articles/{item_id:int}", article, methods=["GET"]),
            Route("/learn/articles/{item_id:int}/done", article_done, methods=["POST"]),
            Route("/learn/quiz/{mode}", quiz_start, methods=["GET"]),
            Route("/learn/quiz", quiz_submit, methods=["POST"]),
            Route("/learn/board", board, methods=["GET"])]
