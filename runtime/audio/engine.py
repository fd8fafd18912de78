"""The live sound engine: one PortAudio output stream fed by a command queue, an optional
microphone, and recovery from lost devices.

Threads:

* the **caller** (the render loop at 60 fps) calls the :class:`~runtime.audio.voicing.SoundAPI`
  methods; each builds a small tuple and appends it to a bounded ``deque`` (O(1), no lock, never
  blocks, never raises);
* PortAudio's **audio thread** runs :meth:`AudioEngine._callback` once per block: it drains the
  deque into the :class:`~runtime.audio.synth.Synth` and renders the block into PortAudio's
  buffer. It allocates no arrays, takes no locks and does no I/O (no logging either: it only
  bumps counters that the supervisor reports);
* the **supervisor** thread (``kiosk-audio``) opens the streams, watches them (a stream that
  stops, a callback that stalls for 2 s, a callback error) and, after a failure, logs one line,
  runs silent and reopens with exponential backoff (``retry_min_s`` doubling to
  ``retry_max_s``), re-initialising PortAudio first so a replugged USB device is found again.
  It also applies quiet hours and logs underflow counts once a minute when they grow.

Where things are: the stream opening, watching and closing is :mod:`runtime.audio.streams`
(:class:`~runtime.audio.streams.EngineStreams`, this engine's mixin); :class:`SilentAudio` is in
:mod:`runtime.audio.silent`; quiet hours (:func:`~runtime.audio.settings.quiet_now`) in
:mod:`runtime.audio.settings`. Those names stay importable from here.

Defaults and failure modes: see :class:`~runtime.audio.settings.AudioConfig`. With no
PortAudio library the engine's state is ``"unavailable"`` for good (install ``libportaudio2``
and restart); with no device it is ``"retrying"``; either way every call is a silent no-op.
While silent, commands are dropped rather than queued, so a reconnect never plays a burst.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from runtime.audio.devices import portaudio, refresh
from runtime.audio.mic import FLOOR_DB, OnsetDetector
from runtime.audio.settings import AudioConfig, quiet_now
from runtime.audio.silent import SilentAudio
from runtime.audio.streams import STALL_S, EngineStreams, close_quietly, describe_error
from runtime.audio.synth import CMD_VOLUME, Synth
from runtime.audio.voicing import Onset, SoundAPI

# SilentAudio and quiet_now moved to runtime.audio.silent / runtime.audio.settings; the stream
# handling to runtime.audio.streams. These names stay importable from here.
__all__ = ["STALL_S", "AudioEngine", "SilentAudio", "quiet_now"]

log = logging.getLogger("kiosk.audio")

LOAD_RING = 4096  # callback durations kept for load figures (~22 s at 256 frames)
UNDERFLOW_LOG_S = 60.0
QUIET_GLIDE_S = 2.0


class AudioEngine(EngineStreams, SoundAPI):
    """Live sound through PortAudio (see module docstring). Call :meth:`start` once, then the
    SoundAPI methods from the render loop, and :meth:`close` at shutdown.

    Args:
        config: the ``[audio]`` section.
        time_fn: the kiosk clock, used to stamp microphone onsets.
        local_time: returns local wall-clock time, for quiet hours (injectable for tests).

    Attributes (read freely from any thread; a health display polls :meth:`status`):
        state: ``"starting"``, ``"playing"``, ``"retrying"``, ``"unavailable"`` or ``"closed"``.
        device_name: the output device in use ("" while silent).
        underflows: blocks PortAudio reported as output underflows since start.
        restarts: times the output was reopened after a failure.
        failures: failed opens plus streams lost while playing.
        last_error: the last failure, as logged.
    """

    def __init__(self, config: AudioConfig, *,
                 time_fn: Callable[[], float] = time.perf_counter,
                 local_time: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        super().__init__(config.scale, config.root_note)
        self.config = config
        self.time_fn = time_fn
        self.local_time = local_time
        self.state = "starting"
        self.device_name = ""
        self.underflows = 0
        self.restarts = 0
        self.failures = 0
        self.last_error = ""
        self.callbacks = 0
        self.callback_errors = 0
        self.odd_blocks = 0  # callbacks whose frame count differed from block_frames
        self.mic_state = "on" if config.mic_enabled else "off"
        self.mic_device = ""
        self.mic_failures = 0
        self.mic_overflows = 0
        self.mic_callbacks = 0
        self._synth = Synth(config.sample_rate_hz, config.block_frames, config.voices)
        self._queue: deque[tuple] = deque(maxlen=1024)
        self._accepting = False
        self._base = config.master_volume
        self._load = np.zeros(LOAD_RING)
        self._load_i = 0
        self._cb_error = ""
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._finished = threading.Event()
        self._mic_finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._sd: Any = None
        self._stream: Any = None
        self._mic_stream: Any = None
        self._hung = 0  # streams that would not close (a wedged driver): never re-initialise
        self._detector = OnsetDetector(
            config.sample_rate_hz, config.block_frames, threshold_db=config.onset_threshold_db,
            rise_db=config.onset_rise_db, min_gap_s=config.onset_min_gap_s,
            smoothing_s=config.level_smoothing_s, time_fn=time_fn)

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the supervisor thread, which opens the device; returns at once."""
        if self._thread is None:
            self._base = self._configured_volume()
            self._thread = threading.Thread(target=self._run, name="kiosk-audio", daemon=True)
            self._thread.start()

    def wait_ready(self, timeout_s: float = 5.0) -> bool:
        """Block until the output plays (tests, ``kiosk.py doctor``); False on timeout."""
        return self._ready.wait(timeout_s)

    def close(self) -> None:
        """Stop the supervisor and close the streams (idempotent; waits at most ~3 s)."""
        self._stop.set()
        self._accepting = False
        if self._thread is not None:
            self._thread.join(timeout=3.0)
        self._close_streams()
        self.state = "closed"
        if self._hung and self._sd is not None:
            # sounddevice's exit handler calls Pa_Terminate, which would wait forever on the
            # wedged stream; the OS releases the device when the process exits anyway.
            atexit.unregister(self._sd._exit_handler)

    def __enter__(self) -> AudioEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- SoundAPI plumbing ----------------------------------------------------------------
    def _send(self, cmd: tuple) -> None:
        if self._accepting:
            self._queue.append(cmd)  # deque.append is atomic; a full deque drops the oldest

    def _gain(self) -> float:
        return self._base * self.exhibit_volume

    @property
    def level(self) -> float:
        return self._detector.level if self._mic_stream is not None else 0.0

    @property
    def level_db(self) -> float:
        if self._mic_stream is None or self._detector.level_db <= FLOOR_DB:
            return -math.inf
        return self._detector.level_db

    def onsets(self) -> list[Onset]:
        return self._detector.drain()

    # --- figures --------------------------------------------------------------------------
    def load(self) -> dict[str, float]:
        """Callback work over the last ≤4096 blocks: median/p99 in µs and % of block time."""
        n = min(self._load_i, LOAD_RING)
        block_s = self.config.block_frames / self.config.sample_rate_hz
        if n == 0:
            return {"blocks": 0, "p50_us": 0.0, "p99_us": 0.0, "p50_pct": 0.0, "p99_pct": 0.0}
        p50, p99 = np.percentile(self._load[:n], [50, 99])
        return {"blocks": n, "p50_us": p50 * 1e6, "p99_us": p99 * 1e6,
                "p50_pct": 100 * p50 / block_s, "p99_pct": 100 * p99 / block_s}

    def status(self) -> dict[str, Any]:
        """Everything a technician's health display shows, as plain values."""
        cfg = self.config
        return {
            "state": self.state, "device": self.device_name, "reason": self.last_error,
            "sample_rate_hz": cfg.sample_rate_hz, "block_frames": cfg.block_frames,
            "block_ms": 1000.0 * cfg.block_frames / cfg.sample_rate_hz,
            "underflows": self.underflows, "restarts": self.restarts, "failures": self.failures,
            "callback_errors": self.callback_errors, "voices": self._synth.n_voices,
            "volume": self._gain(), "load": self.load(),
            "mic": {"state": self.mic_state, "device": self.mic_device,
                    "level_db": self.level_db, "onsets": self._detector.onsets_total,
                    "overflows": self.mic_overflows, "failures": self.mic_failures},
        }

    # --- audio thread ---------------------------------------------------------------------
    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        t0 = time.perf_counter()
        try:
            if status.output_underflow:
                self.underflows += 1
            q, synth = self._queue, self._synth
            while q:
                try:
                    cmd = q.popleft()
                except IndexError:
                    break
                synth.apply(cmd)
            if frames == synth.block_frames:
                synth.render(outdata)
            else:
                outdata.fill(0.0)
                self.odd_blocks += 1
        except Exception as err:  # noqa: BLE001 - reported by the supervisor, never raised here
            outdata.fill(0.0)
            self.callback_errors += 1
            self._cb_error = repr(err)
        self.callbacks += 1
        self._load[self._load_i % LOAD_RING] = time.perf_counter() - t0
        self._load_i += 1

    def _mic_callback(self, indata: np.ndarray, frames: int, time_info: Any,
                      status: Any) -> None:
        try:
            if status.input_overflow:
                self.mic_overflows += 1
            self._detector.process(indata[:, 0])
        except Exception as err:  # noqa: BLE001
            self.callback_errors += 1
            self._cb_error = repr(err)
        self.mic_callbacks += 1

    # --- supervisor thread ----------------------------------------------------------------
    def _run(self) -> None:
        sd, why = portaudio()
        if sd is None:
            self.state = "unavailable"
            self.last_error = why
            log.warning("audio: %s; running silent", why)
            return
        self._sd = sd
        cfg = self.config
        backoff = cfg.retry_min_s
        mic_backoff, mic_next = cfg.retry_min_s, 0.0
        silent_logged = False
        next_quiet, next_underflow_log, logged_underflows = 0.0, 0.0, 0
        while not self._stop.is_set():
            now = time.monotonic()
            if self._stream is None:
                try:
                    if self.failures:
                        self._close_streams()  # PortAudio may only re-initialise with none open
                        if not self._hung:  # Pa_Terminate would wait forever on a hung stream
                            refresh(sd)
                    self._open_output(sd)
                except Exception as err:  # noqa: BLE001 - any failure means: silent, retry
                    self._failed(f"cannot open output: {describe_error(err)}", backoff,
                                 silent_logged)
                    silent_logged = True
                    self._stop.wait(backoff)
                    backoff = min(2 * backoff, cfg.retry_max_s)
                    continue
                if self.failures:
                    self.restarts += 1
                    log.info("audio: output back on %s after %d failure(s) (restarts %d)",
                             self.device_name, self.failures, self.restarts)
                else:
                    log.info("audio: playing on %s, %d Hz, %d frames/block (%.1f ms)",
                             self.device_name, cfg.sample_rate_hz, cfg.block_frames,
                             1000.0 * cfg.block_frames / cfg.sample_rate_hz)
                backoff, silent_logged = cfg.retry_min_s, False
                mic_next = 0.0
            if cfg.mic_enabled and self._mic_stream is None and now >= mic_next:
                try:
                    self._open_mic(sd)
                    mic_backoff = cfg.retry_min_s
                    log.info("audio: listening on %s (onset threshold %.0f dBFS)",
                             self.mic_device, cfg.onset_threshold_db)
                except Exception as err:  # noqa: BLE001
                    self.mic_failures += 1
                    self.mic_state = "retrying"
                    if self.mic_failures == 1:
                        log.warning("audio: cannot open microphone: %s; exhibits get no "
                                    "claps, retrying in the background", describe_error(err))
                    mic_next = now + mic_backoff
                    mic_backoff = min(2 * mic_backoff, cfg.retry_max_s)
            self._stop.wait(0.25)
            problem = self._output_problem()
            if problem:
                self._failed(f"output {problem}", backoff, False)
                self._close_streams()
                silent_logged = True
                continue
            if cfg.mic_enabled and self._mic_stream is not None and self._mic_problem():
                log.warning("audio: microphone %s stopped; retrying", self.mic_device)
                self.mic_failures += 1
                self.mic_state = "retrying"
                if not close_quietly(self._mic_stream):
                    self._hung += 1
                self._mic_stream = None
                mic_next = time.monotonic() + mic_backoff
            if now >= next_quiet:
                next_quiet = now + 1.0
                base = self._configured_volume()
                if base != self._base:
                    self._base = base
                    self._send((CMD_VOLUME, self._gain(), QUIET_GLIDE_S))
                    log.info("audio: volume %.2f (%s)", base,
                             "quiet hours" if base == cfg.quiet_volume else "master volume")
            if now >= next_underflow_log:
                next_underflow_log = now + UNDERFLOW_LOG_S
                if self.underflows > logged_underflows:
                    log.warning("audio: %d underflow(s) in the last minute (total %d, restarts "
                                "%d); if this repeats raise [audio] latency_s or block_frames",
                                self.underflows - logged_underflows, self.underflows,
                                self.restarts)
                    logged_underflows = self.underflows
        self._close_streams()

    def _failed(self, message: str, backoff: float, already_logged: bool) -> None:
        self.failures += 1
        self.last_error = message
        self.state = "retrying"
        self.device_name = ""
        self._ready.clear()
        if not already_logged:
            log.warning("audio: %s; running silent, retrying in the background (%.0f s, "
                        "doubling to %.0f s)", message, backoff, self.config.retry_max_s)
        else:
            log.debug("audio: still silent: %s", message)

    def _configured_volume(self) -> float:
        cfg = self.config
        try:
            quiet = bool(cfg.quiet_hours) and quiet_now(cfg.quiet_hours, self.local_time())
        except Exception:  # noqa: BLE001 - a broken clock must not stop the supervisor
            quiet = False
        return cfg.quiet_volume if quiet else cfg.master_volume
