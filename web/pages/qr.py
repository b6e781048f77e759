"""扫码签到: ``/qr/<code>`` from the kiosk's QR code.

GET checks the code and shows its meeting with a confirm button (a visitor who is not logged in logs in
first and comes back); POST signs the logged-in member — only themself — in through
``core.qrsign.sign_in_with_token`` (method ``qr``, at the terminal that showed the code, idempotent,
lateness as ``core.attendance`` defines it). A code is good for a minute; a member who must log in first
takes longer, so the time the code was first opened on this phone (kept in the signed session, at most
``GRACE`` ago) is the time it is checked and the sign-in recorded at. A member already signed in who scans
again (the same code or a later one) is told 您已签到 / already signed in (200), nothing written.
Malformed, forged, expired, unknown-meeting codes and a meeting the member cannot sign in to now get a
clear zh/en page with a 4xx status, audited as ``qr.refused``. The per-address limit counts refused codes
only: forty members behind one NAT address scanning in the same minute are all let through.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.attendance import SignInError, SignInResult
from core.models import Member
from web.auth import rate_limited, render, to_login
from web.security import checked_form, client_ip

GRACE = timedelta(minutes=3)
STATUS = {"malformed": 400, "forged": 403, "expired": 410, "not_yet_valid": 425, "unknown_meeting": 404,
          "sign_in": 403}


def _key(state) -> bytes:
    if getattr(state, "qr_key", None) is None:
        from core.qrsign import load_key

        state.qr_key = load_key(state.config)
    return state.qr_key


def _refused(request: Request, exc) -> Response:
    return render(request, "qr.html", {"refused": (exc.zh, exc.en), "code": exc.code},
                  status=STATUS.get(exc.code, 400))


def _seen(request: Request, token: str, now: datetime) -> datetime:
    """When this phone first opened ``token`` (within ``GRACE``), else now."""
    seen = request.session.get("qr_seen") or {}
    if seen.get("token") == token:
        try:
            at = datetime.fromisoformat(seen["at"])
            if now - GRACE <= at <= now:
                return at
        except (KeyError, TypeError, ValueError):
            pass
    return now


async def open_code(request: Request) -> Response:
    from core.qr_signin import preview
    from core.qrsign import QrRefused

    state = request.app.state.web
    token = request.path_params["token"]
    ip = client_ip(request)
    await rate_limited(request, "qr", state.limits.qr_ip, ip, count=False)  # refused codes counted below
    member = request.state.member
    now = state.clock()
    at = _seen(request, token, now)
    actor = f"member:{member.number}" if member else "visitor"
    audit_ok = state.refusals.take() is not None
    def look(s):
        try:  # returned, not raised: the refusal's audit row must commit with the session
            return preview(s, token, key=_key(state), now=at, actor=actor, ip=ip, write_audit=audit_ok,
                           member_id=member.id if member else None), None
        except QrRefused as exc:
            return None, exc

    found, refused = await state.run(look)
    if refused is not None:
        state.limits.qr_ip.hit(ip)
        return _refused(request, refused)
    claim, meeting, record = found
    if member is None:
        request.session["qr_seen"] = {"token": token, "at": at.isoformat()}
        return to_login(request)
    if record is not None:  # scanned again: already signed in, nothing to confirm
        request.session.pop("qr_seen", None)
        return render(request, "qr.html", {"meeting": meeting, "done": SignInResult(record, created=False)})
    request.session["qr_seen"] = {"token": token, "at": at.isoformat()}
    return render(request, "qr.html", {"meeting": meeting, "token": token, "terminal": claim.terminal_id})


async def confirm(request: Request) -> Response:
    from core.qrsign import QrRefused, sign_in_with_token

    state = request.app.state.web
    member = request.state.member
    if member is None:
        return to_login(request)
    await checked_form(request)
    token = request.path_params["token"]
    ip = client_ip(request)
    await rate_limited(request, "qr", state.limits.qr_ip, ip, count=False)
    await rate_limited(request, "qr", state.limits.login_member, f"qr:{member.number}", member=member.number)
    at = _seen(request, token, state.clock())

    def sign(s):
        result = sign_in_with_token(s, token, s.get(Member, member.id), key=_key(state), now=at, ip=ip)
        meeting = result.record.meeting
        _ = meeting.branch  # loaded here: the page shows it after the session closes
        return result, meeting

    try:
        result, meeting = await state.run(sign)
    except QrRefused as exc:
        state.limits.qr_ip.hit(ip)
        return _refused(request, exc)
    except SignInError as exc:
        state.limits.qr_ip.hit(ip)
        zh, _, en = str(exc).partition(" / ")
        return render(request, "qr.html", {"refused": (zh, en or zh), "code": "sign_in"}, status=403)
    request.session.pop("qr_seen", None)
    return render(request, "qr.html", {"meeting": meeting, "done": result})


def routes() -> list[Route]:
    return [Route("/qr/{token}", open_code, methods=["GET"]), Route("/qr/{token}", confirm, methods=["POST"])]
