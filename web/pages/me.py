"""我的: my attendance history and my branch's 三会一课 status, the dues calculator for my category, and my
face data (enrolled or not; withdrawing consent erases it with the face module's own erase, audited)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from core import members
from core.dashboard import branch_figures
from core.dues import DuesError, monthly_dues
from core.models import Member
from web.auth import render, to_login
from web.cache import MISSING
from web.security import checked_form


async def me(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    state = request.app.state.web
    points = await state.read(lambda s: state.points(s, member))
    return render(request, "me.html", {"points": points})


async def attendance(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    state = request.app.state.web
    now = state.clock()

    code = member.branch.code
    mine = state.figures.get(code)  # the branch's figures are everyone's in it: reused for a few seconds

    def load(s):
        figures = mine if mine is not MISSING else next(iter(branch_figures(s, now, state.tz, branch_code=code)), None)
        return {"history": members.attendance_history(s, member, now), "branch": figures}

    context = await state.read(load)
    if mine is MISSING:
        state.figures.put(code, context["branch"])
    return render(request, "attendance.html", context)


async def dues(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    context: dict = {"pay": "", "result": None, "error": None}
    if request.method == "POST":
        form = await checked_form(request)
        context["pay"] = str(form.get("pay", ""))[:32]
        try:
            context["result"] = monthly_dues(context["pay"] or "0" if member.category in ("学生", "无业")
                                             else context["pay"], member.category)
        except DuesError as exc:
            zh, _, en = str(exc).partition(" / ")
            context["error"] = (zh, en or zh)
    return render(request, "dues.html", context, status=400 if context["error"] else 200)


async def face(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    state = request.app.state.web
    status = await state.read(lambda s: members.face_status(s, member))
    return render(request, "face.html", {"face": status, "erased": request.query_params.get("erased") == "1"})


async def face_withdraw(request: Request) -> Response:
    member = request.state.member
    if member is None:
        return to_login(request)
    form = await checked_form(request)
    state = request.app.state.web
    if form.get("confirm") != "yes":
        status = await state.read(lambda s: members.face_status(s, member))
        return render(request, "face.html", {"face": status, "need_confirm": True}, status=400)

    def erase(s):
        # The face module's own erase: templates and kept photos deleted (SQLite pages zeroed), consent
        # marked withdrawn, one ``face.erase`` audit row, committed together. It decrypts nothing, so the
        # web server needs no face key.
        from robot_assistant.face.templates import TemplateStore

        TemplateStore(None).erase_member(s, s.get(Member, member.id), actor=f"member:{member.number}",  # type: ignore[arg-type]
                                         terminal_id=state.terminal_id)

    await state.run(erase)
    return RedirectResponse("/me/face?erased=1", status_code=303)


def routes() -> list[Route]:
    return [Route("/me", me, methods=["GET"]), Route("/me/attendance", attendance, methods=["GET"]),
            Route("/me/dues", dues, methods=["GET", "POST"]), Route("/me/face", face, methods=["GET"]),
            Route("/me/face/withdraw", face_withdraw, methods=["POST"])]
