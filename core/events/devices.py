"""Device events: a camera, microphone, speaker or network changed state."""

from __future__ import annotations

from dataclasses import dataclass

from core.events.base import Event


@dataclass(frozen=True)
class DeviceStatus(Event):
    """A device changed state: ``device`` is camera | microphone | speaker | network."""

    device: str
    state: str
    """ok | degraded | off"""
    message: str = ""
