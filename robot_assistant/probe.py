"""Device probes for ``launcher.py doctor``, each run in its own short-lived process.

Why a subprocess: a camera driver can hang, face_recognition can call ``quit()`` on import, and
importing OpenCV, PortAudio or dlib costs memory the caller should not keep. ``doctor`` runs
``python -m robot_assistant.probe NAME [ARG]`` with a timeout and reads one JSON line:
``{"status": "OK"|"MISSING"|"DEGRADED", "detail": "...", "fix": "..."}``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys


def _result(status: str, detail: str, fix: str = "") -> dict:
    return {"status": status, "detail": detail, "fix": fix}


def camera(source: str) -> dict:
    import cv2

    target: int | str = int(source) if source.lstrip("-").isdigit() else source
    cap = cv2.VideoCapture(target)
    try:
        if not cap.isOpened():
            return _result("DEGRADED", f"camera {source!r} cannot be opened; face sign-in is off",
                           "connect a camera or set devices.camera to its index, URL or a video file")
        ok, frame = cap.read()
        if not ok or frame is None:
            return _result("DEGRADED", f"camera {source!r} opened but gave no frame",
                           "check the cable/stream; another program may hold the camera")
        return _result("OK", f"camera {source!r}: {frame.shape[1]}x{frame.shape[0]}")
    finally:
        cap.release()


def microphone(device: str) -> dict:
    try:
        import sounddevice as sd
    except OSError as exc:  # libportaudio2 missing
        return _result("MISSING", f"PortAudio library missing: {exc}", "apt-get install libportaudio2")
    try:
        info = sd.query_devices(None if device in ("", "None") else (int(device) if device.isdigit() else device),
                                kind="input")
    except (sd.PortAudioError, ValueError) as exc:
        return _result("DEGRADED", f"no microphone: {exc}; the assistant works by touch and text",
                       "connect a microphone or set devices.microphone")
    return _result("OK", f"microphone: {info['name']} ({int(info['default_samplerate'])} Hz)")


def speaker(device: str) -> dict:
    try:
        import sounddevice as sd
    except OSError as exc:
        return _result("MISSING", f"PortAudio library missing: {exc}", "apt-get install libportaudio2")
    try:
        info = sd.query_devices(None if device in ("", "None") else (int(device) if device.isdigit() else device),
                                kind="output")
    except (sd.PortAudioError, ValueError) as exc:
        return _result("DEGRADED", f"no speaker: {exc}; answers are shown as text only",
                       "connect a speaker or set devices.speaker")
    return _result("OK", f"speaker: {info['name']}")


def tts(voice: str) -> dict:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return _result("MISSING", "espeak-ng is not installed; speech output is off", "apt-get install espeak-ng")
    out = subprocess.run([exe, "--voices"], capture_output=True, text=True, timeout=20).stdout
    names = {line.split()[1] for line in out.splitlines()[1:] if len(line.split()) > 1}
    names |= {line.split()[3].split("/")[-1] for line in out.splitlines()[1:] if len(line.split()) > 3}
    if voice not in names:
        return _result("DEGRADED", f"espeak-ng has no voice {voice!r}", "apt-get install espeak-ng-data")
    try:
        import pyttsx3

        engine = pyttsx3.init()
        count = len(engine.getProperty("voices"))
    except Exception as exc:  # pyttsx3 raises RuntimeError and others when its driver fails
        return _result("DEGRADED", f"pyttsx3 cannot start: {exc}", "bash setup.sh")
    if shutil.which("aplay") is None:
        return _result("DEGRADED", "aplay missing: spoken output cannot play", "apt-get install alsa-utils")
    return _result("OK", f"pyttsx3 + espeak-ng, voice {voice!r} ({count} voices)")


def face(engine: str = "sface", model_dir: str = "") -> dict:
    """Load the configured face engine the way the face worker will, and time it. dlib's import calls
    quit() when its models are missing; SFace names the missing or damaged ONNX file."""
    import time

    if engine == "sface":
        try:
            import numpy as np

            from robot_assistant.face.engine import FaceEngineUnavailable
            from robot_assistant.face.sface import SFaceEngine
        except ImportError as exc:
            return _result("MISSING", f"OpenCV not importable: {exc}", "bash setup.sh")
        try:
            eng = SFaceEngine(model_dir or None).load()
            start = time.perf_counter()
            eng.encode(np.full((160, 160, 3), 128, np.uint8), [(20, 140, 140, 20)])
            first = time.perf_counter() - start
        except FaceEngineUnavailable as exc:
            return _result("MISSING", f"face engine sface: {exc}", "bash setup.sh")
        return _result("OK", f"engine sface (YuNet MIT + SFace Apache-2.0 through OpenCV; {eng.model_dir}): "
                             f"loaded in {eng.load_s:.2f} s, first encoding {first * 1000:.0f} ms; "
                             f"templates {eng.template_model.key}")
    start = time.perf_counter()
    try:
        import face_recognition  # noqa: F401
        import face_recognition_models  # noqa: F401
    except SystemExit:
        return _result("MISSING", "face_recognition exited on import (models or pkg_resources missing)",
                       "bash setup.sh (pins setuptools<82 and installs face-recognition-models)")
    except ImportError as exc:
        return _result("MISSING", f"face_recognition not importable: {exc}", "bash setup.sh")
    return _result("OK", f"engine dlib (face_recognition + dlib) loaded in {time.perf_counter() - start:.2f} s; "
                         "its 68-point landmark model (iBUG 300-W) excludes commercial use")


def panda3d_offscreen() -> dict:
    from panda3d.core import loadPrcFileData

    loadPrcFileData("", "window-type offscreen\nload-display p3headlessgl\naudio-library-name null\n")
    from direct.showbase.ShowBase import ShowBase

    try:
        base = ShowBase()
    except Exception as exc:  # Panda3D raises a plain Exception when no graphics pipe opens
        return _result("DEGRADED", f"no offscreen OpenGL: {exc}", "apt-get install libegl1 libgl1-mesa-dri")
    renderer = base.win.getGsg().getDriverRenderer()
    base.destroy()
    return _result("OK", f"Panda3D offscreen rendering: {renderer}")


def speech() -> dict:
    """Which engine hears each language, and whether the Whisper model is whole and loads."""
    from core.config import load_config
    from robot_assistant.stt_select import whisper_check

    status, detail, fix = whisper_check(load_config())
    return _result(status, detail, fix)


PROBES = {"camera": camera, "microphone": microphone, "speaker": speaker, "tts": tts, "face": face,
          "panda3d": panda3d_offscreen, "speech": speech}


def main(argv: list[str]) -> int:
    name, args = argv[0], argv[1:]
    try:
        result = PROBES[name](*args)
    except Exception as exc:  # a probe must always answer with a status line
        result = _result("DEGRADED", f"{name} probe failed: {type(exc).__name__}: {exc}", "")
    sys.stdout.write("\nPROBE " + json.dumps(result, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
