"""The assistant's ears and mouth as background threads that talk only through the EventBus.

Listening is two threads because decoding is slower than real time on the kiosk's CPU: the capture
thread reads the microphone (or a WAV standing in for it) and runs the cheap VAD, so PortAudio is
always drained; the decoder thread receives only the speech the VAD cut and feeds the recogniser,
publishing ``Transcript(final=False)`` partials as they change and one ``Transcript(final=True)`` per
utterance. Silence never reaches the decoder, so it catches up between sentences.

Speaking is a dispatcher thread (``Speak`` / ``StopSpeaking`` from the bus) and a player thread. Each
queued request carries its own cancel flag, so ``StopSpeaking`` or ``Speak(interrupt=True)`` silences
what is playing and drops what is queued, without racing the player.

Nothing here draws; a missing microphone or model becomes ``DeviceStatus(..., "degraded", why)``
and the thread ends quietly — the kiosk keeps working by touch.

While the terminal speaks, the microphone is gated (``ListenWorker.gate``, wired to the speaker's
``busy``): what it captures is replaced by silence until :data:`GATE_TAIL_S` after the speech ends, so
the assistant never answers its own voice. A transcript the recogniser does not trust (Whisper's low
confidence) is not taken as the question: the assistant says 没听清，请再说一遍 instead.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.events import DeviceStatus, EventBus, Speak, StopSpeaking, Transcript
from robot_assistant.audio import SAMPLE_RATE, AudioSource, AudioSourceUnavailable
from robot_assistant.stt import ModelFolderError, Recognition, SpeechToText
from robot_assistant.tts import NullSink, SpeechOutput, TextToSpeech
from robot_assistant.vad import Segmenter, VadEvent
from robot_assistant.wake import WakeGate

if TYPE_CHECKING:
    from core.config_sections import Config

log = logging.getLogger(__name__)

_END = object()
GATE_TAIL_S = 0.3
"""Microphone stays muted this long after the speaker stops (output buffers and room echo)."""
ASK_AGAIN = {"zh": "没听清，请再说一遍", "en": "Sorry, I didn't catch that. Please say it again."}


@dataclass
class ListenStats:
    utterances: int = 0
    partials: int = 0
    finals: int = 0
    rejected: list[str] = field(default_factory=list)
    """Reasons for utterances that produced no final text (command not accepted, nothing heard)."""
    results: list[Recognition] = field(default_factory=list)
    final_latencies_s: list[float] = field(default_factory=list)
    """Wall time from the VAD's end of utterance to the final Transcript being published."""
    gated_s: float = 0.0
    """Seconds of microphone audio muted because the terminal was speaking."""
    asked_again: int = 0
    """Utterances answered with 没听清，请再说一遍 (low confidence)."""


