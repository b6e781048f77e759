"""Where the assistant's audio comes from: a microphone, or a WAV file standing in for one.

Why an interface: tests and benchmarks feed real recordings through exactly the code path the
microphone uses (VAD → recogniser), so the recogniser is exercised for real on a machine with no sound
card. Every source delivers the same thing — 16 kHz mono signed 16-bit little-endian PCM in short
chunks — because that is what vosk and the VAD expect; resampling happens here, once.

The microphone belongs to one worker thread (the device is opened once). With no device PortAudio
raises ``PortAudioError``; that becomes :class:`AudioSourceUnavailable` with a sentence a site
administrator can act on, so the caller degrades to touch-only instead of crashing.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
import wave
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

import numpy as np

#: What every source delivers: the rate vosk models are trained at.
SAMPLE_RATE = 16000
#: Chunk length in milliseconds: short enough for live partials, long enough to keep overhead low.
CHUNK_MS = 100


class AudioSourceUnavailable(RuntimeError):
    """The source cannot deliver audio (no device, unreadable file); the message says what to do."""


class AudioSource(ABC):
    """A stream of 16 kHz mono int16 PCM chunks (``bytes``); ``read`` returns None at the end."""

    sample_rate: int = SAMPLE_RATE

    @abstractmethod
    def open(self) -> None:
        """Acquire the device or file; raises AudioSourceUnavailable with a clear reason."""

    @abstractmethod
    def read(self, timeout: float | None = None) -> bytes | None:
        """The next chunk, ``b""`` when none arrived within ``timeout``, None when the stream ended."""

    @abstractmethod
    def close(self) -> None:
        """Release the device; safe to call twice."""

    def chunks(self) -> Iterator[bytes]:
        """All chunks until the end (opens and closes the source)."""
        self.open()
        try:
            while (chunk := self.read(timeout=0.5)) is not None:
                if chunk:
                    yield chunk
        finally:
            self.close()

    def __enter__(self) -> AudioSource:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence what C libraries write to file descriptor 2 meanwhile (ALSA's "cannot find card" lines
    when PortAudio probes a machine without sound hardware); Python's own errors are raised as usual."""
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all (a daemon): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# ------------------------------------------------------------------------------------------ resampling


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) array; a 1-D array is returned as is."""
    if samples.ndim == 1:
        return samples
    return samples.mean(axis=1)


def resample(samples: np.ndarray, rate_in: int, rate_out: int = SAMPLE_RATE, *,
             use_scipy: bool | None = None) -> np.ndarray:
    """Resample float or int samples to ``rate_out``; returns float32 in the input's scale.

    scipy's polyphase filter is used when scipy is importable (it is in the lock file, not a direct
    requirement); otherwise a windowed-sinc low-pass (when downsampling, so 24 kHz clips do not alias
    into the speech band) followed by linear interpolation, which is plenty for speech recognition.
    """
    x = np.asarray(samples, dtype=np.float32)
    if rate_in == rate_out or x.size == 0:
        return x
    if use_scipy is not False:
        try:
            from math import gcd

            from scipy.signal import resample_poly

            g = gcd(rate_in, rate_out)
            return resample_poly(x, rate_out // g, rate_in // g).astype(np.float32)
        except ImportError:
            if use_scipy:
                raise
    if rate_out < rate_in:
        cutoff = 0.45 * rate_out / rate_in  # of the input rate, a little under the new Nyquist
        taps = np.arange(-32, 33, dtype=np.float32)
        kernel = 2 * cutoff * np.sinc(2 * cutoff * taps) * np.hamming(taps.size).astype(np.float32)
        x = np.convolve(x, kernel / kernel.sum(), mode="same").astype(np.float32)
    n_out = int(round(x.size * rate_out / rate_in))
    t_out = np.arange(n_out, dtype=np.float64) * (rate_in / rate_out)
    return np.interp(t_out, np.arange(x.size), x).astype(np.float32)


def to_int16_bytes(samples: np.ndarray) -> bytes:
    """Clip float samples in int16 scale to int16 little-endian PCM bytes."""
    return np.clip(np.round(samples), -32768, 32767).astype("<i2").tobytes()


def read_wav(path: Path | str) -> tuple[np.ndarray, int]:
    """A WAV file as (float32 mono samples in int16 scale, sample rate).

    Parses the RIFF chunks itself because the standard ``wave`` module refuses IEEE-float files
    (format 3), and real clips come that way (the CosyVoice prompt in the test data is 32-bit float,
    24 kHz). Handles integer PCM of 8/16/24/32 bits, float32/64, and WAVE_FORMAT_EXTENSIBLE.
    """
    path = Path(path)
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise AudioSourceUnavailable(f"cannot read {path}: {exc}") from exc
    if len(blob) < 12 or blob[:4] != b"RIFF" or blob[8:12] != b"WAVE":
        raise AudioSourceUnavailable(f"{path} is not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int] | None = None
    raw = None
    pos = 12
    while pos + 8 <= len(blob):
        cid, size = blob[pos : pos + 4], int.from_bytes(blob[pos + 4 : pos + 8], "little")
        body = blob[pos + 8 : pos + 8 + size]
        if cid == b"fmt " and len(body) >= 16:
            tag = int.from_bytes(body[0:2], "little")
            if tag == 0xFFFE and len(body) >= 26:  # extensible: the real tag opens the sub-format GUID
                tag = int.from_bytes(body[24:26], "little")
            fmt = (tag, int.from_bytes(body[2:4], "little"), int.from_bytes(body[4:8], "little"),
                   int.from_bytes(body[14:16], "little"))
        elif cid == b"data":
            raw = body
        pos += 8 + size + (size & 1)
    if fmt is None or raw is None:
        raise AudioSourceUnavailable(f"{path}: WAV file without a fmt or data chunk")
    tag, channels, rate, bits = fmt
    width = bits // 8
    raw = raw[: len(raw) - len(raw) % max(1, width * channels)]
    if tag == 3 and width in (4, 8):
        data = np.frombuffer(raw, "<f4" if width == 4 else "<f8").astype(np.float32) * 32768.0
    elif tag == 1 and width == 1:
        data = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) * 256.0
    elif tag == 1 and width == 2:
        data = np.frombuffer(raw, "<i2").astype(np.float32)
    elif tag == 1 and width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        data = (((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8) >> 8).astype(np.float32) / 256.0
    elif tag == 1 and width == 4:
        data = np.frombuffer(raw, "<i4").astype(np.float32) / 65536.0
    else:
        raise AudioSourceUnavailable(f"{path}: unsupported WAV encoding (format {tag}, {bits} bits)")
    if channels < 1 or rate < 1:
        raise AudioSourceUnavailable(f"{path}: WAV header says {channels} channels at {rate} Hz")
    return to_mono(data.reshape(-1, channels)), rate


def read_audio(path: Path | str) -> tuple[np.ndarray, int]:
    """Any audio file libsndfile reads (WAV of any rate and width, FLAC, OGG, AIFF…) as (float32 mono
    samples in int16 scale, sample rate), through soundfile; :func:`read_wav` where soundfile is missing.

    Every way a file can be unusable becomes :class:`AudioSourceUnavailable` with a one-line reason (no
    such file, empty, not audio at all), so callers print it instead of a traceback.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioSourceUnavailable(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioSourceUnavailable(f"{path}: the file is empty")
    try:
        import soundfile as sf
    except (ImportError, OSError):  # soundfile or its bundled libsndfile missing: the WAV reader still works
        return read_wav(path)
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        detail = str(exc).split(": ", 1)[-1].strip() or type(exc).__name__
        raise AudioSourceUnavailable(f"{path}: not an audio file libsndfile can read ({detail})") from exc
    except OSError as exc:
        raise AudioSourceUnavailable(f"cannot read {path}: {exc}") from exc
    if data.shape[0] == 0:
        raise AudioSourceUnavailable(f"{path}: the file holds no samples")
    return to_mono(data * 32768.0), int(rate)


def write_wav(path: Path | str, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    """Write mono float (int16 scale) or int16 samples as a 16-bit PCM WAV."""
    path = Path(path)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(to_int16_bytes(np.asarray(samples, dtype=np.float32)))
    return path


# ---------------------------------------------------------------------------------------- file sources


class ArraySource(AudioSource):
    """Samples already in memory, streamed in chunks — at real-time pace, or as fast as possible.

    Real-time pacing makes a file behave like a microphone (latency measurements mean something);
    ``realtime=False`` is for tests and batch decoding.
    """

    def __init__(self, samples: np.ndarray, rate: int = SAMPLE_RATE, *, realtime: bool = False,
                 chunk_ms: int = CHUNK_MS, name: str = "array") -> None:
        self.name = name
        self.pcm = to_int16_bytes(resample(to_mono(np.asarray(samples)), rate, SAMPLE_RATE))
        self.realtime = realtime
        self.chunk_bytes = SAMPLE_RATE * chunk_ms // 1000 * 2
        self._pos = 0
        self._t0 = 0.0
        self._opened = False

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 2 / SAMPLE_RATE

    def open(self) -> None:
        self._pos = 0
        self._t0 = time.monotonic()
        self._opened = True

    def read(self, timeout: float | None = None) -> bytes | None:
        if not self._opened:
            raise RuntimeError(f"{self.name}: read() before open()")
        if self._pos >= len(self.pcm):
            return None
        chunk = self.pcm[self._pos : self._pos + self.chunk_bytes]
        self._pos += len(chunk)
        if self.realtime:
            due = self._t0 + self._pos / 2 / SAMPLE_RATE
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        return chunk

    def close(self) -> None:
        self._opened = False


class WavFileSource(ArraySource):
    """An audio file standing in for the microphone: WAV of any rate/width/channels, or anything else
    libsndfile reads (FLAC, OGG), delivered as 16 kHz mono."""

    def __init__(self, path: Path | str, *, realtime: bool = False, chunk_ms: int = CHUNK_MS,
                 pad_s: tuple[float, float] = (0.0, 0.0)) -> None:
        samples, rate = read_audio(path)
        self.path = Path(path)
        self.original_rate = rate
        if pad_s != (0.0, 0.0):
            samples = np.concatenate([np.zeros(int(pad_s[0] * rate), np.float32), samples,
                                      np.zeros(int(pad_s[1] * rate), np.float32)])
        super().__init__(samples, rate, realtime=realtime, chunk_ms=chunk_ms, name=str(path))


# ---------------------------------------------------------------------------------------- microphone


class MicrophoneSource(AudioSource):
    """The configured input device through sounddevice, opened at 16 kHz mono int16.

    The PortAudio callback only copies bytes into a queue (it runs on PortAudio's thread and must
    never block); the owning worker reads the queue. ALSA's default device converts the rate; a raw
    ``hw:`` device that cannot do 16 kHz fails at open with PortAudio's message.
    """

    def __init__(self, device: int | str | None = None, *, chunk_ms: int = CHUNK_MS,
                 max_queued_s: float = 30.0) -> None:
        self.device = device
        self.name = f"microphone {device if device is not None else '(default)'}"
        self.blocksize = SAMPLE_RATE * chunk_ms // 1000
        self._queue: queue.Queue[bytes] = queue.Queue(maxsize=max(1, int(max_queued_s * 1000 / chunk_ms)))
        self._stream = None
        self._closed = threading.Event()
        self.dropped_chunks = 0
        self.overflows = 0

    def _callback(self, indata, frames, time_info, status) -> None:
        if status and status.input_overflow:
            self.overflows += 1
        try:
            self._queue.put_nowait(bytes(indata))
        except queue.Full:
            self.dropped_chunks += 1  # the reader stalled; dropping beats blocking PortAudio

    def open(self) -> None:
        try:
            with quiet_native_stderr():
                import sounddevice as sd
        except (OSError, ImportError) as exc:  # libportaudio2 missing makes the import raise OSError
            raise AudioSourceUnavailable(
                f"microphone unavailable: sounddevice/PortAudio cannot load ({exc}); "
                "apt-get install libportaudio2 (and pip install sounddevice)"
            ) from exc
        try:
            with quiet_native_stderr():
                sd.query_devices(self.device, kind="input")
            stream = sd.RawInputStream(samplerate=SAMPLE_RATE, channels=1, dtype="int16",
                                       device=self.device, blocksize=self.blocksize, callback=self._callback)
            stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            which = "the default input device" if self.device is None else f"input device {self.device!r}"
            raise AudioSourceUnavailable(
                f"microphone unavailable: {which} cannot be opened at {SAMPLE_RATE} Hz mono ({exc}); "
                "connect a microphone or set devices.microphone — voice input stays off, touch still works"
            ) from exc
        self._stream = stream
        self._closed.clear()

    def read(self, timeout: float | None = None) -> bytes | None:
        if self._closed.is_set():
            return None
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None if self._closed.is_set() else b""

    def close(self) -> None:
        self._closed.set()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
            finally:
                stream.close()


def source_from_spec(spec: int | str | None, *, realtime: bool = True) -> AudioSource:
    """``devices.microphone`` as a source: a path ending in .wav is a file, anything else a device."""
    if isinstance(spec, str) and spec.lower().endswith(".wav"):
        return WavFileSource(spec, realtime=realtime)
    return MicrophoneSource(spec)


if __name__ == "__main__":  # demo: python -m robot_assistant.audio [file.wav]; no argument: 3 s of microphone
    import sys

    src: AudioSource = WavFileSource(sys.argv[1]) if len(sys.argv) > 1 else MicrophoneSource()
    try:
        got = bytearray()
        with src:
            while (chunk := src.read(timeout=0.5)) is not None and len(got) < 3 * 2 * SAMPLE_RATE:
                got += chunk
        level = np.frombuffer(bytes(got), "<i2").astype(np.float32)
        rms = float(np.sqrt(np.mean(level**2))) if level.size else 0.0
        print(f"{src.__class__.__name__}: {level.size / SAMPLE_RATE:.2f} s at {SAMPLE_RATE} Hz, RMS {rms:.0f}")
    except AudioSourceUnavailable as exc:
        print(exc)
