"""The live engine's PortAudio streams: opening, watching and closing them.

:class:`EngineStreams` is the stream half of :class:`runtime.audio.engine.AudioEngine` (a mixin:
it reads and sets the engine's stream attributes and counters, documented there); the
supervisor thread in :mod:`runtime.audio.engine` decides when to call it.

* :meth:`EngineStreams._open_output` / :meth:`EngineStreams._open_mic` open and start a stream
  on the configured device (:func:`runtime.audio.devices.resolve`); a stream that fails to start
  is closed again before the error goes up to the supervisor.
* :meth:`EngineStreams._output_problem` / :meth:`EngineStreams._mic_problem` say whether a
  running stream has failed: stopped, its callback raised, or no callback for :data:`STALL_S`.
* :func:`close_quietly` aborts and closes a stream, giving up after 2 s (a dead USB device can
  hang PortAudio): a leaked stream is better than a stuck supervisor.

Failure modes: opening raises what PortAudio raises (the supervisor logs it once and retries).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from runtime.audio.devices import resolve
from runtime.audio.synth import CMD_SILENCE, CMD_VOLUME

log = logging.getLogger("kiosk.audio")

STALL_S = 2.0  # a running stream whose callback has not run for this long has failed


class EngineStreams:
    """The stream methods of :class:`~runtime.audio.engine.AudioEngine` (module docstring)."""

    config: Any
    _stream: Any
    _mic_stream: Any

    def _open_output(self, sd: Any) -> None:
        cfg = self.config
        idx, name = resolve(sd, cfg.output, "output")
        info = sd.query_devices(idx)
        channels = max(1, min(cfg.channels, int(info["max_output_channels"])))
        self._finished.clear()
        self._cb_error = ""
        self._queue.clear()
        self._queue.append((CMD_SILENCE,))
        self._queue.append((CMD_VOLUME, self._gain(), 0.001))
        stream = sd.OutputStream(
            device=idx, samplerate=cfg.sample_rate_hz, blocksize=cfg.block_frames,
            channels=channels, dtype="float32", latency=cfg.latency_s or "low",
            callback=self._callback, finished_callback=self._finished.set)
        self._stream = started(stream)
        self._last_callbacks, self._last_progress = self.callbacks, time.monotonic()
        self.device_name = name
        self.state = "playing"
        self._accepting = True
        self._ready.set()

    def _open_mic(self, sd: Any) -> None:
        cfg = self.config
        idx, name = resolve(sd, cfg.mic_input, "input")
        self._mic_finished.clear()
        stream = sd.InputStream(
            device=idx, samplerate=cfg.sample_rate_hz, blocksize=cfg.block_frames, channels=1,
            dtype="float32", latency="low", callback=self._mic_callback,
            finished_callback=self._mic_finished.set)
        self._mic_stream = started(stream)
        self._mic_last, self._mic_progress = self.mic_callbacks, time.monotonic()
        self.mic_device = name
        self.mic_state = "listening"

    def _output_problem(self) -> str:
        stream = self._stream
        if stream is None:
            return ""
        if self._cb_error:
            return f"callback failed: {self._cb_error}"
        if self._finished.is_set() or not stream.active:
            return "stream stopped (device lost?)"
        now = time.monotonic()
        if self.callbacks != self._last_callbacks:
            self._last_callbacks, self._last_progress = self.callbacks, now
        elif now - self._last_progress > STALL_S:
            return f"stalled (no audio callback for {STALL_S:.0f} s)"
        return ""

    def _mic_problem(self) -> bool:
        stream = self._mic_stream
        if self._mic_finished.is_set() or not stream.active:
            return True
        now = time.monotonic()
        if self.mic_callbacks != self._mic_last:
            self._mic_last, self._mic_progress = self.mic_callbacks, now
            return False
        return now - self._mic_progress > STALL_S

    def _close_streams(self) -> None:
        self._accepting = False
        for attr in ("_stream", "_mic_stream"):
            stream = getattr(self, attr)
            setattr(self, attr, None)
            if stream is not None and not close_quietly(stream):
                self._hung += 1
                log.warning("audio: a stream did not close within 2 s (driver hung); "
                            "reopening without re-initialising PortAudio")
        if self.config.mic_enabled and self.mic_state == "listening":
            self.mic_state = "retrying"


def started(stream: Any) -> Any:
    """``stream.start()`` and return the stream; if starting raises, close it quietly and
    re-raise (a half-opened PortAudio stream must not leak)."""
    try:
        stream.start()
    except Exception:
        close_quietly(stream)
        raise
    return stream


def close_quietly(stream: Any) -> bool:
    """Abort and close a stream, ignoring errors, giving up after 2 s (a dead USB device can
    hang PortAudio; a leaked stream is better than a stuck supervisor). True if it closed."""
    def close() -> None:
        try:
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)
        except Exception:  # noqa: BLE001
            pass

    t = threading.Thread(target=close, name="kiosk-audio-close", daemon=True)
    t.start()
    t.join(timeout=2.0)
    return not t.is_alive()


def describe_error(err: BaseException) -> str:
    """An exception as one short log line (at most 300 characters, no newlines)."""
    text = str(err).strip() or type(err).__name__
    return text.replace("\n", " ")[:300]
