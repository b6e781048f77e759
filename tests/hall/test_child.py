"""The hall in a child process: prewarm, open on command, GuideTo in, events out; 20 launches with
the parent's memory flat; a crash in the child is reported and the parent carries on.

Launches use a small generated hall (one room) so 20 of them fit the test budget; one launch of the
demo hall measures the time to the first frame. The 20 launches go through HallLauncher, which
prewarms the next child as soon as the last one has exited, as the kiosk will.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.events import Answer, EventBus, GuideTo, Speak, Transcript
from vr_hall.child import HallCrashed, HallLauncher, HallOptions, HallProcess, rss_kib
from vr_hall.synth import write_scene

from .conftest import DEMO, ROOT

OFFSCREEN = HallOptions(window="offscreen", size=(320, 240), test_hooks=True)


@pytest.fixture(scope="module")
def small_hall(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_scene(6, tmp_path_factory.mktemp("small-hall"), image_size=(64, 45))


def test_demo_hall_opens_guides_and_closes() -> None:
    with HallProcess(DEMO, HallOptions(window="offscreen", size=(640, 360))) as hall:
        ready = hall.wait_ready(60)
        assert ready["load_s"] < 10
        # prewarmed without a window, the child asked a 1×1 buffer (llvmpipe here has GLSL)
        assert ready["materials"] == "pbr" and ready["renderer"], ready
        hall.open()
        frame = hall.wait_for("frame", 30)
        print(f"demo hall: prewarm {ready['load_s']:.2f} s, first frame {frame['first_frame_s']:.3f} s "
              f"(parent saw {frame['parent_first_frame_s']:.3f} s)")
        assert frame["first_frame_s"] < 5.0
        hall.send(GuideTo("h12"))
        event = hall.wait_for("event", 60)  # arriving at h12 opens it and asks for its narration
        assert event["event"]["type"] == "Speak" and "中国式现代化" in event["event"]["data"]["text"]
        hall.close()
        assert hall.wait_for("closed", 10)["reason"] == "command"
        hall.wait_for("exited", 10)
    assert hall.finished["type"] == "exited"


def test_twenty_launches_keep_the_parent_flat(small_hall: Path) -> None:
    rss = []
    first_frames = []
    spoken: list = []
    launcher = HallLauncher(small_hall, OFFSCREEN, publish=spoken.append)
    launcher.start()  # prewarm while "the kiosk" does other things
    try:
        for _ in range(20):
            launcher.open()
            first_frames.append(wait_status(launcher, "frame")["first_frame_s"])
            launcher.close()
            assert wait_status(launcher, "closed")["reason"] == "command"
            while launcher.is_open:  # reaped once it has exited, and the next one prewarmed
                launcher.poll()
            rss.append(rss_kib())
    finally:
        launcher.shutdown()
    print(f"parent RSS KiB: first {rss[0]}, after 5 {rss[4]}, last {rss[-1]}; "
          f"first frame median {np.median(first_frames):.3f} s")
    assert launcher.launches == 20 and launcher.crashes == 0
    assert rss[-1] - rss[4] < 2048, rss  # flat after warm-up: < 2 MiB over 15 launches
    assert max(first_frames) < 5.0


def wait_status(launcher: HallLauncher, kind: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for msg in launcher.poll():
            if msg["type"] == kind:
                return msg
            assert msg["type"] != "crashed", msg
        time.sleep(0.005)
    raise TimeoutError(kind)


def test_a_crash_in_the_child_is_reported_and_the_parent_goes_on(small_hall: Path) -> None:
    hall = HallProcess(small_hall, OFFSCREEN).start()
    hall.wait_ready(60)
    hall.open()
    hall.wait_for("frame", 30)
    hall.crash_for_test("raise")  # an exception inside a Panda3D task
    with pytest.raises(HallCrashed) as info:
        hall.wait_for("closed", 15)
    assert "test hook" in str(info.value) and info.value.info["exitcode"] == 1
    assert "Traceback" in info.value.info["traceback"]
    hall.stop()

    hall = HallProcess(small_hall, OFFSCREEN).start()  # and a hard death (like a segfault)
    hall.wait_ready(60)
    hall.open()
    hall.wait_for("frame", 30)
    hall.crash_for_test("abort")
    with pytest.raises(HallCrashed) as info:
        hall.wait_for("closed", 15)
    assert info.value.info["exitcode"] < 0
    hall.stop()

    with HallProcess(small_hall, OFFSCREEN) as again:  # the parent can start a new one at once
        again.wait_ready(60)
        again.open()
        assert again.wait_for("frame", 30)["frames"] >= 1


def test_bad_scene_is_reported_as_a_crash(tmp_path: Path) -> None:
    bad = tmp_path / "hall.yaml"
    bad.write_text("hall: {}\n", encoding="utf-8")
    with HallProcess(bad, OFFSCREEN) as hall, pytest.raises(HallCrashed) as info:
        hall.wait_ready(60)
    assert "SceneError" in str(info.value) and "hall.yaml:1" in str(info.value)


def test_render_view_as_the_launcher_calls_it(tmp_path: Path) -> None:
    """render_view() in a fresh process, the way `launcher.py screenshot hall` will run it."""
    out = tmp_path / "tour.png"
    code = ("from vr_hall import render_view; "
            f"render_view({str(DEMO)!r}, 'tour:2', (640, 360), {str(out)!r})")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape == (360, 640, 3) and len(np.unique(img.reshape(-1, 3), axis=0)) > 1000


def test_progress_before_ready_then_the_assistant_through_the_child(small_hall: Path) -> None:
    """The child reports its prewarm (the kiosk shows 正在准备展厅 N%); once open, an Answer forwarded
    from the kiosk's bus reaches the hall's overlay, and a tapped chip comes back as a Transcript."""
    published: list = []
    launcher = HallLauncher(small_hall, OFFSCREEN, publish=published.append)
    assert launcher.progress is None and launcher.progress_label() is None
    launcher.start()
    seen: list[dict] = []
    labels = set()
    try:
        deadline = time.monotonic() + 60
        while not any(m["type"] == "ready" for m in seen):
            assert time.monotonic() < deadline, seen
            for msg in launcher.poll():
                assert msg["type"] != "crashed", msg
                seen.append(msg)
                if not launcher.ready:
                    labels.add(launcher.progress_label())
            time.sleep(0.005)
        kinds = [m["type"] for m in seen]
        ready_at = kinds.index("ready")
        progress = [m for m in seen[:ready_at] if m["type"] == "progress"]
        assert len(progress) >= 3 and kinds[:ready_at] == ["progress"] * ready_at
        fractions = [m["fraction"] for m in progress]
        assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
        assert all(isinstance(m["message"], str) and m["message"] for m in progress)
        assert any(t and t.startswith("正在准备展厅 ") and t.endswith("%") for t in labels), labels
        assert launcher.ready and launcher.progress == (1.0, progress[-1]["message"])
        assert launcher.progress_label() is None

        bus = EventBus()
        launcher.forward(bus)  # subscribes
        bus.publish(Answer("early", "zh"))  # the hall is not open yet: dropped
        assert launcher.forward(bus) == 0
        launcher.open()
        wait_status(launcher, "frame")
        bus.publish(Transcript("党费怎么算", "zh", final=True))
        bus.publish(Answer("在职党员按月交纳党费。", "zh", "kb078", ("党费怎么交？", "退休党员交多少党费？")))
        bus.publish(Speak("not for the hall"))
        assert launcher.forward(bus) == 2
        launcher.current.tap_chip_for_test(1)  # the answer's second suggestion
        deadline = time.monotonic() + 15
        while not any(isinstance(e, Transcript) for e in published):
            assert time.monotonic() < deadline, published
            launcher.poll()
            time.sleep(0.005)
        assert [e for e in published if isinstance(e, Transcript)] == [Transcript("退休党员交多少党费？", "zh")]
    finally:
        launcher.shutdown()
    assert launcher._forwarding is None and not bus._subs


def test_prewarm_crashes_back_off_exponentially(tmp_path: Path) -> None:
    """A hall that cannot even be built (here a scene file that is not YAML) crashes at every prewarm:
    the launcher waits 2, 4, 8 … s (capped) between tries instead of restarting it at once, reports
    each crash as not the visitor's, and says why the hall is unavailable."""
    broken = tmp_path / "hall.yaml"
    broken.write_text("rooms: [\n", encoding="utf-8")
    now = [1000.0]
    launcher = HallLauncher(broken, OFFSCREEN, backoff_s=2.0, backoff_max_s=5.0, clock=lambda: now[0])
    assert [launcher.delay_after(n) for n in range(5)] == [0.0, 2.0, 4.0, 5.0, 5.0]
    launcher.start()
    try:
        for failures, delay in ((1, 2.0), (2, 4.0)):
            crashed = wait_status(launcher, "crashed")
            assert crashed["visitor"] is False and "SceneError" in crashed["error"]
            assert launcher.failures == failures and launcher.current is None
            assert launcher.next_start_at == now[0] + delay
            assert not launcher.available
            reason = launcher.unavailable_reason()
            assert reason == f"VR展厅暂不可用：场景文件有误，{delay:g} 秒后重试", reason
            assert launcher.unavailable_reason("en") == f"VR hall unavailable: scene file errors; retrying in {delay:g} s"
            assert launcher.unavailable_reason(retry=False, name=False) == "暂不可用：场景文件有误"
            now[0] += delay - 0.5
            assert launcher.poll() == [] and launcher.current is None  # not yet
            now[0] += 0.5
            launcher.poll()
            assert launcher.current is not None  # the next try
        assert launcher.crashes == 2
    finally:
        launcher.shutdown()
