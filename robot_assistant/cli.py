"""``launcher.py assistant``: one exchange with the assistant from the command line.

    launcher.py assistant --text "带我去北斗展区"
    launcher.py assistant --wav question.wav [--language zh] [--transcribe]
    launcher.py assistant --text "党费怎么交" --say answer.wav

Useful for checking a site's knowledge base and speech model without the kiosk, and as the assistant's
smallest end-to-end demo. A missing speech model is reported with its fix (exit code 1), never a traceback.
Audio that cannot serve as a question — unreadable, empty, shorter than :data:`MIN_SPEECH_S`, silent, or in
the other language than ``--language`` insists on — gets one line saying so and exit code 2. A transcript
Whisper is not confident of is not taken as the question: the assistant answers 没听清，请再说一遍.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from core.config import Config

MIN_SPEECH_S = 0.3
"""Shorter files are refused: no question fits, and Whisper invents text for clicks."""
SILENCE_DBFS = -45.0
"""A file whose loudest 30 ms stays below this level holds no speech (room noise sits near -60 dBFS)."""
ASK_AGAIN = {"zh": "没听清，请再说一遍", "en": "Sorry, I didn't catch that. Please say it again."}


class BadAudio(ValueError):
    """The file cannot be a question; the message is one line for the user (exit code 2)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="a typed question or command")
    source.add_argument("--wav", metavar="FILE",
                        help="a recorded question: WAV of any rate and width, FLAC, OGG (resampled to 16 kHz mono)")
    parser.add_argument("--language", choices=["zh", "en"],
                        help="the language spoken in --wav (default: heard, Mandarin or English)")
    parser.add_argument("--transcribe", action="store_true", help="print only the transcript of --wav")
    parser.add_argument("--say", metavar="FILE.wav", help="also synthesise the reply into this WAV file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(config: Config, args: argparse.Namespace) -> int:
    """Third-party noise (jieba, pygame) is kept off by ``launcher.quiet_third_party`` for every command."""
    text = args.text
    if args.wav:
        try:
            heard = _transcribe(config, Path(args.wav), args.language)
        except BadAudio as exc:
            print(exc, file=sys.stderr)
            return 2
        if heard is None:
            return 1
        text, language, unsure = heard
        if unsure:
            print(f"{args.wav}: {unsure}", file=sys.stderr)
            if args.transcribe:
                return 1
            return _ask_again(config, language, args)
        if args.transcribe:
            print(text)
            return 0
    from robot_assistant.qa.brain import Brain

    result = Brain.from_config(config).handle_text(text)
    event = result.event.to_dict()
    if args.json:
        print(json.dumps({"heard": text, "intent": result.intent, "language": result.language,
                          "answer": result.answer, "entry": result.entry_id, "score": result.score,
                          "suggestions": list(result.suggestions), "event": event}, ensure_ascii=False))
    else:
        print(f"heard:   {text}")
        print(f"intent:  {result.intent} {dict(result.slots) or ''}".rstrip())
        print(f"answer:  {result.answer}")
        if result.suggestions:
            print("related: " + " / ".join(result.suggestions))
        print(f"event:   {event['type']} {json.dumps(event['data'], ensure_ascii=False)}")
    if args.say and result.answer:
        return _say(config, result.answer, result.language, Path(args.say))
    return 0


def _ask_again(config: Config, language: str, args: argparse.Namespace) -> int:
    """What the assistant does with a transcript it does not trust: ask again (and say it with --say)."""
    answer = ASK_AGAIN.get(language, ASK_AGAIN["zh"])
    if args.json:
        print(json.dumps({"heard": None, "intent": "none", "language": language, "answer": answer},
                         ensure_ascii=False))
    else:
        print("heard:   (没听清)")
        print(f"answer:  {answer}")
    return _say(config, answer, language, Path(args.say)) if args.say else 0


def check_audio(path: Path):
    """The file as an ArraySource, or :class:`BadAudio` saying why it cannot be a question."""
    import numpy as np

    from robot_assistant.audio import SAMPLE_RATE, AudioSourceUnavailable, WavFileSource

    try:
        source = WavFileSource(path, realtime=False)
    except AudioSourceUnavailable as exc:
        raise BadAudio(f"cannot use {exc}") from None
    if source.duration_s < MIN_SPEECH_S:
        raise BadAudio(f"{path}: too short ({source.duration_s:.2f} s of audio; a question needs at least "
                       f"{MIN_SPEECH_S:g} s)")
    samples = np.frombuffer(source.pcm, "<i2").astype(np.float32)
    frame = SAMPLE_RATE * 30 // 1000
    frames = samples[: samples.size // frame * frame].reshape(-1, frame)
    loudest = float(np.sqrt((frames**2).mean(axis=1)).max()) if frames.size else 0.0
    level = 20 * np.log10(max(loudest, 1e-3) / 32768.0)
    if level < SILENCE_DBFS:
        raise BadAudio(f"{path}: no speech ({source.duration_s:.1f} s of silence; loudest {max(level, -99.0):.0f} dBFS)")
    return source


def _transcribe(config: Config, wav: Path, language: str | None) -> tuple[str, str, str] | None:
    """(text, language heard, why it is not trusted or ""), None when no recogniser is available."""
    from robot_assistant.stt import ModelFolderError
    from robot_assistant.stt_select import recognizer_for

    source = check_audio(wav)
    wanted = language or config.site.language
    try:
        recognizer = recognizer_for(config, wanted)  # vosk where its model is installed, else Whisper
    except ModelFolderError as exc:
        print(f"speech recognition ({wanted}) is not available: {exc}", file=sys.stderr)
        return None
    result = recognizer.transcribe(source.chunks())
    heard = result.language or wanted
    if language and heard != language:
        names = {"zh": "Mandarin", "en": "English"}
        raise BadAudio(f"{wav}: this is {names.get(heard, heard)} speech, not {names.get(language, language)} "
                       f"(--language {language}): run with --language {heard}, or leave --language out")
    if not result.text:
        raise BadAudio(f"{wav}: no speech recognised ({result.reason or 'nothing heard'})")
    unsure = "" if result.accepted else f"not sure what was said ({result.reason}; heard {result.text!r})"
    return result.text, heard, unsure


def _say(config: Config, text: str, language: str, out: Path) -> int:
    from robot_assistant.tts import NullSink
    from robot_assistant.voices import tts_for

    tts = tts_for(config, sink=NullSink("writing to a file"))
    try:
        spoken = tts.speak(text, language)
    finally:
        tts.close()
    if spoken.wav is None:
        print(f"speech output failed: {spoken.reason}", file=sys.stderr)
        return 1
    shutil.copyfile(spoken.wav, out)
    print(f"spoken:  {out}")
    return 0
