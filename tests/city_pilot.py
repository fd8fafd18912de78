"""What the City tests share: a :class:`pilot.Pilot` on the City exhibit, landmark positions as
the exhibit projects them, walks through them, and recording doubles for sound and analytics.

Everything runs headless on the fake clock at small sizes, in safe mode unless a test asks for
the models (no model threads: the pictograms are the procedural drawings and the glow the numpy
texture), so frames are independent of thread timing and of trained weights.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from pilot import Pilot

from runtime.config import default_config
from runtime.events import VisitorEvent
from runtime.sources import ReplaySource

SIZE = (320, 180)
FPS = 60
ACC, CEMETERY, PARK, SUMMIT, SONGJEONG, STATION, GIST = range(7)


class FakeAudio:
    """Records chimes (the sound engine's API, silently)."""

    def __init__(self, fail: bool = False):
        self.calls: list[tuple[str, dict]] = []
        self.fail = fail

    def chime(self, name: str = "discover", velocity: float = 1.0, **kw) -> None:
        self.calls.append((name, kw))
        if self.fail:
            raise RuntimeError("sound card unplugged")


class FakeAnalytics:
    def __init__(self):
        self.events: list[tuple[str, str, str]] = []

    def record(self, kind: str, exhibit: str, value: float = 1.0, label: str = "") -> None:
        self.events.append((kind, exhibit, label))


def city_config(**city):
    cfg = default_config()
    settings = dataclasses.replace(cfg.exhibit("city"), **city)
    return dataclasses.replace(cfg, exhibits={**cfg.exhibits, "city": settings})


def city(events=(), *, size=SIZE, safe_mode=True, audio=None, analytics=None, cfg=None,
         **settings) -> Pilot:
    """A pilot pinned to City (``settings`` replace ``[exhibits.city]`` keys), with ``events``
    replayed from the first frame (each keeps its recorded source) and a
    :class:`FakeAnalytics` unless ``analytics`` is given (``pilot.kiosk.analytics``)."""
    sources = [ReplaySource(list(events), keep_source=True)] if events else []
    return Pilot(cfg or city_config(**settings), "city", size=size, sources=sources,
                 safe_mode=safe_mode, audio=audio, analytics=analytics or FakeAnalytics())


def landmark_pos(i: int, size=SIZE) -> tuple[float, float]:
    """Normalised screen position of landmark ``i`` as the exhibit projects it."""
    from exhibits.city.landmarks import read_landmarks
    from exhibits.city.projection import MapProjection
    from runtime.assets import ASSETS_DIR

    lms = read_landmarks(ASSETS_DIR / "landmarks" / "gwangju.csv")
    proj = MapProjection([lm.lat for lm in lms], [lm.lon for lm in lms], size)
    x, y = proj.to_screen(lms[i].lat, lms[i].lon)
    return float(x / size[0]), float(y / size[1])


def walk(vid: str, points, t0: float = 0.0, speed: float = 0.25, source: str = "camera",
         stay_s: float = 0.0, leave: bool = True) -> list[VisitorEvent]:
    """A visitor walking through ``points`` (normalised) at ``speed`` screen widths per s."""
    events = [VisitorEvent("enter", vid, source, points[0], t=t0, size=(0.06, 0.2))]
    t = t0
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        n = max(1, int(np.hypot(x1 - x0, y1 - y0) / speed * 30))
        for k in range(1, n + 1):
            t += 1 / 30
            u = k / n
            events.append(VisitorEvent("move", vid, source, (x0 + (x1 - x0) * u,
                                                             y0 + (y1 - y0) * u), t=t,
                                       size=(0.06, 0.2)))
    if stay_s:
        t += stay_s
        events.append(VisitorEvent("move", vid, source, points[-1], t=t, size=(0.06, 0.2)))
    if leave:
        events.append(VisitorEvent("leave", vid, source, points[-1], t=t + 1 / 30))
    return events
