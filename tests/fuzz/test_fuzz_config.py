"""Fuzzing the configuration: a site file over the embedded default (random keys and values in every
section, raw YAML scalars PyYAML chokes on, broken YAML, non-UTF-8 bytes) and DANGJIAN__SECTION__KEY
environment overrides. ``load_config`` returns a Config or raises ConfigError whose every message is
``file:line: key: problem`` (or ``environment NAME: key: problem``); the launcher then exits 2 without a
traceback, which a handful of hand-picked bad files check through the real ``launcher.py``."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from core.config import DEFAULT_CONFIG, Config, ConfigError, load_config
from core.yamlfile import display_path
from tests.conftest import ROOT
from tests.fuzz.helpers import assert_clear, fuzz, outcome


def _keys(model: type[BaseModel], prefix: tuple = ()) -> list[tuple[str, ...]]:
    out = []
    for name, info in model.model_fields.items():
        out.append((*prefix, name))
        if isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
            out.extend(_keys(info.annotation, (*prefix, name)))
    return out


KEYS = _keys(Config)  # ("site",), ("site", "timezone"), ..., ("face", "liveness", "blink_ratio"), ...
SECTIONS = [k[0] for k in KEYS if len(k) == 1]
#: YAML scalars written as they would be typed: tags PyYAML cannot build, absurd numbers, anchors, junk.
RAW_SCALARS = ["2024-13-45", "2024-02-30", "2024-01-01T25:00:00", "!!float x", "!!int 0x", "!!int abc",
               "!!binary '###'", "!!timestamp x", "!!set {a, b}", "!!python/object/apply:os.system ['true']",
               ".nan", ".inf", "-.inf", "1e400", "-1e400", "9" * 5000, "0x" + "f" * 100, "0o17", "1_000",
               "12:30:00", "&a [*a]", "*undefined", "[" * 2000, "{", "}", "'unterminated", '"\\q"', "~",
               "yes", "on", "<<: {a: 1}", "\t", "%YAML 1.1", "---", "...", "@x", "`x", "? [a]", "[1, [2, [3]]]",
               "{a: {b: {c: d}}}", "\"\\0\"", "'\u0085'", "!!str", "!!map [1]", "&a b", "|", ">"]
PLAUSIBLE = [None, True, False, 0, -1, 1, 3, 65536, 0.5, 1.5, -0.0, math.nan, math.inf, -math.inf, 10**30,
             "", "zh", "en", "Asia/Shanghai", "Mars/Olympus", "sqlite:///x.db", "postgresql://h/db", "http://x",
             "scrypt$1$2$3", "serial:/dev/ttyUSB0:9600", "tcp:host:99999", "file:/nonexistent.nmea",
             "content/demo", "/", "/nonexistent", "x" * 5000, "a\x00b", "../" * 100, "blink", "centroid",
             [1920, 1080], [1, 2, 3], [30.2, 120.1], ["zh"], ["blink", "dance"], {"zh": "x"}, [{"name": "x"}]]
values = st.one_of(st.sampled_from(PLAUSIBLE), st.none(), st.booleans(), st.integers(), st.floats(),
                   st.text(max_size=20), st.lists(st.integers() | st.text(max_size=5), max_size=3),
                   st.dictionaries(st.text(max_size=6), st.integers() | st.text(max_size=5), max_size=3))
key_paths = st.sampled_from(KEYS) | st.tuples(st.sampled_from(SECTIONS), st.text(min_size=1, max_size=12))


def load(path: Path | None, environ: dict[str, str]) -> Config | None:
    """load_config's contract: a Config, or ConfigError with clear messages."""
    where = [display_path(DEFAULT_CONFIG), *(f"environment {n if n.isprintable() else repr(n)}" for n in environ)]
    if path is not None:
        where.append(display_path(path))
    try:
        config = load_config(path, environ=environ)
    except ConfigError as exc:
        # need_key=False: "file:1: the top level must be a mapping of sections" names no key
        assert_clear(exc.messages, where, need_key=False)
        first = exc.messages[0]  # the kind of outcome, shown by pytest --hypothesis-show-statistics
        outcome("YAML syntax error" if "YAML syntax error" in first else "cannot read" if "cannot read" in first
              else "key error")
        return None
    outcome("loaded")
    return config


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("config")


def env_for(folder: Path) -> dict[str, str]:
    return {"DANGJIAN__SITE__DATA_DIR": str(folder / "data")}


@st.composite
def overlays(draw) -> dict:
    """One to five keys set anywhere (known or made up), now and then a whole section replaced."""
    data: dict = {}
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        path = draw(key_paths)
        node: Any = data
        for key in path[:-1]:
            node = node.setdefault(key, {}) if isinstance(node, dict) else None
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = draw(values)
    return data


@fuzz(150)
@given(data=overlays())
def test_site_file_values(folder, data):
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load(path, env_for(folder))
    if config is not None:
        for number in (config.content.request_timeout_seconds, config.fleet.outbox_interval_seconds,
                       config.gnss.replay_speed, config.face.accept_tolerance):
            assert number is None or math.isfinite(number)  # None: the face engine's own value


