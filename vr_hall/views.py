"""Named views of the hall for screenshots, tests and the launcher (``--view``): where the visitor
stands and what is open. :func:`check_view` names what exists when a view asks for an exhibit or tour the
scene does not have, before Panda3D opens anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vr_hall.layout import EYE_HEIGHT, exhibit_centre, look_angles
from vr_hall.loading import LoadingCard
from vr_hall.scene import Scene

if TYPE_CHECKING:
    from vr_hall.app import HallApp

SAMPLE_QUESTION = "这个展厅讲什么"
SAMPLE_ANSWER = ("VR展厅是星河能源科技党委打造的虚拟党建展馆，分为党史长廊、党建成果和北斗科技三个展区，"
                 "共有三十个展项。您可以在终端上沉浸式参观，并收听语音讲解。")
SAMPLE_SUGGESTIONS = ("展厅几点开门？", "在VR展厅里怎么走动？", "怎么开始导览？")
"""The exchange the "assistant" view shows."""


def check_view(scene: Scene, view: str) -> None:
    """ValueError naming what exists when ``view`` names an exhibit or tour the scene does not have:
    checked before Panda3D opens anything (``screenshot hall --view exhibit:nosuch`` was a KeyError)."""
    kind, _, rest = view.partition(":")
    if kind == "exhibit" and rest not in {x.id for x in scene.exhibits}:
        raise ValueError(f"no exhibit {rest!r} in the hall (exhibits: {', '.join(x.id for x in scene.exhibits[:40])})")
    if kind == "tour":
        parts = rest.split(":")
        if not parts[-1].isdigit():
            raise ValueError(f"{view!r}: a tour stop is a number, e.g. tour:3")
        if len(parts) == 2 and parts[0] not in {t.id for t in scene.tours}:
            raise ValueError(f"no tour {parts[0]!r} (tours: {', '.join(t.id for t in scene.tours)})")


def show_view(app: HallApp, view: str) -> None:
    """Set up a named view: spawn | exhibit:ID | tour:N (1-based stop of the first tour, or
    tour:TOUR_ID:N) | minimap | assistant (a sample question and answer, and the 问助手 chips;
    assistant:VIEW shows them over another view) | loading (the loading card at 60 %)."""
    if view == "assistant" or view.startswith("assistant:"):
        show_view(app, view.partition(":")[2] or "spawn")
        if app.panels.assistant is not None:
            app.panels.assistant.show_transcript(SAMPLE_QUESTION if app.language == "zh" else "What is this hall about?")
            app.panels.assistant.show_answer(SAMPLE_ANSWER, SAMPLE_SUGGESTIONS)
            app.panels.assistant.open_chips()
        app.update(0.0)
        return
    app.reset()
    if view == "loading":
        room = app.scene.rooms[0]
        title = app.scene.hall.title_zh if app.language == "zh" else app.scene.hall.title_en
        app.loading = LoadingCard(app.base, app.font, title, language=app.language)
        app.loading.set_progress(0.6, f"{room.name_zh} {room.name_en}")
        return
    if view == "spawn":
        app.tours.face_visitor()
        app.update(0.0)
        return
    if view == "minimap":
        if app.panels.minimap is not None:
            app.panels.minimap.set_expanded(True)
        app.update(0.0)
        return
    if view.startswith("exhibit:"):
        check_view(app.scene, view)
        e = app.scene.exhibit(view.split(":", 1)[1])
        x, y, h = app.nav.exhibit_target(e, app.panels.step_back_for_panel(e))
        app.walking.pose.x, app.walking.pose.y, app.walking.pose.heading = x, y, h
        app.walking.pitch = look_angles(x, y, EYE_HEIGHT, exhibit_centre(e))[1]
        app.panels.near_id = e.id
        app.open_exhibit(e, speak=False)
        app.update(0.0)
        return
    if view.startswith("tour:"):
        parts = view.split(":")
        tour_id = parts[1] if len(parts) == 3 else (app.scene.tours[0].id if app.scene.tours else "")
        check_view(app.scene, view)
        n = int(parts[-1])
        if not tour_id:
            raise ValueError("the scene has no tours")
        stops = app.scene.tour(tour_id).stops
        if not 1 <= n <= len(stops):
            raise ValueError(f"tour {tour_id} has stops 1–{len(stops)}, not {n}")
        tour = app.tours.start_named(tour_id)
        dt = 1 / 30
        for _ in range(int(3600 / dt)):
            if (tour.index == n - 1 and tour.state == "narrating") or not tour.active:
                break
            app.update(dt)
        for _ in range(int(4.0 / dt)):  # let the guide reach its place beside the exhibit
            if tour.state != "narrating":
                break
            app.update(dt)
        app.update(0.0)
        return
    raise ValueError(f"unknown view {view!r} (spawn | exhibit:ID | tour:N | minimap | assistant | loading)")
