"""Fuzzing the hall's scene file: mutations of the real ``scenes/hall.yaml`` (keys deleted, wrong types,
NaN/inf and absurd numbers, huge strings, unknown references, unknown keys) and of its bytes (broken YAML,
binary garbage, non-UTF-8). Whatever the file holds, ``load_scene`` returns a scene or raises SceneError
whose every message is ``file:line: field: problem``; never another exception."""

from __future__ import annotations

import copy
import math
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from core.yamlfile import display_path
from tests.conftest import ROOT
from tests.fuzz.helpers import assert_clear, fuzz, outcome
from tests.hall.conftest import portable
from vr_hall.scene import Scene, SceneError, load_scene

HALL = ROOT / "scenes" / "hall.yaml"
HALL_DATA = yaml.safe_load(portable(HALL.read_text(encoding="utf-8")))
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture(scope="module")
def scene_dir(tmp_path_factory) -> Path:
    """A folder beside which the real media are found, so media checks run as for the real hall."""
    folder = tmp_path_factory.mktemp("scene")
    (folder / "media").symlink_to(HALL.parent / "media", target_is_directory=True)
    return folder


def load(path: Path) -> Scene | None:
    """load_scene's contract: a Scene, or SceneError with clear messages (anything else fails the test)."""
    try:
        scene = load_scene(path)
    except SceneError as exc:
        assert_clear(exc.messages, [display_path(path)])
        first = exc.messages[0]  # the kind of outcome, shown by pytest --hypothesis-show-statistics
        outcome("YAML syntax error" if "YAML syntax error" in first else "cannot read" if "cannot read" in first
              else "field error")
        return None
    outcome("loaded")
    return scene


def key_paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in ``data`` (mappings and lists), the root's children first."""
    out = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out.extend(key_paths(value, (*prefix, key)))
    return out


PATHS = key_paths(HALL_DATA)
IDS = ["nope", "", "history", "h04", "a01", "b01", "tour-main", "龙" * 3]

numbers = (st.floats() | st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -1e308, 0.0, -0.0, 5e-324])
           | st.integers(min_value=-(10**30), max_value=10**30))
bad_values = st.one_of(
    st.none(), st.booleans(), numbers, st.text(max_size=30), st.sampled_from(IDS),
    st.integers(min_value=1000, max_value=100_000).map(lambda n: "界" * n),  # huge strings
    st.lists(numbers, max_size=4), st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=6), st.none() | st.integers() | st.text(max_size=5), max_size=3),
    st.sampled_from(["#12345G", "#FFF", "north-ish", "image_panel", "model", "../../etc/passwd",
                     "media/none.png", "x" * 300]),
)


@st.composite
def mutated_scenes(draw) -> Any:
    """The real hall with one to four mutations: delete, replace, add an unknown key, or wrap a value."""
    data = copy.deepcopy(HALL_DATA)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]]  # still there after an earlier mutation?
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, (dict, list)):  # an earlier mutation made it a string
            continue
        op = draw(st.sampled_from(["delete", "replace", "replace", "replace", "unknown_key", "wrap"]))
        if op == "delete":
            del parent[path[-1]]
        elif op == "replace":
            parent[path[-1]] = draw(bad_values)
        elif op == "unknown_key" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(bad_values)
        elif op == "wrap":
            parent[path[-1]] = [parent[path[-1]]]
    return data


@fuzz(120)
@given(data=mutated_scenes())
def test_mutated_scene_data(scene_dir, data):
    path = scene_dir / "hall.yaml"
    path.write_text(yaml.dump(data, Dumper=_DUMPER, allow_unicode=True), encoding="utf-8")
    scene = load(path)
    if scene is not None:  # accepted: then it is a scene that can be built (finite numbers throughout)
        for e in scene.exhibits:
            assert all(math.isfinite(v) for v in (*e.position, *e.size, e.facing, e.elevation))
        for r in scene.rooms:
            assert all(math.isfinite(v) for v in (*r.origin, *r.size))


HALL_BYTES = portable(HALL.read_text(encoding="utf-8")).encode("utf-8")


@st.composite
def mutated_bytes(draw) -> bytes:
    """The real file's bytes cut, spliced with garbage or non-UTF-8 bytes, or replaced by random bytes."""
    data = HALL_BYTES
    op = draw(st.sampled_from(["truncate", "insert", "overwrite", "flip", "random", "encode"]))
    if op == "random":
        return draw(st.binary(max_size=3000))
    if op == "encode":  # the same text saved in another encoding
        return HALL_BYTES.decode("utf-8").encode(draw(st.sampled_from(["gb18030", "utf-16", "utf-32", "big5hkscs"])),
                                                 errors="replace")
    at = draw(st.integers(min_value=0, max_value=len(data)))
    if op == "truncate":
        return data[:at]
    junk = draw(st.binary(min_size=1, max_size=40) | st.text(min_size=1, max_size=40).map(
        lambda t: t.encode("utf-8", "surrogatepass")) | st.sampled_from(
        [b"\x00", b"\xff\xfe", b":", b"- ", b"{", b"[[[[", b"&a ", b"*a", b"!!python/object:os.system ",
         b"\t", b'"', b"\n  bad: [1, 2\n", b"2024-13-45", b"!!float x"]))
    if op == "insert":
        return data[:at] + junk + data[at:]
    if op == "overwrite":
        return data[:at] + junk + data[at + len(junk):]
    flips = draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1, max_size=8))
    out = bytearray(data)
    for i, x in flips:
        out[i] ^= x
    return bytes(out)


