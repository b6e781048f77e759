"""The hall rendered for real (Panda3D offscreen on Mesa llvmpipe or the software renderer).

One hall is built for the whole session (see conftest); every test resets it to the spawn point.
Screenshots are saved (to $HALL_SHOTS when set) so a person can look at them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from panda3d.core import Point2, Point3
from PIL import Image

from core.events import GuideTo, Speak
from vr_hall import ui
from vr_hall.build import BuildOptions, build_hall, count_geoms
from vr_hall.hud import LABELS as HUD_LABELS
from vr_hall.infopanel import LABELS as PANEL_LABELS
from vr_hall.layout import EYE_HEIGHT, exhibit_centre, look_angles
from vr_hall.text3d import missing_glyphs

MAX_DRAW_CALLS = 200


def save(app, shots: Path, name: str) -> np.ndarray:
    rgb = app.frame_rgb()
    Image.fromarray(rgb).save(shots / f"{name}.png")
    return rgb


def assert_not_blank(rgb: np.ndarray) -> None:
    flat = rgb.reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    assert len(colours) > 1500, f"only {len(colours)} colours"
    assert counts.max() / len(flat) < 0.5, "one colour covers half the picture"
    assert flat.std(axis=0).mean() > 25
    assert 40 < flat.mean() < 235, "too dark or washed out"


def screen_of(app, point: tuple[float, float, float]) -> tuple[float, float]:
    """render2d (-1…1) coordinates of a world point."""
    p = app.base.cam.getRelativePoint(app.base.render, Point3(*point))
    out = Point2()
    assert app.base.camLens.project(p, out), f"{point} is not in view"
    return out.x, out.y


def run(app, seconds: float, dt: float = 1 / 30) -> None:
    for _ in range(int(seconds / dt)):
        app.update(dt)


def speaks(app) -> list[Speak]:
    return [e for e in app.published if isinstance(e, Speak)]


# ------------------------------------------------------------------------------------ draw calls


def model_batches(node) -> int:
    """Geoms drawn by the PBR shader under ``node``."""
    from panda3d.core import ShaderAttrib

    return sum(p.node().getGeomState(i).getAttrib(ShaderAttrib) is not None
               for p in node.findAllMatches("**/+GeomNode") for i in range(p.node().getNumGeoms()))


def model_materials(scene, room_id: str) -> int:
    """Distinct (metallic, roughness, emission) materials of the room's glTF models: the PBR batches allowed."""
    import json

    kinds = set()
    for e in scene.exhibits_in(room_id):
        if e.media is not None and e.media.model:
            for m in json.loads(scene.media_path(e.media.model).read_text(encoding="utf-8"))["materials"]:
                pbr = m.get("pbrMetallicRoughness", {})
                kinds.add((pbr.get("metallicFactor", 1.0), pbr.get("roughnessFactor", 1.0),
                           tuple(m.get("emissiveFactor", (0, 0, 0)))))
    return len(kinds)


def test_demo_hall_is_few_draw_calls_per_room(app) -> None:
    assert app.hall.geoms() <= MAX_DRAW_CALLS
    assert app.hall.geoms() <= 40
    for room_id, node in app.hall.rooms.items():
        geoms = count_geoms(node)
        # with shaders a model keeps one batch per kind of PBR material (colour is in the vertices)
        shaded = model_batches(node)
        assert 1 <= geoms - shaded <= 10, (room_id, geoms, shaded)
        assert shaded <= model_materials(app.scene, room_id), (room_id, shaded)
        # flattened per room, not the whole hall: each room keeps its own bounds for culling
        bounds = node.getTightBounds()
        room = app.scene.room(room_id)
        assert bounds[0].x >= room.x0 - 0.5 and bounds[1].x <= room.x1 + 0.5
    assert app.hall.atlases["history"].image.size[0] <= 4096


def test_naive_build_draws_one_batch_per_exhibit_part(app, demo_scene) -> None:
    naive = build_hall(demo_scene, font=app.font, options=BuildOptions(optimise=False))
    try:
        assert naive.geoms() > 3 * app.hall.geoms()
        textures = {p.getTexture().getName() for p in naive.root.findAllMatches("**/panel-*")}
        assert len(textures) == sum(e.kind == "image_panel" for e in demo_scene.exhibits)
    finally:
        naive.root.removeNode()


# ----------------------------------------------------------------------------------- screenshots


@pytest.mark.parametrize("view", ["spawn", "exhibit:h01", "minimap", "tour:3", "exhibit:a07", "tour:24"])
def test_views_are_not_blank(app, shots: Path, view: str) -> None:
    app.show_view(view)
    assert_not_blank(save(app, shots, view.replace(":", "_")))


def test_exhibit_view_shows_its_panel_and_the_exhibit_beside_it(app, shots: Path) -> None:
    app.show_view("exhibit:h01")
    assert app.info.visible and app.info.exhibit.id == "h01"
    x, _ = screen_of(app, exhibit_centre(app.scene.exhibit("h01")))
    assert -0.9 < x < -0.2, "the exhibit should sit left of the info panel"


