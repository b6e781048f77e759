"""The assistant service: final transcripts in, the brain's decision out, as events on the bus.

Spoken questions (from the listen worker) and typed or tapped ones (the kiosk publishes a final
``Transcript`` for a tapped suggestion) take the same path, so the kiosk shows and the speaker says the
same thing whichever way a visitor asked. The brain is built in this worker's thread (jieba and the
knowledge base take about a second), never on the UI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from core.events import Answer, EventBus, Speak, Transcript, Understood

log = logging.getLogger(__name__)


class AssistantService:
    def __init__(self, bus: EventBus, make_brain: Callable[[], object]) -> None:
        self.bus = bus
        self.make_brain = make_brain
        self.brain = None
        self.ready = threading.Event()
        self.error: str | None = None
        self._sub = bus.subscribe(Transcript)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> AssistantService:
        self._thread = threading.Thread(target=self._run, name="assistant", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.bus.unsubscribe(self._sub)
        if self._thread is not None:
            self._thread.join(timeout)

    def handle(self, text: str, question: Transcript | None = None) -> None:
        """Answer one final utterance now (in the caller's thread) and publish the result.

        Every event published answers ``question`` (``in_reply_to`` its id), so a screen shows the answer
        to the question it asked and not one meant for another screen; ``Understood`` carries the
        brain's whole decision (intent, entry, score) for screens and logs that want more than text.
        """
        if self.brain is None:
            return
        result = self.brain.handle_text(text)
        self.bus.publish(Understood(text, result.intent, result.language, result.entry_id,
                                    None if result.score is None else float(result.score),
                                    bool(result.declined), tuple(sorted(result.slots.items())))
                         .replying_to(question))
        for event in result.events:
            self.bus.publish(event.replying_to(question))
        if isinstance(result.event, Answer) and result.answer:
            self.bus.publish(Speak(result.answer, result.language).replying_to(question))

    def _run(self) -> None:
        try:
            self.brain = self.make_brain()
        except Exception as exc:  # a broken knowledge base must not take the kiosk down
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("the assistant's brain could not be built")
        self.ready.set()
        while not self._stop.is_set():
            event = self._sub.get(timeout=0.2)
            if isinstance(event, Transcript) and event.final and event.text.strip():
                try:
                    self.handle(event.text, event)
                except Exception:
                    log.exception("the assistant failed on %r", event.text)
