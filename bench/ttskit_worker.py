"""A ttskit 0.3.8 voice for bench/tts_bench.py (a measured candidate, not part of the product).

Runs under a throw-away virtual environment outside the repository, one request per stdin line:

    {"text": "一句话。", "path": "/tmp/x.wav", "speaker": "biaobei"}  ->  {"ok": true, "synth_s": 0.8, "rate": 22050}

How that environment was made (Python 3.11; ttskit's own pins do not install there: PyYAML<=5.4.1 has no
3.11 wheel and does not build, torch<=1.7.1 has no 3.11 wheel):

    python3.11 -m venv /work/ttskit-venv
    pip install --no-deps ttskit==0.3.8
    pip install torch==2.13.0+cpu librosa==0.9.2 'numpy<2' 'setuptools<81' aukit phkit pydub PyYAML \\
        scikit-learn scipy setproctitle tqdm Unidecode webrtcvad-wheels requests inflect

and run with ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` (its checkpoints are whole pickled models, which
torch >= 2.6 refuses to load by default). librosa 0.9.2 needs ``pkg_resources`` (setuptools < 81).
ttskit tries to download resources from its author's server on first use; offline that fails after a
2-s timeout and the bundled multi-speaker model (``mspk``: Mellotron + MelGAN, 22.05 kHz) is used.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # ttskit, tqdm and jieba print: keep the protocol stream clean
    t0 = time.perf_counter()
    import numpy as np
    import soundfile as sf
    from ttskit import sdk_api

    threads = int(os.environ.get("TTSKIT_THREADS", "0"))
    if threads:
        import torch

        torch.set_num_threads(threads)
    sdk_api.tts_sdk_base("你好。", speaker="biaobei", audio="24")  # loads the models
    out.write(json.dumps({"ready": True, "load_s": time.perf_counter() - t0}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            break
        req = json.loads(line)
        t = time.perf_counter()
        try:
            speaker = req.get("speaker", "biaobei")
            audio = str(sorted(sdk_api._speaker_dict.items(), key=lambda kv: kv[0])[
                [v for _, v in sorted(sdk_api._speaker_dict.items())].index(speaker)][0])
            wav_bytes = sdk_api.tts_sdk_base(req["text"], speaker=speaker, audio=audio)
            import io

            samples, rate = sf.read(io.BytesIO(wav_bytes), dtype="int16")
            sf.write(req["path"], np.asarray(samples), rate, subtype="PCM_16")
            out.write(json.dumps({"ok": True, "synth_s": time.perf_counter() - t, "rate": rate}) + "\n")
        except Exception as exc:  # report, keep serving
            out.write(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
