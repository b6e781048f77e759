"""Whisper benchmark: accuracy and speed on the real test clips, for every choice the config offers.

    .venv/bin/python bench/whisper_bench.py [--repeat 2] [--no-transformers] [--out results.json]

Printed (nothing asserted), per clip and in total, on ``../shared/testdata/speech/`` (4 Mandarin, 1 English):

* faster-whisper: CER (Mandarin, Simplified, punctuation removed) / WER (English) and real-time factor
  (decode seconds per audio second; the best of ``--repeat`` runs, because other processes share these
  2 cores), greedy vs beam 5, int8 vs float32.
* Short-audio encoding (the utterance plus 3 s of silence instead of Whisper's 30 s window) vs the stock path.
* Domain biasing: no prompt, the generic Simplified prompt, a prompt and hotwords made of the hall's
  vocabulary, and an oracle (hotwords holding the clip's own hard words) that shows whether biasing can
  help at all when the word is in the list.
* transformers (WhisperForConditionalGeneration) on the same weights, converted from the CTranslate2
  file in memory (float16 → float32 tensors): greedy and beam 5.
* End of utterance → text for the 2-second command clip streamed at real-time pace through the VAD and
  the speech worker, split into the VAD's hangover and the decoder's time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import struct
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TESTDATA = ROOT.parent / "shared" / "testdata" / "speech"

import numpy as np  # noqa: E402

from robot_assistant.audio import SAMPLE_RATE, read_wav, resample  # noqa: E402
from robot_assistant.whisper_model import DEFAULT_MODELS_DIR, MODEL_NAME, ensure_model, model_problems  # noqa: E402
from robot_assistant.whisper_stt import (  # noqa: E402
    GENERIC_PROMPT_ZH,
    WhisperRecognizer,
    WhisperSettings,
    domain_prompt,
    domain_terms,
    error_rate,
    load_whisper_model,
    normalise,
)

ORACLE_HOTWORDS = {"zh_aishell_0724.wav": "房地产 中介", "zh_cosyvoice_prompt.wav": "好呦"}


def load_clips() -> list[tuple[str, str, str, np.ndarray]]:
    """(file, language, reference, float32 samples at 16 kHz in [-1, 1]) from MANIFEST.md's table."""
    clips = []
    for line in (TESTDATA / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].endswith(".wav"):
            samples, rate = read_wav(TESTDATA / cells[0])
            clips.append((cells[0], cells[1], cells[2], (resample(samples, rate) / 32768.0).astype(np.float32)))
    return clips


def show(label: str, value: str) -> None:
    print(f"  {label:<46} {value}")


class Row:
    """One configuration's results over all clips."""

    def __init__(self, name: str) -> None:
        self.name, self.per_clip = name, []

    def add(self, clip: str, language: str, text: str, reference: str, audio_s: float, decode_s: float) -> None:
        edits, length = error_rate(text, reference, language)
        self.per_clip.append({"clip": clip, "language": language, "text": text, "edits": edits, "length": length,
                              "audio_s": audio_s, "decode_s": decode_s})

    def rate(self, language: str) -> float:
        rows = [r for r in self.per_clip if r["language"] == language]
        return sum(r["edits"] for r in rows) / max(1, sum(r["length"] for r in rows))

    def rtf(self, language: str | None = None) -> float:
        rows = [r for r in self.per_clip if language in (None, r["language"])]
        return sum(r["decode_s"] for r in rows) / max(1e-9, sum(r["audio_s"] for r in rows))

    def print(self, per_clip: bool = True) -> None:
        print(f"{self.name}: zh CER {self.rate('zh'):.1%}, en WER {self.rate('en'):.1%}, "
              f"RTF {self.rtf():.2f} (zh {self.rtf('zh'):.2f}, en {self.rtf('en'):.2f})")
        if per_clip:
            for r in self.per_clip:
                unit = "CER" if r["language"] == "zh" else "WER"
                print(f"    {r['clip']:<26} {unit} {r['edits']}/{r['length']:<3} RTF {r['decode_s'] / r['audio_s']:.2f} "
                      f"({r['decode_s']:.2f} s)  {r['text'][:70]}")

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "zh_cer": self.rate("zh"), "en_wer": self.rate("en"), "rtf": self.rtf(),
                "per_clip": self.per_clip}


