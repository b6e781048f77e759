"""Which speech recogniser serves a language: vosk where the site installed its model, else Whisper.

Why this rule: vosk streams (partial text while the visitor speaks) and supports a closed command
grammar, but no Mandarin or English vosk model installs from the package registries — the administrator
copies one in by hand. Whisper (``robot_assistant.whisper_stt``) installs from PyPI, recognises free
questions in both languages, and is the embedded default wherever vosk has no model. A site can force
either engine per language with ``assistant.stt_engine`` (``auto`` | ``vosk`` | ``whisper``, or a mapping
such as ``{zh: whisper, en: auto}``), e.g. Whisper for free questions even where a vosk model is present.

Only paths are inspected to choose (neither engine's library is imported: vosk and faster-whisper load
only when a recogniser is made), so ``doctor`` can report the choice cheaply. This module sits above both
engines' modules and they know nothing of it (no import cycle).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from core.model_folders import vosk_model_problems
from robot_assistant.stt import SpeechToText, vosk_for
from robot_assistant.whisper_model import (
    MODEL_SHA256,
    default_model_dir,
    is_packaged_model,
    model_problems,
    setup_fix,
)
from robot_assistant.whisper_stt import settings_from_config, whisper_for

if TYPE_CHECKING:
    from core.config_sections import Config

Engine = Literal["vosk", "whisper"]


@dataclass(frozen=True)
class EngineChoice:
    engine: Engine
    reason: str
    """Why, in words for doctor and the log: "vosk model missing", "set in config"..."""


def engine_setting(config: Config, language: str) -> str:
    """``assistant.stt_engine`` for ``language``: auto, vosk or whisper (the config's validation refuses
    anything else); a per-language mapping that leaves ``language`` out means auto for it."""
    value = config.assistant.stt_engine
    return value.get(language, "auto") if isinstance(value, dict) else value


def vosk_folder(config: Config, language: str) -> Path | None:
    """``assistant.vosk_models``'s folder for ``language``, or None when the mapping leaves it out."""
    return config.assistant.vosk_models.get(language)


def choose_engine(config: Config, language: str) -> EngineChoice:
    """The engine for ``language``: as configured, or in ``auto`` vosk if its folder is complete, else Whisper."""
    setting = engine_setting(config, language)
    if setting != "auto":
        return EngineChoice(setting, "set in config")  # type: ignore[arg-type]
    folder = vosk_folder(config, language)
    if folder is not None and not vosk_model_problems(folder):
        return EngineChoice("vosk", f"vosk model at {folder}")
    return EngineChoice("whisper", "no vosk model" if folder is None else "vosk model missing")


def recognizer_for(config: Config, language: str | None = None) -> SpeechToText:
    """The recogniser for ``language`` (default ``site.language``); loads its model (call off the UI thread).

    Raises ModelFolderError (WhisperModelError is one) with the fix when the chosen engine's model is
    missing, which the speech worker and the CLI turn into "voice input off" plus that fix.
    """
    language = language or config.site.language
    choice = choose_engine(config, language)
    if choice.engine == "vosk":
        return vosk_for(config, language)
    return whisper_for(config, language)


# ------------------------------------------------------------------------------------------ doctor


def whisper_check(config: Config, *, load: bool = True, timeout: float = 60.0) -> tuple[str, str, str]:
    """(status, detail, fix) for ``launcher.py doctor``: which engine each language uses, the model's
    hash, and whether it loads (in a child process with a timeout, so a crash cannot take doctor down).

    Status is "OK", "MISSING" (folder or packages absent: voice input off where Whisper is needed) or
    "DEGRADED" (present but damaged or not loading).
    """
    choices = {lang: choose_engine(config, lang) for lang in ("zh", "en")}
    engines = ", ".join(f"{lang}: {c.engine} ({c.reason})" for lang, c in choices.items())
    if not any(c.engine == "whisper" for c in choices.values()):
        return "OK", f"Whisper not used — {engines}", ""
    folder = default_model_dir(config)
    problems = model_problems(folder)
    if problems:
        missing = not folder.is_dir() or any("has no" in p for p in problems)
        return ("MISSING" if missing else "DEGRADED", "; ".join(problems) + f" — {engines}",
                setup_fix() if is_packaged_model(folder) else "put a CTranslate2 Whisper folder there")
    digest = f"sha256 {MODEL_SHA256[:12]}… (verified)" if is_packaged_model(folder) else "site-supplied model"
    detail = f"{folder} {digest}; {engines}"
    if not load:
        return "OK", detail, ""
    settings = settings_from_config(config)
    cmd = [sys.executable, "-m", "robot_assistant.whisper_stt", "--check", str(folder), settings.compute_type]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=Path(__file__).resolve().parent.parent)
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return "DEGRADED", f"{detail}; loading took over {timeout:.0f} s", "check the CPU load and the model folder"
    except (ValueError, IndexError):
        return "DEGRADED", f"{detail}; the load check crashed: {done.stderr.strip()[-300:]}", setup_fix()
    if not result["ok"]:
        return "DEGRADED", f"{detail}; {result['error']}", result.get("fix") or setup_fix()
    return "OK", f"{detail}; loads in {result['load_s']:.1f} s ({settings.compute_type})", ""
