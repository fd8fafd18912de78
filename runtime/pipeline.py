"""The visitor-event pipeline: sources → post-processors → the exhibit.

Built from ``[input]`` by :func:`build_pipeline`. Each frame the loop calls :meth:`Pipeline.poll`
with the kiosk clock's ``now`` and gets the clean events to hand the exhibit, in order. A source
that raises is logged once per distinct error and skipped for that frame; the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from runtime.config import InputConfig
from runtime.events import VisitorEvent, VisitorSource
from runtime.postproc import (
    Calibrate,
    Dejitter,
    DropTouchMouse,
    IgnoreZones,
    Lifecycle,
    PostProcessor,
    Retain,
)
from runtime.sources import EventRecorder

log = logging.getLogger("kiosk.input")


class Pipeline:
    """Polls every source and runs the post-processing chain.

    Attributes:
        lifecycle: the final stage; ``lifecycle.live`` holds every present visitor.
        events_total: events delivered since start (for health displays).
    """

    def __init__(self, sources: Sequence[VisitorSource], chain: Sequence[PostProcessor],
                 recorder: EventRecorder | None = None):
        self.sources = list(sources)
        self.chain = list(chain)
        self.lifecycle = Lifecycle()
        self.recorder = recorder
        self.events_total = 0
        self._errors: dict[str, str] = {}

    def start(self) -> None:
        for s in self.sources:
            s.start()

    def stop(self) -> None:
        for s in self.sources:
            try:
                s.stop()
            except Exception:  # noqa: BLE001 - stopping must never stop the others
                log.exception("input source %s failed to stop", getattr(s, "name", s))
        if self.recorder is not None:
            self.recorder.close()

    def _run_chain(self, events: list[VisitorEvent], now: float, start: int = 0) -> list:
        for proc in self.chain[start:]:
            out: list[VisitorEvent] = []
            for e in events:
                out.extend(proc.process(e, now))
            events = out
        return events

    def poll(self, now: float) -> list[VisitorEvent]:
        raw: list[VisitorEvent] = []
        for s in self.sources:
            try:
                s.poll(now, raw.append)
            except Exception as err:  # noqa: BLE001 - one broken device must not stop input
                name = getattr(s, "name", type(s).__name__)
                if self._errors.get(name) != repr(err):
                    self._errors[name] = repr(err)
                    log.exception("input source %s failed; continuing without it", name)
        events = self._run_chain(raw, now)
        # Time-based releases (held leaves) continue down the chain from the stage after theirs.
        for i, proc in enumerate(self.chain):
            due = proc.flush(now)
            if due:
                events.extend(self._run_chain(due, now, i + 1))
        final: list[VisitorEvent] = []
        for e in events:
            final.extend(self.lifecycle.process(e, now))
        self.events_total += len(final)
        if self.recorder is not None:
            self.recorder.write(final)
        return final


def build_chain(cfg: InputConfig, screen_size: tuple[int, int],
                homography=None) -> list[PostProcessor]:
    """The post-processors in their documented order (see :mod:`runtime.postproc`)."""
    return [
        DropTouchMouse(),
        Calibrate(homography),
        IgnoreZones(cfg.ignore_zones),
        Dejitter(cfg.dejitter_px, screen_size),
        Retain(cfg.retain_s, cfg.retain_distance_px, screen_size, cfg.retain_sources),
    ]


def build_pipeline(cfg: InputConfig, screen_size: tuple[int, int],
                   sources: Sequence[VisitorSource], homography=None) -> Pipeline:
    recorder = EventRecorder(cfg.record_path, camera=cfg.record_camera) \
        if cfg.record_path else None
    return Pipeline(sources, build_chain(cfg, screen_size, homography), recorder)