def test_mid_tour_view_shows_the_guide(app, shots: Path) -> None:
    app.show_view("tour:3")
    assert app.tour.state == "narrating" and app.tour.current.id == "h03"
    x, y = screen_of(app, (app.guide_pose.x, app.guide_pose.y, 0.9))
    assert -1 < x < 1 and -1 < y < 1
    assert app.hud.subtitle_text.getText().replace("\n", "") == app.scene.exhibit("h03").narration_zh
    assert [s.text for s in speaks(app)][-1] == app.scene.exhibit("h03").narration_zh


# ---------------------------------------------------------------------------------- Chinese text


def test_font_has_every_glyph_the_hall_shows(app, demo_scene) -> None:
    texts = [demo_scene.hall.title_zh]
    texts += [r.name_zh for r in demo_scene.rooms] + [t.name_zh for t in demo_scene.tours]
    for e in demo_scene.exhibits:
        texts += [e.title_zh, e.description_zh, e.narration_zh, e.title_en, e.description_en]
    texts += [v for labels in (HUD_LABELS, PANEL_LABELS) for d in labels.values() for v in d.values()]
    texts += ["关闭地图", "点按地图上的位置即可前往", "选择导览路线", "取消", "（）“”"]
    assert missing_glyphs(app.font, "".join(texts)) == ""
    assert missing_glyphs(app.font, "\ue000") == "\ue000"  # the check does notice a missing glyph


def test_chinese_title_pixels_are_drawn(app, shots: Path) -> None:
    app.show_view("exhibit:h01")
    with_title = app.frame_rgb().astype(int)
    app.info.title_text.hide()
    without = app.frame_rgb().astype(int)
    app.info.title_text.show()
    changed = np.abs(with_title - without).sum(axis=2) > 60
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 1500, "the title drew almost nothing"
    # the changes are in the panel's header (upper right) and look like many strokes, not one box
    assert xs.min() > 640 and ys.max() < 260
    rows_with_ink = np.unique(ys).size
    assert rows_with_ink > 20
    Image.fromarray((changed * 255).astype(np.uint8)).save(shots / "title-mask.png")


# ---------------------------------------------------------------------------------------- input


def test_tap_on_an_exhibit_opens_it_and_asks_for_narration(app) -> None:
    e = app.scene.exhibit("h12")  # on the west wall, behind the spawn point: turn round first
    app.pose.heading = look_angles(app.pose.x, app.pose.y, EYE_HEIGHT, exhibit_centre(e))[0]
    app.update(0.0)
    mx, my = screen_of(app, exhibit_centre(e))
    assert app.tap(mx, my) == "exhibit"
    assert app.info.visible and app.info.exhibit.id == "h12"
    assert speaks(app)[-1].text == e.narration_zh


def test_tap_on_the_floor_walks_there_around_obstacles(app) -> None:
    target = (9.5, 4.0, 0.0)
    mx, my = screen_of(app, target)
    assert app.tap(mx, my) == "floor"
    assert app.walker is not None
    for _ in range(int(12 / (1 / 30))):
        app.update(1 / 30)
        assert app.nav.is_free(app.pose.x, app.pose.y)
    assert math.dist((app.pose.x, app.pose.y), target[:2]) < 0.3


def test_drag_looks_around_without_walking(app) -> None:
    x, y, h = app.pose.x, app.pose.y, app.pose.heading
    app.drag(0.5, -0.2)
    assert (app.pose.x, app.pose.y) == (x, y)
    assert app.pose.heading != h and app.pitch > 0


def test_pad_and_keys_never_walk_through_walls(app) -> None:
    app.pose.heading = 0.0  # face the north wall
    app.on_action("forward", True)
    run(app, 12.0)
    app.on_action("forward", False)
    assert app.nav.is_free(app.pose.x, app.pose.y) and app.pose.y < 12.0
    app._set_key("left", True)  # keyboard: turn while walking into the corner
    app._set_key("forward", True)
    run(app, 6.0)
    app._set_key("left", False)
    app._set_key("forward", False)
    assert app.nav.is_free(app.pose.x, app.pose.y)
    app.pose.x, app.pose.y, app.pose.heading = 8.0, 3.0, 90.0  # open floor, facing west
    app.on_action("back", True)  # a short tap: one step back (east)
    app.on_action("back", False)
    assert app.walker is not None
    run(app, 2.0)
    assert app.walker is None and app.pose.x == pytest.approx(8.8, abs=0.01)


def test_standing_in_front_of_an_exhibit_opens_it(app) -> None:
    e = app.scene.exhibit("h04")
    app.pose.x, app.pose.y, app.pose.heading = app.nav.exhibit_target(e)
    app.update(0.0)
    run(app, 0.3)
    assert not app.info.visible
    run(app, 0.5)
    assert app.info.visible and app.info.exhibit.id == "h04"
    assert speaks(app)[-1].text == e.narration_zh


