"""Sound switched off or impossible: :class:`SilentAudio`, the engine's API doing nothing.

Handed to exhibits when ``[audio] enabled = false``, in safe mode, or when the engine cannot be
built (:func:`runtime.audio.create_audio`); every call is a no-op and :meth:`SilentAudio.status`
says why (``reason``). Failure modes: none.
"""

from __future__ import annotations

from typing import Any

from runtime.audio.voicing import SoundAPI


class SilentAudio(SoundAPI):
    """The same API as :class:`AudioEngine`, doing nothing: sound disabled or impossible."""

    def __init__(self, reason: str = "sound disabled in config ([audio] enabled = false)",
                 scale: str = "pentatonic", root_note: str = "C4") -> None:
        super().__init__(scale, root_note)
        self.reason = reason
        self.state = "silent"
        self.device_name = ""
        self.underflows = 0
        self.restarts = 0
        self.failures = 0

    def _send(self, cmd: tuple) -> None:
        pass

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass

    def status(self) -> dict[str, Any]:
        return {"state": self.state, "reason": self.reason, "device": "", "underflows": 0,
                "restarts": 0, "failures": 0, "voices": 0, "mic": {"state": "off"}}