@fuzz(100)
@given(path=key_paths, raw=st.sampled_from(RAW_SCALARS) | st.text(max_size=30))
def test_site_file_raw_yaml(folder, path, raw):
    """The value as typed in the file, so that PyYAML's own constructors (dates, tags) see it."""
    text = "".join(f"{'  ' * i}{key}:\n" for i, key in enumerate(path[:-1]))
    text += f"{'  ' * (len(path) - 1)}{path[-1]}: {raw}\n"
    file = folder / "site.yaml"
    file.write_text(text, encoding="utf-8", errors="surrogatepass")
    load(file, env_for(folder))


DEFAULT_BYTES = DEFAULT_CONFIG.read_bytes()


@fuzz(100)
@given(op=st.sampled_from(["truncate", "insert", "flip", "random"]), at=st.floats(min_value=0, max_value=1),
       junk=st.binary(min_size=1, max_size=30) | st.sampled_from(
           [b"\x00", b"\xff\xfe", b"\xe4\xb8", b":", b"- ", b"{", b"[[[", b"*a", b"\t", b"\n  x: [1\n"]))
def test_site_file_bytes(folder, op, at, junk):
    """The whole embedded default used as a site file, cut, spliced or flipped; or random bytes."""
    i = int(at * len(DEFAULT_BYTES))
    data = {"truncate": DEFAULT_BYTES[:i], "insert": DEFAULT_BYTES[:i] + junk + DEFAULT_BYTES[i:],
            "flip": DEFAULT_BYTES[:i] + bytes(b ^ 0x80 for b in junk) + DEFAULT_BYTES[i + len(junk):],
            "random": junk * 50}[op]
    path = folder / "site.yaml"
    path.write_bytes(data)
    load(path, env_for(folder))


env_names = st.one_of(
    st.sampled_from(KEYS).map(lambda k: "DANGJIAN__" + "__".join(p.upper() for p in k)),
    st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00=", blacklist_categories=["Cs"]),
                     max_size=8), min_size=1, max_size=3).map(lambda parts: "DANGJIAN__" + "__".join(parts)),
)
env_values = st.sampled_from(RAW_SCALARS) | st.text(
    alphabet=st.characters(blacklist_characters="\x00"), max_size=40) | st.sampled_from(
    [str(v) for v in PLAUSIBLE if not isinstance(v, str) or "\x00" not in v])


@fuzz(150)
@given(overrides=st.dictionaries(env_names, env_values, min_size=1, max_size=3))
def test_environment_overrides(folder, overrides):
    load(None, {**env_for(folder), **overrides})


# ------------------------------------------------------------------------- regressions found by fuzzing


def _messages(path: Path | None, environ: dict[str, str]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ)
    return caught.value.messages


@pytest.mark.parametrize(("raw", "problem"), [
    ("2024-13-45", "cannot read '2024-13-45': month must be in 1..12"),
    ("!!float abc", "cannot read 'abc': could not convert string to float: 'abc'"),
    ("!!int abc", "cannot read 'abc': invalid literal for int() with base 10: 'abc'"),
])
def test_values_pyyaml_cannot_build_name_their_line(folder, raw, problem):
    """Was: a bare ValueError from PyYAML's constructors (a traceback instead of exit 2)."""
    path = folder / "site.yaml"
    path.write_text(f"site:\n  timezone: {raw}\n", encoding="utf-8")
    assert _messages(path, env_for(folder)) == [f"{display_path(path)}:2: YAML syntax error: {problem}"]


def test_huge_number_and_deep_nesting_are_errors(folder):
    """Was: a 5000-digit integer raised ValueError (Python's int digit limit), 2000 nested brackets
    RecursionError."""
    path = folder / "site.yaml"
    path.write_text("kiosk:\n  fps: " + "9" * 5000 + "\n", encoding="utf-8")
    [message] = _messages(path, env_for(folder))
    assert message.startswith(f"{display_path(path)}:2: YAML syntax error: cannot read '999") and len(message) < 400
    path.write_text("kiosk:\n  fps: " + "[" * 2000 + "]" * 2000 + "\n", encoding="utf-8")
    assert _messages(path, env_for(folder)) == [f"{display_path(path)}: YAML syntax error: nested too deeply"]


