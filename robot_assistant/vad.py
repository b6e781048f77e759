"""Cut the microphone stream into utterances, so the slow recogniser only ever sees speech.

Why energy with hysteresis rather than webrtcvad: the kiosk stands in a quiet lobby with a close
microphone, the decision has to be cheap (it runs on the capture thread, which must keep up with
PortAudio), and it adds no dependency. The floor adapts to the room: speech starts when the level
stays ``start_margin_db`` above the noise floor for ``min_speech_ms`` (one click does not start an
utterance), and ends only after ``hangover_ms`` below the lower ``stop_margin_db`` (pauses between
words do not split a sentence). ``preroll_ms`` of audio before the trigger is kept, so the first
syllable is not clipped.

``detector="silero"`` (the default where faster-whisper is installed: ``default_detector``) decides
"voice or not" with Silero VAD v6 — the ONNX model shipped inside faster-whisper, run on each 32 ms
window with its state carried (:class:`SileroDetector`) — instead of the level: measured on every real
Mandarin clip between stretches of background (``bench/vad_bench.py``), the energy trigger kept 54–60 s of
every minute of steady noise inside utterances (it fires on the noise before its floor has adapted and
then never ends), Silero about 2 s, both catching every clip. Neither can tell the hall's own narration
from a visitor: the microphone is gated while the terminal speaks (``speech_worker``).

Push-to-talk overrides the detector: while the button is held everything is speech; releasing it ends
the utterance at once. In ``mode="push_to_talk"`` the energy trigger is off (for noisy halls).

Calls to :meth:`Segmenter.push_to_talk_start` / ``_stop`` may come from the UI thread; they take effect
at the next :meth:`Segmenter.process` call on the capture thread (at most one chunk later).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

import numpy as np

from robot_assistant.audio import SAMPLE_RATE

EventKind = Literal["start", "audio", "end"]


@dataclass(frozen=True)
class Utterance:
    """One cut utterance: its audio and where it lies in the stream (seconds from the stream start)."""

    audio: bytes
    """16 kHz mono int16 PCM from ``start_s`` (pre-roll included) to ``end_s`` (hangover included)."""
    start_s: float
    end_s: float
    voiced_start_s: float
    """First frame above the start threshold (or the push-to-talk press)."""
    voiced_end_s: float
    """End of the last frame above the stop threshold (or the push-to-talk release)."""
    reason: str
    """Why it ended: silence | max_length | push_to_talk | end_of_stream."""

    @property
    def duration_s(self) -> float:
        return len(self.audio) / 2 / SAMPLE_RATE


@dataclass(frozen=True)
class VadEvent:
    """``start`` (audio = pre-roll), ``audio`` (speech as it arrives), ``end`` (with the Utterance)."""

    kind: EventKind
    audio: bytes = b""
    t_s: float = 0.0
    utterance: Utterance | None = None


def frame_dbfs(frame: np.ndarray) -> float:
    """RMS level of int16 samples in dB relative to full scale (-100 for digital silence)."""
    if frame.size == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(np.square(frame.astype(np.float64)))))
    return 20.0 * np.log10(max(rms, 1e-5) / 32768.0)


class SileroDetector:
    """Silero VAD v6 (from faster-whisper's assets, onnxruntime) as a streaming speech probability.

    Silero reads 512-sample windows (32 ms at 16 kHz) with the 64 samples before each as context and an
    LSTM state carried from window to window; frames of any size are buffered into such windows.
    """

    WINDOW = 512
    CONTEXT = 64

    def __init__(self, threshold: float = 0.5, neg_threshold: float = 0.35) -> None:
        from faster_whisper.vad import get_vad_model

        self.session = get_vad_model().session
        self.threshold, self.neg_threshold = threshold, neg_threshold
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(self.CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)
        self.probability = 0.0

    def update(self, frame: bytes) -> float:
        """Feed int16 PCM; returns the speech probability of the latest complete window."""
        self._pending = np.concatenate([self._pending, np.frombuffer(frame, "<i2").astype(np.float32) / 32768.0])
        while self._pending.size >= self.WINDOW:
            window, self._pending = self._pending[: self.WINDOW], self._pending[self.WINDOW :]
            batch = np.concatenate([self._context, window])[None, :]
            out, self._h, self._c = self.session.run(None, {"input": batch, "h": self._h, "c": self._c})
            self._context = window[-self.CONTEXT :]
            self.probability = float(np.asarray(out).reshape(-1)[0])
        return self.probability


def default_detector() -> str:
    """"silero" where faster-whisper (and onnxruntime) is installed, else "energy"."""
    import importlib.util

    if importlib.util.find_spec("faster_whisper") and importlib.util.find_spec("onnxruntime"):
        return "silero"
    return "energy"


class Segmenter:
    """VAD (Silero or energy) with an adaptive noise floor, hysteresis, hangover, pre-roll and push-to-talk."""

    def __init__(self, *, mode: Literal["auto", "push_to_talk"] = "auto", frame_ms: int = 30,
                 start_margin_db: float = 12.0, stop_margin_db: float = 6.0,
                 min_start_dbfs: float = -50.0, min_stop_dbfs: float = -56.0,
                 min_speech_ms: int = 90, hangover_ms: int = 600, preroll_ms: int = 300,
                 max_utterance_s: float = 15.0, floor_dbfs: float = -70.0,
                 detector: Literal["energy", "silero"] = "energy") -> None:
        self.mode = mode
        self.detector = SileroDetector() if detector == "silero" else None
        self.frame_bytes = SAMPLE_RATE * frame_ms // 1000 * 2
        self.frame_s = frame_ms / 1000
        self.start_margin_db, self.stop_margin_db = start_margin_db, stop_margin_db
        self.min_start_dbfs, self.min_stop_dbfs = min_start_dbfs, min_stop_dbfs
        self.min_speech_frames = max(1, round(min_speech_ms / frame_ms))
        self.hangover_frames = max(1, round(hangover_ms / frame_ms))
        self.max_frames = int(max_utterance_s / self.frame_s)
        self.floor_dbfs = floor_dbfs
        # Pre-roll counts back from the first voiced frame, so the trigger frames come on top of it.
        self._preroll: deque[bytes] = deque(maxlen=round(preroll_ms / frame_ms) + self.min_speech_frames)
        self._pending = b""
        self._frames_seen = 0
        self._in_speech = False
        self._candidate = 0
        self._silence_run = 0
        self._utt: list[bytes] = []
        self._utt_start = 0.0
        self._voiced_start = 0.0
        self._voiced_end = 0.0
        self._lock = threading.Lock()
        self._ptt_held = False
        self._ptt_request: bool | None = None

    # ------------------------------------------------------------------------------- push-to-talk

    def push_to_talk_start(self) -> None:
        """The talk button went down: speech starts at the next chunk, whatever its level."""
        with self._lock:
            self._ptt_request = True

    def push_to_talk_stop(self) -> None:
        """The talk button came up: the utterance ends at the next chunk (or at ``flush``)."""
        with self._lock:
            self._ptt_request = False

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    # ---------------------------------------------------------------------------------- streaming

    def process(self, chunk: bytes) -> list[VadEvent]:
        """Feed PCM of any length; returns the events it completed."""
        events = self._apply_ptt()
        data = self._pending + chunk
        n = len(data) - len(data) % self.frame_bytes
        self._pending = data[n:]
        for i in range(0, n, self.frame_bytes):
            events.extend(self._frame(data[i : i + self.frame_bytes]))
        return events

    def flush(self) -> list[VadEvent]:
        """End of stream: close an open utterance (a pending push-to-talk release is honoured)."""
        events = self._apply_ptt()
        if self._in_speech:
            events.append(self._end("end_of_stream"))
        self._pending = b""
        return events

    # ---------------------------------------------------------------------------------- internals

    def _now(self) -> float:
        return self._frames_seen * self.frame_s

    def _apply_ptt(self) -> list[VadEvent]:
        with self._lock:
            request, self._ptt_request = self._ptt_request, None
        if request is None:
            return []
        if request and not self._ptt_held:
            self._ptt_held = True
            if not self._in_speech:
                return [self._start(self._now())]
        elif not request and self._ptt_held:
            self._ptt_held = False
            if self._in_speech:
                self._voiced_end = self._now()
                return [self._end("push_to_talk")]
        return []

    def _start(self, voiced_start: float) -> VadEvent:
        self._in_speech = True
        self._silence_run = 0
        self._candidate = 0
        preroll = b"".join(self._preroll)
        self._preroll.clear()
        self._utt = [preroll] if preroll else []
        self._utt_start = self._now() - len(preroll) / 2 / SAMPLE_RATE
        self._voiced_start = voiced_start
        self._voiced_end = self._now()
        return VadEvent("start", preroll, self._utt_start)

    def _end(self, reason: str) -> VadEvent:
        self._in_speech = False
        audio = b"".join(self._utt)
        self._utt = []
        utt = Utterance(audio, self._utt_start, self._utt_start + len(audio) / 2 / SAMPLE_RATE,
                        self._voiced_start, self._voiced_end, reason)
        return VadEvent("end", b"", utt.end_s, utt)

    def _frame(self, frame: bytes) -> list[VadEvent]:
        t = self._now()
        level = frame_dbfs(np.frombuffer(frame, "<i2"))
        start_th = max(self.floor_dbfs + self.start_margin_db, self.min_start_dbfs)
        stop_th = max(self.floor_dbfs + self.stop_margin_db, self.min_stop_dbfs)
        if self.detector is not None:  # Silero decides; the level thresholds become its probability's
            p = self.detector.update(frame)
            level, start_th, stop_th = p, self.detector.threshold, self.detector.neg_threshold
        events: list[VadEvent] = []
        self._frames_seen += 1

        if not self._in_speech:
            if self.detector is None:
                self._track_floor(level)
            self._preroll.append(frame)
            if self.mode == "auto" and level >= start_th:
                self._candidate += 1
                if self._candidate >= self.min_speech_frames:
                    first = t - (self._candidate - 1) * self.frame_s
                    events.append(self._start(first))
                    self._voiced_end = self._now()
            else:
                self._candidate = 0
            return events

        self._utt.append(frame)
        events.append(VadEvent("audio", frame, t))
        if self._ptt_held:
            self._voiced_end = self._now()
            return events
        if level >= stop_th:
            self._silence_run = 0
            self._voiced_end = self._now()
        else:
            self._silence_run += 1
        if self._silence_run >= self.hangover_frames:
            events.append(self._end("silence"))
        elif len(self._utt) >= self.max_frames:
            events.append(self._end("max_length"))
        return events

    def _track_floor(self, level: float) -> None:
        """Follow quiet frames quickly downward and slowly upward (a fan switched on), never into speech."""
        level = max(level, -90.0)
        if level < self.floor_dbfs:
            self.floor_dbfs = 0.7 * self.floor_dbfs + 0.3 * level
        elif level < self.floor_dbfs + self.start_margin_db:
            self.floor_dbfs += 0.02 * (level - self.floor_dbfs)


def cut_utterances(pcm: bytes, chunk_bytes: int = 3200, **options: object) -> list[Utterance]:
    """All utterances in a PCM buffer (a convenience for tests, benchmarks and batch files)."""
    seg = Segmenter(**options)  # type: ignore[arg-type]
    out: list[Utterance] = []
    for i in range(0, len(pcm), chunk_bytes):
        out += [e.utterance for e in seg.process(pcm[i : i + chunk_bytes]) if e.utterance]
    out += [e.utterance for e in seg.flush() if e.utterance]
    return out


if __name__ == "__main__":  # demo: python -m robot_assistant.vad clip.wav
    import sys

    from robot_assistant.audio import WavFileSource

    src = WavFileSource(sys.argv[1], pad_s=(1.0, 1.0))
    for u in cut_utterances(src.pcm):
        print(f"{u.voiced_start_s:6.2f}–{u.voiced_end_s:6.2f} s voiced, {u.duration_s:5.2f} s kept ({u.reason})")