class ListenWorker:
    """AudioSource → Segmenter (capture thread) → SpeechToText (decoder thread) → Transcript events."""

    def __init__(self, bus: EventBus, source: AudioSource, stt: SpeechToText | Callable[[], SpeechToText],
                 *, segmenter: Segmenter | None = None, language: str | None = None,
                 partials: bool = True, wake: WakeGate | None = None,
                 gate: Callable[[], bool] | None = None) -> None:
        self.bus = bus
        self.wake = wake
        self.gate = gate
        """True while the terminal speaks: the microphone's audio is replaced by silence (no self-hearing)."""
        self._gate_until = 0.0
        self.source = source
        self._stt_or_factory = stt
        self.segmenter = segmenter or Segmenter()
        self.language = language
        self.partials = partials
        self.max_batch_bytes = 16000  # 0.5 s: a lagging decoder still shows a partial every half second
        self.min_batch_bytes = 3200  # 0.1 s per vosk call (adds at most 0.1 s to a partial, nothing to the final)
        self._unfed = bytearray()
        self.stats = ListenStats()
        self.state = "stopped"
        self.message = ""
        self._events: queue.Queue[Any] = queue.Queue()
        self._stopping = threading.Event()
        self._finished = threading.Event()
        self._capture = threading.Thread(target=self._capture_loop, name="listen-capture", daemon=True)
        self._decoder = threading.Thread(target=self._decode_loop, name="listen-decode", daemon=True)

    # -------------------------------------------------------------------------------- public API

    def start(self) -> ListenWorker:
        self.state = "running"
        self._capture.start()
        self._decoder.start()
        return self

    def push_to_talk(self, pressed: bool) -> None:
        """The talk button (UI thread): start or end an utterance at the next chunk."""
        if pressed:
            if self.wake is not None:
                self.wake.wake()  # pressing the button is the wake-up
            self.segmenter.push_to_talk_start()
        else:
            self.segmenter.push_to_talk_stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Until the source ended and every utterance was decoded (a WAV source ends; a microphone not)."""
        return self._finished.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        for thread in (self._capture, self._decoder):
            if thread.is_alive():
                thread.join(timeout)
        self.state = "stopped" if self.state == "running" else self.state

    # ---------------------------------------------------------------------------------- threads

    def _degrade(self, message: str) -> None:
        self.state, self.message = "degraded", message
        log.warning("voice input off: %s", message)
        self.bus.publish(DeviceStatus("microphone", "degraded", message))

    def _capture_loop(self) -> None:
        try:
            self.source.open()
        except AudioSourceUnavailable as exc:
            self._degrade(str(exc))
            self._events.put(_END)
            return
        self.bus.publish(DeviceStatus("microphone", "ok", getattr(self.source, "name", type(self.source).__name__)))
        try:
            while not self._stopping.is_set():
                chunk = self.source.read(timeout=0.2)
                if chunk is None:
                    break
                if chunk and self._muted():
                    self.stats.gated_s += len(chunk) / 2 / SAMPLE_RATE
                    chunk = bytes(len(chunk))
                for event in self.segmenter.process(chunk):
                    self._queue_event(event)
            for event in self.segmenter.flush():
                self._queue_event(event)
        except Exception as exc:  # a device unplugged mid-stream: report, do not take the kiosk down
            self._degrade(f"microphone stopped: {type(exc).__name__}: {exc}")
        finally:
            self.source.close()
            self._events.put(_END)

    def _muted(self) -> bool:
        now = time.monotonic()
        if self.gate is not None and self.gate():
            self._gate_until = now + GATE_TAIL_S
            return True
        return now < self._gate_until

    def _queue_event(self, event: VadEvent) -> None:
        self._events.put((time.perf_counter(), event))

    def _stt(self) -> SpeechToText | None:
        if isinstance(self._stt_or_factory, SpeechToText):
            return self._stt_or_factory
        try:
            self._stt_or_factory = self._stt_or_factory()  # loads the model here, off the UI thread
            return self._stt_or_factory
        except (ModelFolderError, ValueError) as exc:
            self._degrade(str(exc))
            self._stopping.set()
            return None

    def _decode_loop(self) -> None:
        try:
            stt = self._stt()
            held: Any = None
            while stt is not None:
                item = held if held is not None else self._events.get()
                held = None
                if item is _END:
                    break
                queued_at, event = item
                if event.kind == "audio":  # when behind, feed what piled up (up to 0.5 s) in one call
                    parts = [event.audio]
                    while sum(map(len, parts)) < self.max_batch_bytes:
                        try:
                            nxt = self._events.get_nowait()
                        except queue.Empty:
                            break
                        if nxt is _END or nxt[1].kind != "audio":
                            held = nxt
                            break
                        parts.append(nxt[1].audio)
                    event = VadEvent("audio", b"".join(parts), event.t_s)
                if not self._stopping.is_set():
                    self._handle(stt, event, queued_at)
        finally:
            self._finished.set()

    def _feed(self, stt: SpeechToText, language: str) -> None:
        audio, self._unfed = bytes(self._unfed), bytearray()
        if audio:
            partial = stt.accept(audio)
            if partial and self.partials:
                self.stats.partials += 1
                self.bus.publish(Transcript(partial, language, final=False))

    def _handle(self, stt: SpeechToText, event: VadEvent, queued_at: float) -> None:
        language = self.language or stt.language
        if event.kind in ("start", "audio"):
            if event.kind == "start":
                self.stats.utterances += 1
            self._unfed += event.audio
            if len(self._unfed) >= self.min_batch_bytes:  # 30 ms VAD frames cost vosk ~1.4x per second of audio
                self._feed(stt, language)
            return
        self._feed(stt, language)
        result = stt.finish()
        self.stats.results.append(result)
        language = result.language or language  # Whisper tells Mandarin from English
        if result.text and not result.accepted and result.reason.startswith("low confidence"):
            self.stats.asked_again += 1
            self.stats.rejected.append(result.reason)
            log.info("utterance not used: %s (heard %r)", result.reason, result.text)
            self.bus.publish(Speak(ASK_AGAIN.get(language, ASK_AGAIN["zh"]), language))
        elif result.text:
            self.deliver(result.text, language, result.confidence)
            self.stats.final_latencies_s.append(time.perf_counter() - queued_at)
        else:
            self.stats.rejected.append(result.reason or "nothing recognised")
            log.info("utterance not used: %s (heard %r)", result.reason, result.raw_text)


    def deliver(self, text: str, language: str, confidence: float | None = None) -> None:
        """Publish a final transcript, through the wake phrase when one is configured."""
        if self.wake is not None:
            gate = self.wake.check(text, confidence)
            if not gate.passed:
                self.stats.rejected.append(gate.reason)
                log.info("utterance not used: %s (heard %r)", gate.reason, text)
                return
            if not gate.question:
                self.bus.publish(Speak("我在，请说。" if language == "zh" else "Yes? I'm listening.", language))
                return
            text = gate.question
        self.stats.finals += 1
        self.bus.publish(Transcript(text, language, final=True, confidence=confidence))


@dataclass
class _Request:
    event: Speak
    cancel: threading.Event = field(default_factory=threading.Event)


class SpeakerWorker:
    """Consumes Speak / StopSpeaking from the bus and speaks through a TextToSpeech engine."""

    def __init__(self, bus: EventBus, tts: TextToSpeech | Callable[[], TextToSpeech], *,
                 on_text: Callable[[str, str], None] | None = None,
                 precache: list[tuple[str, str]] | None = None) -> None:
        self.bus = bus
        self.precache = list(precache or [])
        """(text, language) said before any request, on the player thread: the engine (and the neural
        voice's worker, 2-4 s of TensorFlow start-up) starts at launch instead of at the first answer, and
        phrases said all day come from the cache."""
        self.warmed = threading.Event()
        self._tts_or_factory = tts
        self.on_text = on_text
        self.results: list[SpeechOutput] = []
        self._sub = bus.subscribe(Speak, StopSpeaking)
        self._pending: queue.Queue[_Request | None] = queue.Queue()
        self._lock = threading.Lock()
        self._current: _Request | None = None
        self._queued: list[_Request] = []
        self._stopping = threading.Event()
        self._reported = ""
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="speaker-dispatch", daemon=True)
        self._player = threading.Thread(target=self._play_loop, name="speaker-play", daemon=True)

    @property
    def tts(self) -> TextToSpeech:
        if not isinstance(self._tts_or_factory, TextToSpeech):
            self._tts_or_factory = self._tts_or_factory()
        return self._tts_or_factory

    def start(self) -> SpeakerWorker:
        self._dispatcher.start()
        self._player.start()
        return self

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._current is not None or bool(self._queued)

    def stop_speaking(self) -> None:
        """Silence what plays and drop what waits (also what StopSpeaking does)."""
        with self._lock:
            for request in [*self._queued, *([self._current] if self._current else [])]:
                request.cancel.set()
            self._queued.clear()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self.stop_speaking()
        self._pending.put(None)
        for thread in (self._dispatcher, self._player):
            if thread.is_alive():
                thread.join(timeout)
        self.bus.unsubscribe(self._sub)
        if isinstance(self._tts_or_factory, TextToSpeech):
            self._tts_or_factory.close()

    def _dispatch_loop(self) -> None:
        while not self._stopping.is_set():
            event = self._sub.get(timeout=0.2)
            if isinstance(event, StopSpeaking):
                self.stop_speaking()
            elif isinstance(event, Speak):
                if event.interrupt:
                    self.stop_speaking()
                request = _Request(event)
                with self._lock:
                    self._queued.append(request)
                self._pending.put(request)

    def _warm_up(self) -> None:
        try:
            if self.precache and hasattr(self.tts, "precache"):
                self.tts.precache(self.precache)  # type: ignore[attr-defined]
        except Exception as exc:  # a failing engine reports itself on the first real request
            log.warning("speech warm-up failed: %s", exc)
        finally:
            self.warmed.set()

    def _play_loop(self) -> None:
        if self.precache:
            self._warm_up()
        else:
            self.warmed.set()
        while not self._stopping.is_set():
            request = self._pending.get()
            if request is None:
                break
            with self._lock:
                if request in self._queued:
                    self._queued.remove(request)
                if request.cancel.is_set():
                    continue
                self._current = request
            try:
                out = self.tts.speak(request.event.text, request.event.language, self.on_text, request.cancel)
            except Exception as exc:  # the engine must never take the thread down
                out = SpeechOutput(request.event.text, request.event.language, "", reason=f"{type(exc).__name__}: {exc}")
            finally:
                with self._lock:
                    self._current = None
            self.results.append(out)
            self._report(out)

    def _report(self, out: SpeechOutput) -> None:
        """Publish the speaker's state when it changes (text-only mode says why once, not per sentence)."""
        sink = getattr(self.tts, "sink", None)
        if isinstance(sink, NullSink) or (out.reason and out.reason != "stopped"):
            state, message = "degraded", out.reason or getattr(sink, "reason", "")
        else:
            state, message = "ok", out.sink
        if f"{state}|{message}" != self._reported:
            self._reported = f"{state}|{message}"
            self.bus.publish(DeviceStatus("speaker", state, message))


def start_speech_workers(config: Config, bus: EventBus, *, language: str | None = None) -> tuple[ListenWorker, SpeakerWorker]:
    """Both workers for a loaded Config (``devices.microphone``/``speaker``, ``assistant.vosk_models``...).

    The recogniser (vosk or Whisper, ``robot_assistant.stt_select``) and the TTS worker process are
    started lazily on the workers' own threads.
    """
    from robot_assistant.audio import source_from_spec
    from robot_assistant.stt_select import recognizer_for
    from robot_assistant.voices import tts_for

    language = language or config.site.language
    phrase = config.assistant.wake_phrase
    wake = WakeGate(phrase, threshold=config.assistant.wake_threshold,
                    window_s=config.assistant.wake_window_seconds) if phrase else None
    from robot_assistant.vad import default_detector

    detector = config.assistant.vad
    if detector == "silero" and default_detector() != "silero":
        log.warning("Silero VAD needs faster-whisper and onnxruntime: using the energy VAD")
        detector = "energy"
    speaker = SpeakerWorker(bus, lambda: tts_for(config),
                            precache=[(ASK_AGAIN["zh"], "zh"), ("我在，请说。", "zh"), (ASK_AGAIN["en"], "en")])
    listen = ListenWorker(bus, source_from_spec(config.devices.microphone), lambda: recognizer_for(config, language),
                          segmenter=Segmenter(detector=detector), language=language, wake=wake,
                          gate=lambda: speaker.busy)
    return listen.start(), speaker.start()
