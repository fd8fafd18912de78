"""The Exhibit protocol, the context every exhibit receives, and the registry's entry type.

Lifecycle (one instance per time an exhibit is shown)::

    exhibit = factory(ctx, settings)   # cheap: no heavy work, no I/O beyond small assets
    exhibit.enter()                    # load models, start workers; may take a few hundred ms
    exhibit.on_visitor(event)  ...     # zero or more per frame, before update
    exhibit.update(dt)         ...     # fixed steps of dt seconds: the only place state changes
    exhibit.draw(surface, alpha)       # once per frame; reads state, never mutates it
    exhibit.on_visit_start() / on_visit_end()   # a visit begins / ends (attract mode between)
    exhibit.leave()                    # stop workers, release memory

Everything an exhibit needs comes in through :class:`ExhibitContext`: no globals, no import-time
work (the registry imports an exhibit's module only when it is first shown).
"""

from __future__ import annotations

import importlib
import logging
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from runtime.events import VisitorEvent
from runtime.store import ExhibitStore
from runtime.timing import FrameStats, StageTimer

if TYPE_CHECKING:
    import pygame

    from runtime.assets import Assets
    from runtime.vision.frame import VisionFrame


# An analytics kind's shape (the database's CHECK since schema 3, :mod:`runtime.analytics`).
ANALYTICS_KIND_MAX = 32
ANALYTICS_KIND_RE = re.compile(rf"[a-z_]{{1,{ANALYTICS_KIND_MAX}}}")


class Exhibit(Protocol):
    """What the kiosk loop calls. Subclass :class:`BaseExhibit` for no-op defaults."""

    def enter(self) -> None: ...

    def leave(self) -> None: ...

    def on_visitor(self, event: VisitorEvent) -> None: ...

    def update(self, dt: float) -> None: ...

    def draw(self, surface: pygame.Surface, alpha: float) -> None: ...

    def on_visit_start(self) -> None: ...

    def on_visit_end(self) -> None: ...


@dataclass
class ExhibitContext:
    """Everything an exhibit may use.

    Attributes:
        size: output size in pixels ``(width, height)``.
        fps: the loop's target frame rate; ``step_s`` is the fixed update step (``1 / fps``).
        assets: fonts, texts and files under ``assets/`` (see :mod:`runtime.assets`).
        seed: the config's seed; ``rng`` is a numpy generator seeded from it; named streams
            come from :meth:`rng_for` / :meth:`torch_generator` (no magic offsets).
        device: torch device string chosen for models (``"cpu"`` or ``"cuda"``).
        stages: per-stage timer; exhibits may add stages (``with ctx.stages.measure("model")``).
        frames: recent frame times on the kiosk clock, for graphs (read-only for exhibits).
        now: the kiosk clock (seconds); a fake clock in tests.
        log: the exhibit's logger.
        audio: the sound engine's small API, or ``None`` while the kiosk runs silent.
        vision: the camera's newest :class:`runtime.vision.frame.VisionFrame` (presence
            ``mask``, ``flow``, ``people``, ``t_capture``, and the calibration in
            ``homography``: ``vision.screen_mask(vision.homography, size)``), or ``None`` with no
            camera; a property read through ``vision_fn``, which the engine points at the frame
            it made once for this camera frame (the same object for every read until the next).
        visit: the visit tracker (``visit.attract`` is True while nobody is there; ``state`` is
            idle / active / warning); ``None`` only in isolated tests.
        safe_mode: True after a crash loop: exhibits must not load models (draw a plain fallback).
        analytics: ``analytics.record(kind, exhibit, value, label)`` for anonymous counts
            (e.g. ``"seed_planted"``, ``"landmark_discovered"``); never positions or images.
        store: the exhibit's :class:`runtime.store.ExhibitStore`, kept by the kiosk across
            showings (a fresh one, owned by nobody else, when a test builds a context by hand).
    """

    size: tuple[int, int]
    fps: int
    assets: Assets
    seed: int
    device: str
    stages: StageTimer
    frames: FrameStats
    now: Callable[[], float]
    log: logging.Logger
    audio: Any = None
    vision_fn: Callable[[], VisionFrame | None] | None = None
    visit: Any = None
    safe_mode: bool = False
    analytics: Any = None
    store: ExhibitStore = field(default_factory=lambda: ExhibitStore("unnamed"))
    rng: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    @property
    def vision(self) -> VisionFrame | None:
        return self.vision_fn() if self.vision_fn is not None else None

    @property
    def step_s(self) -> float:
        return 1.0 / self.fps

    @property
    def inline_models(self) -> bool:
        """True when models must step inline, on the kiosk's clock, instead of on worker threads.

        That is when the clock is simulated (:class:`runtime.clock.FakeTime`: renders, goldens,
        tests): a thread follows the wall clock, so its frames would differ from run to run. The
        live kiosk and ``bench`` run on real time and keep their workers. Every exhibit decides
        by this one flag.
        """
        from runtime.clock import FakeTime

        return isinstance(self.now, FakeTime)

    def seed_for(self, purpose: str) -> int:
        """A 32-bit seed for one named random stream (``"basemap.stars"``, ``"eraser"``…).

        Derived from the config's ``seed`` and the name (CRC-32, stable across runs and Python
        versions), so each use draws its own repeatable stream and no exhibit needs a magic
        offset; two purposes never share a stream by accident of arithmetic.
        """
        words = np.random.SeedSequence([self.seed, zlib.crc32(purpose.encode())])
        return int(words.generate_state(1)[0])

    def rng_for(self, purpose: str) -> np.random.Generator:
        """A numpy generator for the named stream (see :meth:`seed_for`)."""
        return np.random.default_rng(self.seed_for(purpose))

    def torch_generator(self, purpose: str) -> Any:
        """A ``torch.Generator`` on ``device`` for the named stream (imports torch)."""
        import torch

        gen = torch.Generator(device=self.device)
        gen.manual_seed(self.seed_for(purpose))
        return gen


