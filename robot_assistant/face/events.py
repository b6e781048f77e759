"""Face sign-in events now live in the catalogue, ``core.events.face``; this name stays for old imports."""

from core.events.face import ConfirmIdentity, FaceSignInFailed, IdentityConfirmed, LivenessPrompt

__all__ = ["ConfirmIdentity", "FaceSignInFailed", "IdentityConfirmed", "LivenessPrompt"]
