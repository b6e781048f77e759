"""The event catalogue: every typed event the parts of the terminal exchange, by concern, and the bus.

Like the Wyoming protocol's messages, every event is a small frozen dataclass with ``to_dict`` /
``event_from_dict`` so it can cross a process boundary (the hall runs in a child process) as plain
data, and carries an ``id`` and the ``in_reply_to`` of the event it answers.

=============  ==============================================================  =====================
module         events                                                          published by
=============  ==============================================================  =====================
speech         Transcript, Speak, StopSpeaking                                 speech worker, screens
assistant      Understood, Answer, DuesAsked, OpenScreen                       assistant service
face           FaceSeen, ConfirmIdentity, IdentityConfirmed, LivenessPrompt,   face pipeline, kiosk
               FaceSignInFailed
attendance     SignInRequested, SignedIn                                       sign-in paths
content        NewsArrived, UrgentNotice                                       content sync
hall           GuideTo                                                         assistant, kiosk
position       Position                                                        BeiDou worker
fleet          SyncStatus                                                      sync worker
devices        DeviceStatus                                                    device workers
=============  ==============================================================  =====================

Flows: Transcript → Answer → Speak (``in_reply_to`` the Transcript); FaceSeen → SignedIn or
FaceSignInFailed (same ``track_id``; SignedIn ``in_reply_to`` the FaceSeen).
"""

from core.events.assistant import Answer, DuesAsked, OpenScreen, Understood
from core.events.attendance import SignedIn, SignInRequested
from core.events.base import Event, event_from_dict, event_types, new_id
from core.events.bus import EventBus, Subscription
from core.events.content import NewsArrived, UrgentNotice
from core.events.devices import DeviceStatus
from core.events.face import ConfirmIdentity, FaceSeen, FaceSignInFailed, IdentityConfirmed, LivenessPrompt
from core.events.fleet import SyncStatus
from core.events.hall import GuideTo
from core.events.position import Position
from core.events.speech import Speak, StopSpeaking, Transcript

__all__ = [
    "Answer", "ConfirmIdentity", "DeviceStatus", "DuesAsked", "Event", "EventBus", "FaceSeen",
    "FaceSignInFailed", "GuideTo", "IdentityConfirmed", "LivenessPrompt", "NewsArrived", "OpenScreen",
    "Position", "SignInRequested", "SignedIn", "Speak", "StopSpeaking", "Subscription", "SyncStatus",
    "Transcript", "Understood", "UrgentNotice", "event_from_dict", "event_types", "new_id",
]