class BaseExhibit:
    """No-op lifecycle plus a table of the visitors currently present.

    ``self.visitors`` maps ``visitor_id`` to the latest event of each present visitor; subclasses
    that override :meth:`on_visitor` call ``super().on_visitor(event)`` to keep it current.
    """

    def __init__(self, ctx: ExhibitContext, settings: Any) -> None:
        self.ctx = ctx
        self.settings = settings
        self.visitors: dict[str, VisitorEvent] = {}

    def enter(self) -> None:
        pass

    def leave(self) -> None:
        pass

    def on_visitor(self, event: VisitorEvent) -> None:
        if event.kind == "leave":
            self.visitors.pop(event.visitor_id, None)
        else:
            self.visitors[event.visitor_id] = event

    def update(self, dt: float) -> None:
        pass

    def draw(self, surface: pygame.Surface, alpha: float) -> None:
        pass

    def on_visit_start(self) -> None:
        """A visit began (the first visitor after a quiet spell): leave attract mode."""

    def on_visit_end(self) -> None:
        """Nobody has been there for ``[visits] idle_s``: reset and return to attract mode."""


@dataclass(frozen=True)
class LabelChart:
    """A curator report chart an exhibit declares: counts of one of its analytics kinds per label
    (e.g. discoveries per landmark), drawn by ``kiosk.py report`` as ``file``.

    Attributes:
        kind: one of the exhibit's ``analytics_kinds`` (the records' ``label`` is the x axis).
        file: the PNG's name in the report folder (``[a-z0-9_]+.png``).
        title / xlabel: the chart's title and x-axis label (English, as the rest of the report).
    """

    kind: str
    file: str
    title: str
    xlabel: str


@dataclass(frozen=True)
class ExhibitSpec:
    """One registry entry.

    Attributes:
        name: the key used in ``config.toml`` (``[exhibits.NAME]``, ``playlist.exhibit``).
        title_ko / title_en: shown to technicians (admin panel, doctor, logs).
        config_cls: the frozen settings dataclass for ``[exhibits.NAME]``.
        factory: ``"module:Class"``, imported only when the exhibit is first created so that
            config checking never loads torch or models.
        analytics_kinds: the event kinds this exhibit records through ``ctx.analytics``
            (lowercase ``[a-z_]``, at most 32 characters), besides the runtime's own (visit
            start/end, visitors peak, touch). Declaring a new kind needs no database migration.
        report_charts: :class:`LabelChart` s for ``kiosk.py report`` (each of a declared kind);
            the runtime draws them without knowing the exhibit.
    """

    name: str
    title_ko: str
    title_en: str
    config_cls: type
    factory: str
    analytics_kinds: tuple[str, ...] = ()
    report_charts: tuple[LabelChart, ...] = ()

    def __post_init__(self) -> None:
        for kind in self.analytics_kinds:
            if not isinstance(kind, str) or not ANALYTICS_KIND_RE.fullmatch(kind):
                raise ValueError(f"exhibit {self.name!r}: analytics kind {kind!r} must be "
                                 f"lowercase a-z and _, 1..{ANALYTICS_KIND_MAX} characters")
        for chart in self.report_charts:
            if chart.kind not in self.analytics_kinds:
                raise ValueError(f"exhibit {self.name!r}: report chart {chart.file!r} counts "
                                 f"{chart.kind!r}, which is not one of its analytics_kinds")
            if not re.fullmatch(r"[a-z0-9_]{1,64}\.png", chart.file):
                raise ValueError(f"exhibit {self.name!r}: report chart file {chart.file!r} must "
                                 "be lowercase a-z, 0-9 and _ ending in .png")

    def create(self, ctx: ExhibitContext, settings: Any) -> Exhibit:
        module_name, _, cls_name = self.factory.partition(":")
        cls = getattr(importlib.import_module(module_name), cls_name)
        return cls(ctx, settings)