@fuzz(120)
@given(data=mutated_bytes())
def test_mutated_scene_bytes(scene_dir, data):
    path = scene_dir / "hall.yaml"
    path.write_bytes(data)
    load(path)


# ------------------------------------------------------------------------- regressions found by fuzzing


def _write(folder: Path, data: Any) -> Path:
    path = folder / "hall.yaml"
    path.write_text(yaml.dump(data, Dumper=_DUMPER, allow_unicode=True), encoding="utf-8")
    return path


def _first_floor_exhibit(data: dict) -> dict:
    return next(e for e in data["exhibits"] if e["kind"] in ("model", "showcase"))


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_non_finite_numbers_are_named(scene_dir, value):
    """Was: ``facing: .inf`` on a floor model raised ValueError (math domain error in cos), and NaN
    elevations or sizes loaded as a scene nobody can build."""
    data = copy.deepcopy(HALL_DATA)
    _first_floor_exhibit(data)["facing"] = value
    with pytest.raises(SceneError) as caught:
        load_scene(_write(scene_dir, data))
    assert_clear(caught.value.messages, [display_path(scene_dir / "hall.yaml")])
    assert any(".facing: Input should be a finite number" in m for m in caught.value.messages)


def test_unreadable_values_get_a_line(scene_dir):
    """Was: a date that does not exist (PyYAML builds dates itself) escaped as a bare ValueError."""
    path = scene_dir / "hall.yaml"
    text = HALL_BYTES.decode("utf-8").replace("id: xinghe-demo", "id: 2024-13-45")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SceneError) as caught:
        load_scene(path)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "2024-13-45" in t)
    assert caught.value.messages == [f"{display_path(path)}:{line}: YAML syntax error: cannot read '2024-13-45': "
                                     "month must be in 1..12"]


def test_media_path_too_long_for_the_os(scene_dir):
    """Was: a media path longer than the OS allows raised OSError (ENAMETOOLONG) from Path.is_file."""
    data = copy.deepcopy(HALL_DATA)
    exhibit = next(e for e in data["exhibits"] if e["kind"] == "image_panel")
    exhibit["media"]["image"] = "x" * 5000 + ".png"
    with pytest.raises(SceneError) as caught:
        load_scene(_write(scene_dir, data))
    assert len(caught.value.messages) == 1 and "media file not found" in caught.value.messages[0]


def test_huge_ids_are_cut_in_messages(scene_dir):
    """Was: a 100 kB room id in an exhibit was quoted whole in "unknown room '...'"."""
    data = copy.deepcopy(HALL_DATA)
    data["exhibits"][0]["room"] = "界" * 100_000
    data["tours"][0]["stops"].append("x" * 100_000)
    with pytest.raises(SceneError) as caught:
        load_scene(_write(scene_dir, data))
    assert len(caught.value.messages) == 2
    assert_clear(caught.value.messages, [display_path(scene_dir / "hall.yaml")])


def test_deep_nesting_and_alias_bombs_are_errors_quickly(scene_dir):
    """Was: thousands of nested brackets raised RecursionError; nine-by-nine aliases ("billion laughs")
    made the line map walk every expanded path (minutes to forever)."""
    path = scene_dir / "hall.yaml"
    path.write_text("hall: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(SceneError, match="nested too deeply"):
        load_scene(path)
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))
    path.write_text(bomb + "hall: *a8\nrooms: &r [*r]\n", encoding="utf-8")  # and an anchor holding itself
    started = time.monotonic()
    with pytest.raises(SceneError) as caught:
        load_scene(path)
    assert time.monotonic() - started < 5
    assert_clear(caught.value.messages, [display_path(path)])


def test_control_character_is_located(scene_dir):
    path = scene_dir / "hall.yaml"
    path.write_bytes(HALL_BYTES.replace(b"id: xinghe-demo", b"id: xinghe\x00demo"))
    with pytest.raises(SceneError) as caught:
        load_scene(path)
    line = HALL_BYTES[:HALL_BYTES.index(b"id: xinghe-demo")].count(b"\n") + 1
    assert caught.value.messages == [f"{display_path(path)}:{line}: YAML syntax error: unacceptable character "
                                     "#x0000 (special characters are not allowed)"]
