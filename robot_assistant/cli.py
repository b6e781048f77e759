"""``launcher.py assistant``: one exchange with the assistant from the command line.

    launcher.py assistant --text "带我去北斗展区"
    launcher.py assistant --wav question.wav [--language zh] [--transcribe]
    launcher.py assistant --text "党费怎么交" --say answer.wav

Useful for checking a site's knowledge base and speech model without the kiosk, and as the assistant's
smallest end-to-end demo. A missing speech model is reported with its fix (exit code 1), never a traceback.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from core.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="a typed question or command")
    source.add_argument("--wav", metavar="FILE", help="a recorded question (any WAV; resampled to 16 kHz mono)")
    parser.add_argument("--language", choices=["zh", "en"], help="speech model language (default: site.language)")
    parser.add_argument("--transcribe", action="store_true", help="print only the transcript of --wav")
    parser.add_argument("--say", metavar="FILE.wav", help="also synthesise the reply into this WAV file")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(config: Config, args: argparse.Namespace) -> int:
    text = args.text
    if args.wav:
        text = _transcribe(config, Path(args.wav), args.language or config.site.language)
        if text is None:
            return 1
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


def _transcribe(config: Config, wav: Path, language: str) -> str | None:
    from robot_assistant.audio import WavFileSource
    from robot_assistant.stt import ModelFolderError
    from robot_assistant.stt_select import recognizer_for

    try:
        recognizer = recognizer_for(config, language)  # vosk where its model is installed, else Whisper
    except ModelFolderError as exc:
        print(f"speech recognition ({language}) is not available: {exc}", file=sys.stderr)
        return None
    try:
        return recognizer.transcribe(WavFileSource(wav, realtime=False).chunks()).text
    except (OSError, ValueError) as exc:
        print(f"cannot read {wav}: {exc}", file=sys.stderr)
        return None


def _say(config: Config, text: str, language: str, out: Path) -> int:
    from robot_assistant.tts import NullSink, tts_for

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