# ------------------------------------------------------------------------------------ faster-whisper


def run_faster_whisper(name: str, clips: list, settings: WhisperSettings, repeat: int,
                       hotwords_for: dict[str, str] | None = None) -> Row:
    row = Row(name)
    for clip, language, reference, audio in clips:
        s = settings
        if language != "zh":  # prompts are Mandarin-only (settings_from_config does the same)
            s = replace(s, prompt=None, hotwords=None)
        elif hotwords_for is not None:
            s = replace(s, hotwords=hotwords_for.get(clip))
        rec = WhisperRecognizer(s, language)
        best, text = math.inf, ""
        for _ in range(repeat):
            t0 = time.perf_counter()
            raw, _conf, _silent = rec.decode(audio)
            best = min(best, time.perf_counter() - t0)
            text = normalise(raw, language)
        row.add(clip, language, text, reference, audio.size / SAMPLE_RATE, best)
    return row


# -------------------------------------------------------------------------------------- transformers


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 model.bin (format version 6: name, rank, shape, dtype, bytes)."""
    dtypes = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
    blob = path.read_bytes()
    pos = 0

    def take(fmt: str) -> tuple:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, blob, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    def text() -> str:
        nonlocal pos
        (n,) = take("H")
        pos += n
        return blob[pos - n : pos - 1].decode()

    (version,) = take("I")
    if version != 6:
        raise ValueError(f"CTranslate2 model format {version} is not the one this reader knows (6)")
    text()
    take("I")
    (count,) = take("I")
    out = {}
    for _ in range(count):
        name = text()
        (rank,) = take("B")
        shape = take("I" * rank) if rank else ()
        dtype, nbytes = take("B")[0], take("I")[0]
        out[name] = np.frombuffer(blob, dtypes[dtype], nbytes // np.dtype(dtypes[dtype]).itemsize, pos).reshape(shape)
        pos += nbytes
    return out


def ct2_to_transformers(folder: Path) -> Any:
    """WhisperForConditionalGeneration (float32) with whisper-base's weights from the CTranslate2 folder.

    The CTranslate2 converter fused q/k/v (self-attention) and k/v (cross-attention) and gave the key
    projections a zero bias; this splits them back. Sizes come from the tensors.
    """
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    w = read_ct2(folder / "model.bin")
    layers = lambda side: len({k.split("/")[1] for k in w if re.match(rf"{side}/layer_\d+/", k)})  # noqa: E731
    d_model = w["encoder/conv1/bias"].shape[0]
    config = WhisperConfig(
        vocab_size=w["decoder/embeddings/weight"].shape[0], num_mel_bins=w["encoder/conv1/weight"].shape[1],
        encoder_layers=layers("encoder"), decoder_layers=layers("decoder"), d_model=d_model,
        encoder_attention_heads=int(w["encoder/num_heads"]), decoder_attention_heads=int(w["decoder/num_heads"]),
        encoder_ffn_dim=w["encoder/layer_0/ffn/linear_0/weight"].shape[0],
        decoder_ffn_dim=w["decoder/layer_0/ffn/linear_0/weight"].shape[0],
        max_source_positions=w["encoder/position_encodings/encodings"].shape[0],
        max_target_positions=w["decoder/position_encodings/encodings"].shape[0],
        decoder_start_token_id=50258, pad_token_id=50257, bos_token_id=50257, eos_token_id=50257)
    sd: dict[str, np.ndarray] = {}

    def linear(dst: str, src: str, bias: bool = True) -> None:
        sd[f"{dst}.weight"] = w[f"{src}/weight"]
        if bias:
            sd[f"{dst}.bias"] = w[f"{src}/bias"]

    def norm(dst: str, src: str) -> None:
        sd[f"{dst}.weight"], sd[f"{dst}.bias"] = w[f"{src}/gamma"], w[f"{src}/beta"]

    def split(dst: str, src: str, names: tuple[str, ...]) -> None:
        ws, bs = np.split(w[f"{src}/weight"], len(names)), np.split(w[f"{src}/bias"], len(names))
        for name, wt, b in zip(names, ws, bs, strict=True):
            sd[f"{dst}.{name}.weight"] = wt
            if name != "k_proj":  # Whisper's key projections have no bias (CTranslate2 stores zeros)
                sd[f"{dst}.{name}.bias"] = b

    for conv in ("conv1", "conv2"):
        linear(f"model.encoder.{conv}", f"encoder/{conv}")
    sd["model.encoder.embed_positions.weight"] = w["encoder/position_encodings/encodings"]
    norm("model.encoder.layer_norm", "encoder/layer_norm")
    for i in range(config.encoder_layers):
        dst, src = f"model.encoder.layers.{i}", f"encoder/layer_{i}"
        split(f"{dst}.self_attn", f"{src}/self_attention/linear_0", ("q_proj", "k_proj", "v_proj"))
        linear(f"{dst}.self_attn.out_proj", f"{src}/self_attention/linear_1")
        norm(f"{dst}.self_attn_layer_norm", f"{src}/self_attention/layer_norm")
        linear(f"{dst}.fc1", f"{src}/ffn/linear_0")
        linear(f"{dst}.fc2", f"{src}/ffn/linear_1")
        norm(f"{dst}.final_layer_norm", f"{src}/ffn/layer_norm")
    sd["model.decoder.embed_tokens.weight"] = w["decoder/embeddings/weight"]
    sd["model.decoder.embed_positions.weight"] = w["decoder/position_encodings/encodings"]
    norm("model.decoder.layer_norm", "decoder/layer_norm")
    for i in range(config.decoder_layers):
        dst, src = f"model.decoder.layers.{i}", f"decoder/layer_{i}"
        split(f"{dst}.self_attn", f"{src}/self_attention/linear_0", ("q_proj", "k_proj", "v_proj"))
        linear(f"{dst}.self_attn.out_proj", f"{src}/self_attention/linear_1")
        norm(f"{dst}.self_attn_layer_norm", f"{src}/self_attention/layer_norm")
        linear(f"{dst}.encoder_attn.q_proj", f"{src}/attention/linear_0")
        split(f"{dst}.encoder_attn", f"{src}/attention/linear_1", ("k_proj", "v_proj"))
        linear(f"{dst}.encoder_attn.out_proj", f"{src}/attention/linear_2")
        norm(f"{dst}.encoder_attn_layer_norm", f"{src}/attention/layer_norm")
        linear(f"{dst}.fc1", f"{src}/ffn/linear_0")
        linear(f"{dst}.fc2", f"{src}/ffn/linear_1")
        norm(f"{dst}.final_layer_norm", f"{src}/ffn/layer_norm")
    model = WhisperForConditionalGeneration(config)
    tensors = {k: torch.from_numpy(v.astype(np.float32)) for k, v in sd.items()}
    tensors["proj_out.weight"] = tensors["model.decoder.embed_tokens.weight"]
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if missing or unexpected:
        raise ValueError(f"conversion incomplete: missing {missing}, unexpected {unexpected}")
    return model.eval()


def run_transformers(clips: list, folder: Path, repeat: int) -> list[Row]:
    import tokenizers
    import torch
    from transformers import GenerationMixin, WhisperFeatureExtractor

    torch.set_num_threads(os.cpu_count() or 2)
    t0 = time.perf_counter()
    model = ct2_to_transformers(folder)
    show("transformers: convert + build model", f"{time.perf_counter() - t0:.1f} s")
    tok = tokenizers.Tokenizer.from_file(str(folder / "tokenizer.json"))
    ct2_config = json.loads((folder / "config.json").read_text())
    features = WhisperFeatureExtractor(feature_size=model.config.num_mel_bins)  # pads to 30 s: the encoder insists
    ids = {t: tok.token_to_id(t) for t in ("<|startoftranscript|>", "<|transcribe|>", "<|notimestamps|>",
                                          "<|zh|>", "<|en|>", "<|endoftext|>")}
    rows = []
    for beams in (1, 5):
        row = Row(f"transformers float32 beam {beams} (30 s window)")
        for clip, language, reference, audio in clips:
            prompt = torch.tensor([[ids["<|startoftranscript|>"], ids[f"<|{language}|>"], ids["<|transcribe|>"],
                                    ids["<|notimestamps|>"]]])
            best, text = math.inf, ""
            for _ in range(repeat):
                t0 = time.perf_counter()
                mel = features(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt").input_features
                with torch.inference_mode():
                    out = GenerationMixin.generate(  # the plain generator: Whisper's own wants hub-made configs
                        model, input_features=mel, decoder_input_ids=prompt, num_beams=beams, do_sample=False,
                        max_new_tokens=200, eos_token_id=ids["<|endoftext|>"], pad_token_id=ids["<|endoftext|>"],
                        suppress_tokens=ct2_config["suppress_ids"],
                        begin_suppress_tokens=ct2_config["suppress_ids_begin"])
                best = min(best, time.perf_counter() - t0)
                text = normalise(tok.decode(out[0, prompt.shape[1]:].tolist(), skip_special_tokens=True), language)
            row.add(clip, language, text, reference, audio.size / SAMPLE_RATE, best)
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------------- latency


def bench_latency(settings: WhisperSettings, clip: tuple, repeat: int) -> dict[str, float]:
    """A WAV at real-time pace (1 s silence, the command, 2 s silence, -60 dBFS noise) through VAD + worker."""
    from core.events import EventBus, Transcript
    from robot_assistant.audio import ArraySource
    from robot_assistant.speech_worker import ListenWorker
    from robot_assistant.vad import Segmenter

    name, language, _ref, audio = clip
    pcm = audio * 32768.0
    rng = np.random.default_rng(0)
    stream = np.concatenate([np.zeros(SAMPLE_RATE), pcm, np.zeros(2 * SAMPLE_RATE)]).astype(np.float32)
    stream += rng.normal(0, 33, stream.size).astype(np.float32)
    speech_end_s = 1.0 + np.flatnonzero(np.abs(pcm) > 300)[-1] / SAMPLE_RATE
    rec = WhisperRecognizer(settings, language)
    runs = []
    for _ in range(repeat):
        bus = EventBus()
        sub = bus.subscribe(Transcript)
        worker = ListenWorker(bus, ArraySource(stream, realtime=True), rec, language=language)
        t0 = time.perf_counter()
        worker.start()
        final_at, text = None, ""
        while final_at is None and time.perf_counter() - t0 < 30:
            event = sub.get(timeout=0.5)
            if isinstance(event, Transcript) and event.final:
                final_at, text = time.perf_counter() - t0, event.text
        worker.stop()
        if final_at is not None:
            runs.append((final_at - speech_end_s, worker.stats.final_latencies_s[0], text))
    hangover = Segmenter().hangover_frames * Segmenter().frame_s
    print(f"end of utterance -> text: {name} ({audio.size / SAMPLE_RATE:.2f} s) at real-time pace, median of {len(runs)}")
    if not runs:
        show("final transcript", "none within 30 s")
        return {}
    total = statistics.median(r[0] for r in runs)
    decoder = statistics.median(r[1] for r in runs)
    show("speech ends -> final Transcript", f"{total * 1000:.0f} ms (runs: {', '.join(f'{r[0] * 1000:.0f}' for r in runs)})")
    show("  of which VAD hangover (waiting for silence)", f"{hangover * 1000:.0f} ms")
    show("  of which decoding after the VAD's end", f"{decoder * 1000:.0f} ms")
    show("text", runs[0][2])
    return {"speech_end_to_text_s": total, "decoder_s": decoder, "vad_hangover_s": hangover}


# ---------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="timing runs per clip (the best counts)")
    parser.add_argument("--no-transformers", action="store_true", help="skip the transformers comparison")
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    parser.add_argument("--clips", action="store_true",
                        help="only the shipped settings on every clip: short audio on/off, language detection, "
                             "confidence of good and bad transcripts")
    args = parser.parse_args()
    if args.clips:
        return bench_clips()
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load average {load[0]:.1f} (other processes slow decoding: compare like with like)")
    default = DEFAULT_MODELS_DIR / MODEL_NAME
    tmp = None
    if model_problems(default):
        tmp = tempfile.TemporaryDirectory()
        folder = ensure_model(tmp.name)
    else:
        folder = default
    clips = load_clips()
    print(f"model {folder}; clips: " + ", ".join(f"{c[0]} {c[3].size / SAMPLE_RATE:.1f} s" for c in clips))
    results: dict[str, Any] = {"load_average": load[0], "rows": []}
    for compute in ("int8", "float32"):
        t0 = time.perf_counter()
        load_whisper_model(folder, compute)
        show(f"faster-whisper load ({compute})", f"{time.perf_counter() - t0:.2f} s")

    def report(row: Row, per_clip: bool = True) -> Row:
        row.print(per_clip)
        results["rows"].append(row.as_dict())
        return row

    print("\n== faster-whisper: greedy vs beam 5, int8 vs float32 (no prompt, short-audio encoding)")
    for compute in ("int8", "float32"):
        for beam in (1, 5):
            report(run_faster_whisper(f"fw {compute} beam {beam}", clips, WhisperSettings(folder, compute, beam), args.repeat))

    print("\n== short-audio encoding vs Whisper's 30 s window (int8 beam 5)")
    report(run_faster_whisper("fw int8 beam 5, 30 s window", clips,
                              WhisperSettings(folder, "int8", 5, short_audio=False), args.repeat))

    config = _config()
    terms, prompt = " ".join(domain_terms(config, 20)), domain_prompt(config)
    print("\n== domain biasing (int8 beam 5; Mandarin only): what whisper_prompt / whisper_hotwords = domain give")
    show("domain prompt (24 terms)", prompt[:60] + "…")
    show("domain hotwords (20 terms)", terms[:60] + "…")
    for name, kwargs in (("generic prompt", {"prompt": GENERIC_PROMPT_ZH}),
                         ("domain prompt", {"prompt": prompt}),
                         ("domain hotwords", {"hotwords": terms})):
        report(run_faster_whisper(f"fw int8 beam 5 + {name}", clips, WhisperSettings(folder, "int8", 5, **kwargs),
                                  args.repeat))
    report(run_faster_whisper("fw int8 beam 5 + oracle hotwords (the clip's own hard words)", clips,
                              WhisperSettings(folder, "int8", 5), 1, hotwords_for=ORACLE_HOTWORDS))

    if not args.no_transformers:
        print("\n== transformers on the same weights")
        try:
            for row in run_transformers(clips, folder, args.repeat):
                report(row)
        except Exception as exc:  # report, do not lose the other numbers
            print(f"  transformers comparison failed: {type(exc).__name__}: {exc}")

    print()
    command = next(c for c in clips if c[0] == "zh_command_it0011.wav")
    results["latency"] = bench_latency(WhisperSettings(folder, "int8", 5), command, max(3, args.repeat))
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    if tmp is not None:
        tmp.cleanup()
    return 0


def bench_clips() -> int:
    """The shipped Whisper settings on every real clip (MANIFEST.md), each setting that is a choice
    compared on the same clips: short-audio encoding on/off, language detection on/off (English clips
    with the site language zh). Prints per clip and totals; also the confidence of right transcripts
    against hallucinations (English forced through zh, noise), to place ``whisper_min_confidence``."""
    from core.config import load_config
    from robot_assistant.voice.textnorm import normalize
    from robot_assistant.whisper_stt import settings_from_config

    shipped = settings_from_config(load_config(environ={}), "zh")
    clips = load_clips()
    n_zh = sum(c[1] == "zh" for c in clips)
    print(f"{len(clips)} clips ({n_zh} zh, {len(clips) - n_zh} en); shipped: beam {shipped.beam_size}, "
          f"{shipped.compute_type}, short_audio {shipped.short_audio}, detect_language {shipped.detect_language}")
    variants = {
        "short audio on (margin 3 s), detect": replace(shipped, short_audio=True, detect_language=True),
        "short audio on (margin 6 s), detect": replace(shipped, short_audio=True, detect_language=True,
                                                        encode_margin_s=6.0),
        "short audio on (margin 10 s), detect": replace(shipped, short_audio=True, detect_language=True,
                                                         encode_margin_s=10.0),
        "short audio off, detect": replace(shipped, short_audio=False, detect_language=True),
        "short audio on, forced zh": replace(shipped, short_audio=True, detect_language=False),
        "short audio off, forced zh": replace(shipped, short_audio=False, detect_language=False),
    }
    table: dict[str, dict[str, Any]] = {}
    confidences: dict[str, list[float]] = {"right (CER<=20%)": [], "wrong (CER>50%)": [], "forced zh on en": []}
    for label, settings in variants.items():
        rec = WhisperRecognizer(settings, "zh")
        totals = {"zh": [0, 0], "en": [0, 0]}
        rows = []
        t_dec = t_audio = 0.0
        for name, lang, ref, audio in clips:
            rec.accept((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
            res = rec.finish()
            hyp = normalize(res.text) if lang == "zh" else res.text
            e, n = error_rate(hyp, normalize(ref) if lang == "zh" else ref, lang)
            totals[lang][0] += e
            totals[lang][1] += n
            t_dec, t_audio = t_dec + res.decode_s, t_audio + res.audio_s
            rows.append((name, lang, res.language, e / max(n, 1), res.confidence, res.text))
            if settings == shipped and res.confidence is not None:
                key = "right (CER<=20%)" if e / max(n, 1) <= 0.2 else "wrong (CER>50%)" if e / max(n, 1) > 0.5 else ""
                if key:
                    confidences[key].append(res.confidence)
            if label == "short audio on, forced zh" and lang == "en" and res.confidence is not None:
                confidences["forced zh on en"].append(res.confidence)
        table[label] = {"zh_cer": totals["zh"][0] / max(totals["zh"][1], 1),
                        "en_wer": totals["en"][0] / max(totals["en"][1], 1), "rtf": t_dec / max(t_audio, 1e-9),
                        "rows": rows}
        print(f"\n== {label}")
        for name, lang, heard_lang, err, conf, text in rows:
            print(f"  {name:<34} {lang}->{heard_lang} {'CER' if lang == 'zh' else 'WER'} {err:6.1%} "
                  f"conf {conf if conf is None else round(conf, 2)!s:<5} {text[:40]}")
    rng = np.random.default_rng(7)
    rec = WhisperRecognizer(shipped, "zh")
    for kind, audio in (("white noise 2 s", rng.normal(0, 0.05, 2 * SAMPLE_RATE)),
                        ("hum 50 Hz 2 s", 0.2 * np.sin(np.arange(2 * SAMPLE_RATE) * 2 * np.pi * 50 / SAMPLE_RATE))):
        rec.accept((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
        res = rec.finish()
        print(f"  {kind}: {res.text!r} conf {res.confidence} reason {res.reason!r}")
        if res.text and res.confidence is not None:
            confidences.setdefault("noise", []).append(res.confidence)
    print(f"\n| setting | Mandarin CER ({n_zh} clips) | English WER ({len(clips) - n_zh} clips) | RTF |")
    print("|---|---|---|---|")
    for label, t in table.items():
        mark = " (shipped)" if variants[label] == shipped else ""
        print(f"| {label}{mark} | {t['zh_cer']:.1%} | {t['en_wer']:.1%} | {t['rtf']:.2f} |")
    ship = next(t for label, t in table.items() if variants[label] == shipped)
    print(f"\nMandarin CER of the shipped settings on the {n_zh} shared Mandarin clips: {ship['zh_cer']:.1%} "
          f"(English WER {ship['en_wer']:.1%} on {len(clips) - n_zh}; RTF {ship['rtf']:.2f})")
    print("\nconfidence (exp mean token log-probability), shipped settings:")
    for key, values in confidences.items():
        if values:
            print(f"  {key:<20} n={len(values):<3} min {min(values):.2f}  median {statistics.median(values):.2f}  "
                  f"max {max(values):.2f}")
    return 0


def _config() -> Any:
    from core.config import load_config

    return load_config()


if __name__ == "__main__":
    raise SystemExit(main())
