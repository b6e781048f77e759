"""Which speech recogniser serves a language: vosk where the site installed its model, else Whisper.

Why this rule: vosk streams (partial text while the visitor speaks) and supports a closed command
grammar, but no Mandarin or English vosk model installs from the package registries — the administrator
copies one in by hand. Whisper (``robot_assistant.whisper_stt``) installs from PyPI, recognises free
questions in both languages, and is the embedded default wherever vosk has no model. A site can force
either engine per language with ``assistant.stt_engine`` (``auto`` | ``vosk`` | ``whisper``, or a mapping
such as ``{zh: whisper, en: auto}``), e.g. Whisper for free questions even where a vosk model is present.

Only paths are inspected to choose (no engine is imported), so ``doctor`` can report the choice cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.model_folders import vosk_model_problems
from robot_assistant.stt import SpeechToText

Engine = Literal["vosk", "whisper"]
SETTINGS = ("auto", "vosk", "whisper")


@dataclass(frozen=True)
class EngineChoice:
    engine: Engine
    reason: str
    """Why, in words for doctor and the log: "vosk model missing", "set in config"..."""


def engine_setting(config: Any, language: str) -> str:
    """``assistant.stt_engine`` for ``language`` ("auto" when the key is absent; may be a per-language map)."""
    value = getattr(getattr(config, "assistant", None), "stt_engine", None) or "auto"
    if isinstance(value, dict):
        value = value.get(language) or "auto"
    value = str(value).lower()
    if value not in SETTINGS:
        raise ValueError(f"assistant.stt_engine must be one of {', '.join(SETTINGS)}, got {value!r}")
    return value


def vosk_folder(config: Any, language: str) -> Path | None:
    models = getattr(getattr(config, "assistant", None), "vosk_models", None) or {}
    folder = models.get(language)
    return Path(folder) if folder else None


def choose_engine(config: Any, language: str) -> EngineChoice:
    """The engine for ``language``: as configured, or in ``auto`` vosk if its folder is complete, else Whisper."""
    setting = engine_setting(config, language)
    if setting != "auto":
        return EngineChoice(setting, "set in config")  # type: ignore[arg-type]
    folder = vosk_folder(config, language)
    if folder is not None and not vosk_model_problems(folder):
        return EngineChoice("vosk", f"vosk model at {folder}")
    return EngineChoice("whisper", "no vosk model" if folder is None else "vosk model missing")


def recognizer_for(config: Any, language: str | None = None) -> SpeechToText:
    """The recogniser for ``language`` (default ``site.language``); loads its model (call off the UI thread).

    Raises ModelFolderError (WhisperModelError is one) with the fix when the chosen engine's model is
    missing, which the speech worker and the CLI turn into "voice input off" plus that fix.
    """
    language = language or config.site.language
    choice = choose_engine(config, language)
    if choice.engine == "vosk":
        from robot_assistant.stt import vosk_for

        return vosk_for(config, language)
    from robot_assistant.whisper_stt import whisper_for

    return whisper_for(config, language)