def test_guide_to_walks_there_with_the_robot_and_opens_the_exhibit(app) -> None:
    app.post(GuideTo("a02"))
    run(app, 1 / 30)
    assert app.tour is not None and app.tour.active and app.tour_kind == "guide"
    for _ in range(int(60 / (1 / 30))):
        if not app.tour.active:
            break
        app.update(1 / 30)
    e = app.scene.exhibit("a02")
    x, y, _ = app.nav.exhibit_target(e, app._step_back_for_panel(e))  # farther back: the panel opens
    assert math.dist((app.pose.x, app.pose.y), (x, y)) < 1e-6
    run(app, 1.0)  # the view turns smoothly to put the exhibit left of the panel
    assert screen_of(app, exhibit_centre(e))[0] < -0.2
    assert app.info.visible and app.info.exhibit.id == "a02"
    assert speaks(app)[-1].text == e.narration_zh
    assert math.dist((app.guide_pose.x, app.guide_pose.y), e.position) < 2.5
    assert not app.guide_to("nope")


def test_language_toggle(app) -> None:
    app.show_view("exhibit:b01")
    app.on_action("lang", True)
    assert app.info.language == "en" and app.info.title_text.getText() == app.scene.exhibit("b01").title_en
    assert app.hud.buttons["lang"]["text"] == "中文" and app.hud.buttons["tour"]["text"] == "Tour"
    app.on_action("lang", True)
    assert app.hud.buttons["tour"]["text"] == "导览"


def test_minimap_marker_points_where_the_visitor_looks(app) -> None:
    mm = app.minimap
    r2d = app.base.render2d
    for heading, (dx, dy) in ((-90.0, (1, 0)), (0.0, (0, 1)), (90.0, (-1, 0)), (180.0, (0, -1))):
        app.pose.heading = heading
        app.update(0.0)
        origin = r2d.getRelativePoint(mm.marker, Point3(0, 0, 0))
        tip = r2d.getRelativePoint(mm.marker, Point3(0, 0, 1))
        v = np.array([tip.x - origin.x, tip.z - origin.z])
        assert np.dot(v / np.linalg.norm(v), (dx, dy)) > 0.99, heading


def test_minimap_tap_walks_there(app) -> None:
    mm = app.minimap
    mm.tap(app.base.render2d, 0, 0)
    assert mm.expanded
    goal = (24.0, 3.0)
    p = app.base.render2d.getRelativePoint(mm.map_np, Point3(goal[0] - mm.cx, 0, goal[1] - mm.cy))
    assert mm.world_at(app.base.render2d, p.x, p.z) == pytest.approx(goal, abs=1e-4)
    mm.tap(app.base.render2d, p.x, p.z)
    assert not mm.expanded and app.walker is not None
    run(app, 30.0)
    assert math.dist((app.pose.x, app.pose.y), goal) < 0.3


def test_tour_button_menu_and_tour_controls(app) -> None:
    app.on_action("tour", True)
    assert app.tour_menu is not None
    app.start_named_tour("quick")
    assert app.tour_menu is None and app.tour.active
    run(app, 1.0)
    assert not app.hud.tour_bar.isHidden()
    app.on_action("pause", True)
    assert app.tour.state == "paused" and app.hud.buttons["pause"]["text"] == "继续"
    app.on_action("pause", True)
    app.on_action("next", True)
    assert app.tour.index == 1
    app.on_action("stop", True)
    assert not app.tour.active and app.hud.tour_bar.isHidden()


def test_buttons_are_touch_sized(app) -> None:
    for name, b in app.hud.buttons.items():
        left, right, bottom, top = b["frameSize"]
        assert (top - bottom) / ui.PX >= 80 and (right - left) / ui.PX >= 80, name


# ------------------------------------------------------------------------- stereo and portrait


def test_side_by_side_stereo_and_portrait(app, shots: Path) -> None:
    try:
        app.close_window()
        app.stereo = True
        assert app.open_window()
        app.show_view("spawn")
        rgb = save(app, shots, "stereo")
        left, right = rgb[:, :640], rgb[:, 640:]
        assert_not_blank(left)
        assert_not_blank(right)
        assert np.abs(left.astype(int) - right.astype(int)).mean() > 1.0  # the eyes see differently
        assert app.base.camLens.getAspectRatio() == pytest.approx(640 / 720, rel=0.01)
        app.close_window()
        app.stereo = False
        app.size = (540, 960)
        assert app.open_window()
        app.show_view("exhibit:h05")
        rgb = save(app, shots, "portrait")
        assert rgb.shape == (960, 540, 3)
        assert_not_blank(rgb)
        assert app.info.portrait
    finally:
        app.close_window()
        app.stereo = False
        app.size = (1280, 720)
        app.open_window()
    assert app.window_open and app.base.camLens.getAspectRatio() == pytest.approx(1280 / 720, rel=0.01)


def test_camera_is_at_eye_height(app) -> None:
    assert app.base.camera.getZ() == pytest.approx(EYE_HEIGHT)
