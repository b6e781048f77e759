"""The real vosk path on the real Korean small model: folder checks, streaming, partials, commands.

Mandarin and English accuracy cannot be measured here: no zh/en vosk model installs from PyPI (the
administrator unpacks vosk-model-small-cn-0.22 / -en-us-0.15). These tests prove the code paths.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from robot_assistant.stt import (
    CommandGrammar,
    ModelFolderError,
    VoskRecognizer,
    check_model_folder,
    measure_rtf,
)
from tests.assistant.test_speech_support import KO_COMMANDS, KO_SENTENCE, espeak_pcm, ko_model


@pytest.fixture(scope="module")
def recognizer() -> VoskRecognizer:
    return VoskRecognizer(ko_model(), "ko")


@pytest.fixture(scope="module")
def commands() -> VoskRecognizer:
    return VoskRecognizer(ko_model(), "ko", grammar=CommandGrammar([*KO_COMMANDS, "없는단어입니다 뉴스"]))


def test_missing_folder_message_names_the_folder_and_the_fix(tmp_path: Path) -> None:
    folder = tmp_path / "vosk" / "zh"
    with pytest.raises(ModelFolderError) as err:
        VoskRecognizer(folder, "zh")
    assert str(err.value) == (f"{folder} does not exist — unpack vosk-model-small-cn-0.22 so that "
                              f"{folder}/am/final.mdl exists (voice input for zh stays off until then)")


def test_incomplete_folder_lists_every_missing_part(tmp_path: Path) -> None:
    folder = tmp_path / "en"
    (folder / "am").mkdir(parents=True)
    (folder / "am" / "final.mdl").write_bytes(b"")
    (folder / "graph").mkdir()
    with pytest.raises(ModelFolderError) as err:
        check_model_folder(folder, "en")
    assert err.value.problems == [f"{folder} has no conf/mfcc.conf", f"{folder} has no graph/HCLG.fst or graph/HCLr.fst"]
    assert "vosk-model-small-en-us-0.15" in str(err.value)


def test_korean_model_folder_is_complete() -> None:
    assert check_model_folder(ko_model(), "ko") == ko_model().resolve()


def test_streaming_gives_partials_then_final_json_with_word_confidences(recognizer: VoskRecognizer) -> None:
    pcm = espeak_pcm(KO_SENTENCE)
    partials = [p for i in range(0, len(pcm), 3200) if (p := recognizer.accept(pcm[i : i + 3200]))]
    result = recognizer.finish()
    assert len(partials) >= 2 and len(set(partials)) == len(partials)  # only changes are reported
    assert result.text and result.language == "ko"
    assert len(result.words) >= 3
    assert all(0.0 <= w.conf <= 1.0 and w.start < w.end for w in result.words)
    assert [w.start for w in result.words] == sorted(w.start for w in result.words)
    assert result.confidence == min(w.conf for w in result.words)
    assert result.audio_s == pytest.approx(len(pcm) / 32000)
    assert 0 < result.final_latency_s < result.decode_s
    # the recogniser is ready for the next utterance with nothing carried over
    assert recognizer.finish().text == ""


@pytest.mark.parametrize("said", ["안녕하세요", "뉴스", "정지"])
def test_command_in_grammar_is_accepted(commands: VoskRecognizer, said: str) -> None:
    result = commands.transcribe([espeak_pcm(said)])
    assert (result.text, result.accepted) == (said, True)
    assert result.confidence >= 0.85


def test_out_of_grammar_speech_is_not_forced_onto_a_command(commands: VoskRecognizer) -> None:
    results = [commands.transcribe([espeak_pcm(s)]) for s in ("사랑해요", "오늘 날씨가 좋습니다", "음악을 틀어 주세요")]
    assert [r.text for r in results] == ["", "", ""]
    assert not any(r.accepted for r in results)
    # what a naive grammar decoder would have acted on: command words, every time
    assert all(r.raw_text and set(r.raw_text.split()) <= set(KO_COMMANDS) for r in results), [r.raw_text for r in results]
    assert all(r.reason for r in results)


def test_phrases_with_unknown_words_are_dropped_and_reported(commands: VoskRecognizer) -> None:
    grammar = commands.grammar
    assert grammar is not None
    assert grammar.dropped == {"없는단어입니다 뉴스": ["없는단어입니다"]}
    assert grammar.problems == ["command '없는단어입니다 뉴스' dropped: the model has no word '없는단어입니다'"]
    assert commands.usable == KO_COMMANDS
    # vosk gets real UTF-8, not \\uXXXX escapes (which it would report as missing words)
    assert "안녕하세요" in grammar.vosk_json(commands.usable)
    assert json.loads(grammar.vosk_json(commands.usable)) == KO_COMMANDS  # this model has no [unk]


def test_grammar_with_no_known_word_is_refused() -> None:
    with pytest.raises(ValueError, match="no usable command"):
        VoskRecognizer(ko_model(), "ko", grammar=CommandGrammar(["없는단어입니다"]))


def test_real_time_factor_is_measured(recognizer: VoskRecognizer) -> None:
    report = measure_rtf(recognizer, espeak_pcm("뉴스"))
    assert report.audio_s == pytest.approx(1.02, abs=0.01)
    assert report.rtf > 0 and report.decode_s > 0


def test_decoy_words_give_out_of_grammar_speech_somewhere_else_to_go() -> None:
    """Without [unk] (this model has none) these two are forced onto a command with confidence 1.0."""
    plain = VoskRecognizer(ko_model(), "ko", grammar=CommandGrammar(KO_COMMANDS))
    decoyed = VoskRecognizer(ko_model(), "ko", grammar=CommandGrammar(
        KO_COMMANDS, decoys=["학교", "사람", "시간", "문제", "생각", "경우", "정도", "사실", "사회", "이야기"]))
    for said in ("화장실", "괜찮아요"):
        assert plain.transcribe([espeak_pcm(said)]).text in KO_COMMANDS  # the documented failure
        assert decoyed.transcribe([espeak_pcm(said)]).text == ""
    assert decoyed.transcribe([espeak_pcm("안녕하세요")]).text == "안녕하세요"
