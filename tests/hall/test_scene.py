"""Scene files: the demo loads; every kind of mistake is reported as file:line: field: message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vr_hall.scene import SceneError, load_scene
from vr_hall.synth import write_scene

from .conftest import DEMO, ROOT, portable

LINE = re.compile(r"^(?P<file>.+hall\.yaml):(?P<line>\d+): (?P<field>\S+): (?P<msg>.+)$")


def broken(tmp_path: Path, old: str, new: str, nth: int = 0) -> tuple[Path, int]:
    """A copy of the demo scene with the ``nth`` occurrence of ``old`` replaced; returns its path and
    the line number where the replacement starts. Media resolve through a link to the real folder."""
    text = portable(DEMO.read_text(encoding="utf-8"))
    at = -1
    for _ in range(nth + 1):
        at = text.index(old, at + 1)
    text = text[:at] + new + text[at + len(old):]
    (tmp_path / "media").symlink_to(DEMO.parent / "media")
    path = tmp_path / "hall.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text[:at].count("\n") + 1


def errors(path: Path) -> list[dict[str, str]]:
    with pytest.raises(SceneError) as info:
        load_scene(path)
    out = []
    for message in info.value.messages:
        m = LINE.match(message)
        assert m, f"not file:line: field: message — {message!r}"
        out.append(m.groupdict())
    return out


def test_demo_scene_loads(demo_scene) -> None:
    assert [r.id for r in demo_scene.rooms] == ["history", "achievements", "beidou"]
    assert len(demo_scene.exhibits) == 30
    assert {e.kind for e in demo_scene.exhibits} == {"image_panel", "text_board", "model", "showcase"}
    assert demo_scene.media_path(demo_scene.exhibit("h01").media.image).is_file()
    assert [t.id for t in demo_scene.tours] == ["full", "quick"]


def test_unknown_key(tmp_path: Path) -> None:
    path, line = broken(tmp_path, '    floor: {color: "#7A4B2A"}\n', '    floor: {color: "#7A4B2A"}\n    colour: red\n')
    [e] = errors(path)
    assert (int(e["line"]), e["field"], e["msg"]) == (line + 1, "rooms[0].colour", "unknown key")


def test_wrong_type(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "elevation: 1.6", "elevation: high")
    [e] = errors(path)
    assert int(e["line"]) == line
    assert e["field"] == "exhibits[0].elevation"
    assert "number" in e["msg"] and "'high'" in e["msg"]


def test_exhibit_outside_its_room(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "position: [3.0, 11.9]", "position: [3.0, 13.5]")
    [e] = errors(path)
    assert (int(e["line"]), e["field"]) == (line, "exhibits[0].position")
    assert "outside room 'history'" in e["msg"]


def test_floor_model_footprint_outside_room(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "position: [6.0, 7.6]", "position: [0.5, 7.6]")
    [e] = errors(path)
    assert (int(e["line"]), e["field"]) == (line, "exhibits[1].position")
    assert "footprint of h02" in e["msg"]


def test_unknown_tour_stop(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "stops: [h01, h02, h04, h09", "stops: [h01, h02, zz99, h09")
    [e] = errors(path)
    assert (int(e["line"]), e["field"]) == (line, "tours[1].stops[2]")
    assert "unknown exhibit 'zz99'" in e["msg"]


def test_missing_media(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "media: {image: media/h03.png}", "media: {image: media/h03-missing.png}")
    [e] = errors(path)
    assert (int(e["line"]), e["field"]) == (line, "exhibits[2].media.image")
    assert "media file not found: media/h03-missing.png" in e["msg"]


def test_doorway_past_the_end_of_its_wall(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "{wall: east, offset: 6.0, width: 2.4}", "{wall: east, offset: 11.5, width: 2.4}")
    messages = errors(path)
    assert messages[0]["field"] == "rooms[0].doorways[0].offset" and int(messages[0]["line"]) == line
    assert "runs past the end of the east wall" in messages[0]["msg"]


def test_doorway_without_a_matching_doorway_next_door(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "{wall: west, offset: 6.0, width: 2.4}", "{wall: west, offset: 3.0, width: 2.4}")
    messages = errors(path)
    fields = {m["field"] for m in messages}
    assert fields == {"rooms[0].doorways[0].wall", "rooms[1].doorways[0].wall"}
    ours = next(m for m in messages if m["field"].startswith("rooms[1]"))
    assert int(ours["line"]) == line and "no doorway at the same place" in ours["msg"]


def test_spawn_outside_its_room(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "spawn: {room: history, x: 2.0", "spawn: {room: history, x: 20.0")
    [e] = errors(path)
    assert (int(e["line"]), e["field"]) == (line, "hall.spawn.x")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = portable(DEMO.read_text(encoding="utf-8"))
    text = text.replace("media: {image: media/h04.png}", "media: {image: media/nope.png}")
    text = text.replace("stops: [h01, h02, h04", "stops: [h01, h02, h40")
    (tmp_path / "media").symlink_to(DEMO.parent / "media")
    path = tmp_path / "hall.yaml"
    path.write_text(text, encoding="utf-8")
    fields = [e["field"] for e in errors(path)]
    assert "exhibits[3].media.image" in fields and "tours[1].stops[2]" in fields


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path, line = broken(tmp_path, "  title_zh: 星河能源党建VR展厅", "  title_zh: [星河能源党建VR展厅")
    with pytest.raises(SceneError) as info:
        load_scene(path)
    assert re.search(r"hall\.yaml:\d+: YAML syntax error", info.value.messages[0])


def test_generated_hall_is_a_valid_scene(tmp_path: Path) -> None:
    scene = load_scene(write_scene(40, tmp_path))
    assert len(scene.exhibits) == 40
    assert all(scene.media_path(e.media.image).is_file() for e in scene.exhibits if e.kind == "image_panel")


def test_a_missing_site_file_is_reported_at_hall_site(tmp_path: Path) -> None:
    """The scene's texts use ${name} site facts: a hall.site that names no file is one clear error."""
    path, line = broken(tmp_path, f"site: {ROOT / 'content' / 'demo' / 'site.yaml'}", "site: ../nosuch/site.yaml")
    [e] = errors(path)
    assert (int(e["line"]), e["field"]) == (line, "hall.site") and "site file not found" in e["msg"]


def test_unpublished_exhibits_stay_out_of_the_hall(tmp_path: Path) -> None:
    path, _ = broken(tmp_path, "review: {state: published", "review: {state: draft")
    scene = load_scene(path)
    assert len(scene.exhibits) == 29 and len(load_scene(path, published=False).exhibits) == 30