def test_alias_bomb_is_quick(folder):
    """Was: the line map walked every path of nine-by-nine aliases: 9**8 steps for a 400-byte file."""
    path = folder / "site.yaml"
    path.write_text("a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)), encoding="utf-8")
    started = time.monotonic()
    messages = _messages(path, env_for(folder))
    assert time.monotonic() - started < 5
    assert messages == [f"{display_path(path)}: YAML aliases expand this file to more than 200000 values (an alias "
                        "bomb, or an anchor that holds itself): write the values out instead"]


def test_alias_bomb_under_a_list_key_is_refused_at_once(folder):
    """Was: ~50 s and 3.1 GB before the error, which then printed the expanded value (#19)."""
    path = folder / "site.yaml"
    path.write_text("a0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)) + "kiosk:\n  fonts: *a8\n",
        encoding="utf-8")
    started = time.monotonic()
    [message] = _messages(path, env_for(folder))
    assert time.monotonic() - started < 1 and "aliases expand" in message and len(message) < 300


def test_self_referencing_anchor_is_an_error(folder):
    """Was: RecursionError: the line map followed ``&a [*a]`` into itself forever."""
    path = folder / "site.yaml"
    for text in ("map: &a [*a]\n", "kiosk: &b {fps: *b}\n"):
        path.write_text(text, encoding="utf-8")
        [message] = _messages(path, env_for(folder))
        assert message.startswith(f"{display_path(path)}: YAML aliases expand") and "holds itself" in message


@pytest.mark.parametrize("value", ["2024-13-45", "!!float x", "[" * 3000])
def test_environment_values_pyyaml_cannot_build_are_text(folder, value):
    """Was: ValueError/RecursionError from yaml.safe_load of the variable; now the text itself is the value."""
    messages = _messages(None, {**env_for(folder), "DANGJIAN__KIOSK__FPS": value})
    assert len(messages) == 1 and messages[0].startswith(
        "environment DANGJIAN__KIOSK__FPS: kiosk.fps: must be a positive integer, got ")
    assert len(messages[0]) < 200


def test_overlong_time_zone_is_an_error(folder):
    """Was: OSError (file name too long) from ZoneInfo, and the validator's message repeated 3000 characters."""
    messages = _messages(None, {**env_for(folder), "DANGJIAN__SITE__TIMEZONE": "x" * 3000})
    assert len(messages) == 1 and messages[0].startswith(
        "environment DANGJIAN__SITE__TIMEZONE: site.timezone: unknown time zone 'xxx")
    assert messages[0].endswith("(use an IANA name such as Asia/Shanghai)") and len(messages[0]) < 300


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_non_finite_numbers_are_errors(folder, value):
    """Was: ``.inf`` passed ``gt=0`` bounds (an endless timer wait), ``.nan`` passed ``ge=0``."""
    path = folder / "site.yaml"
    path.write_text(f"gnss:\n  replay_speed: {value}\n", encoding="utf-8")
    assert _messages(path, env_for(folder)) == [
        f"{display_path(path)}:2: gnss.replay_speed: must be a finite number, got {value}"]


def test_control_character_is_located(folder):
    path = folder / "site.yaml"
    path.write_bytes(b"site:\n  language: zh\n  terminal_id: a\x00b\n")
    assert _messages(path, env_for(folder)) == [
        f"{display_path(path)}:3: YAML syntax error: unacceptable character #x0000 (special characters are not allowed)"]


def test_keys_that_are_not_text_point_into_the_site_file(folder):
    """Was: ``1: x`` in a section was reported at the section's line in the embedded config.yaml."""
    path = folder / "site.yaml"
    path.write_text("site:\n  language: zh\n  1: x\n", encoding="utf-8")
    messages = _messages(path, env_for(folder))
    assert messages == [f"{display_path(path)}:3: site[1]: Keys should be strings, got 1"]


def test_line_breaks_never_split_a_message(folder):
    """Was: a key, a value or an environment variable's name with a line break (or a long list, which
    PyYAML folds) printed as two lines, the second without file or key."""
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump({"site": {"terminal_id": {"\n": 0}, "a\nb": 1},
                                    "kiosk": {"fonts": [["x" * 60]] * 3}}), encoding="utf-8")
    messages = _messages(path, {**env_for(folder), "DANGJIAN__KIOSK\n": "1"})
    assert any("site.'a\\nb': unknown key" in m for m in messages), messages
    assert_clear(messages, [display_path(path), "environment 'DANGJIAN__KIOSK\\n'"])


# --------------------------------------------------------------------------------- the real launcher

BAD_FILES = {
    "broken.yaml": b"site:\n  language: [zh\n",
    "binary.yaml": bytes(range(256)) * 4,
    "date.yaml": b"site:\n  timezone: 2024-13-45\n",
    "deep.yaml": b"kiosk:\n  size: " + b"[" * 3000 + b"]" * 3000 + b"\n",
    "nan.yaml": b"face:\n  accept_tolerance: .nan\n",
    "list.yaml": b"- site\n- kiosk\n",
}


def test_launcher_exits_2_without_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGJIAN__")}
    env["DANGJIAN__SITE__DATA_DIR"] = str(tmp_path / "data")
    for name, data in BAD_FILES.items():
        path = tmp_path / name
        path.write_bytes(data)
        done = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "--config", str(path), "doctor",
                               "--no-devices"], capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
        assert done.returncode == 2, (name, done.stderr[-2000:])
        assert "Traceback" not in done.stderr + done.stdout, name
        assert done.stderr.startswith(str(path)), (name, done.stderr[:300])
    done = subprocess.run([sys.executable, str(ROOT / "launcher.py"), "doctor", "--no-devices"], capture_output=True,
                          text=True, timeout=60, env={**env, "DANGJIAN__KIOSK__FPS": "2024-13-45"}, cwd=ROOT)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.stderr.startswith("environment DANGJIAN__KIOSK__FPS: kiosk.fps: must be a positive integer")
