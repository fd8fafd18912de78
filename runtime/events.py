"""One visitor event model for every input source.

Mouse, touch fingers, camera-tracked people, replayed recordings and simulated visitors all become
:class:`VisitorEvent` values: a visitor *enters*, *moves* and *leaves*, carries a stable
``visitor_id`` for its whole life, and has a position normalized to the screen (``0..1`` on both
axes, origin top-left), so exhibits never care which device a visitor came from.

Sources implement :class:`VisitorSource` (``start`` / ``stop`` / ``poll(now, emit)``); the post-
processing chain in :mod:`runtime.postproc` cleans their stream before an exhibit sees it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

EventKind = Literal["enter", "move", "leave"]
SourceName = Literal["mouse", "touch", "camera", "replay", "sim"]

EVENT_KINDS: tuple[str, ...] = ("enter", "move", "leave")
SOURCE_NAMES: tuple[str, ...] = ("mouse", "touch", "camera", "replay", "sim")
# What a visitor deliberately does on the glass (a finger, or the mouse standing in for one):
# these open the admin panel, answer calibration targets, count as touches and are recorded.
TOUCH_SOURCES: tuple[str, ...] = ("touch", "mouse")


@dataclass(frozen=True, slots=True)
class VisitorEvent:
    """A visitor entering, moving or leaving.

    Attributes:
        kind: ``"enter"`` (first event of a visitor), ``"move"`` or ``"leave"`` (last event).
        visitor_id: stable for the visitor's life, unique across sources, e.g. ``"touch:3"``,
            ``"mouse"``, ``"cam:12"``, ``"sim:4"``.
        source: the device family the visitor came from (see :data:`SOURCE_NAMES`).
        pos: ``(x, y)`` normalized to the screen, ``0..1``, origin top-left. Camera positions are
            already mapped through the calibration homography when an exhibit sees them.
        delta: ``(dx, dy)`` normalized movement since this visitor's previous event.
        t: event time in seconds on the kiosk clock (``time.perf_counter`` in a live kiosk, the
            fake clock in tests); used to measure input-to-present latency.
        size: optional ``(w, h)`` normalized extent (a tracked person's box, a finger's contact).
        from_touch: True for SDL's touch-synthesized mouse events; the pipeline drops them so a
            tap counts once.
    """

    kind: EventKind
    visitor_id: str
    source: SourceName
    pos: tuple[float, float]
    delta: tuple[float, float] = (0.0, 0.0)
    t: float = 0.0
    size: tuple[float, float] | None = None
    from_touch: bool = False

    def to_json(self) -> dict:
        """A JSON-ready dict (the JSONL recording format, one object per line)."""
        out = {
            "t": round(self.t, 6),
            "kind": self.kind,
            "id": self.visitor_id,
            "source": self.source,
            "x": round(self.pos[0], 6),
            "y": round(self.pos[1], 6),
        }
        if self.size is not None:
            out["w"], out["h"] = round(self.size[0], 6), round(self.size[1], 6)
        return out

    @classmethod
    def from_json(cls, obj: dict, *, source: SourceName | None = None) -> VisitorEvent:
        """Parse one recording line; raises ``ValueError`` naming the bad field."""
        kind = obj.get("kind")
        if kind not in EVENT_KINDS:
            raise ValueError(f"kind: must be one of {', '.join(EVENT_KINDS)}, got {kind!r}")
        try:
            x, y, t = float(obj["x"]), float(obj["y"]), float(obj["t"])
        except KeyError as missing:
            raise ValueError(f"{missing.args[0]}: missing") from None
        except (TypeError, ValueError):
            raise ValueError("x, y, t: must be numbers") from None
        if not all(math.isfinite(v) for v in (x, y, t)):
            raise ValueError("x, y, t: must be finite numbers")
        src = source or obj.get("source", "replay")
        if src not in SOURCE_NAMES:
            raise ValueError(f"source: must be one of {', '.join(SOURCE_NAMES)}, got {src!r}")
        size = None
        if "w" in obj and "h" in obj:
            size = (float(obj["w"]), float(obj["h"]))
        return cls(kind=kind, visitor_id=str(obj.get("id", "")), source=src, pos=(x, y),
                   t=t, size=size)


Emit = Callable[[VisitorEvent], None]


class VisitorSource(Protocol):
    """Anything that produces visitor events (mouse/touch, camera tracker, replay, simulation).

    ``poll`` is called once per frame from the render loop with the kiosk clock's ``now``
    (seconds); it must return quickly (never block on a device) and call ``emit`` for each event.
    """

    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def poll(self, now: float, emit: Emit) -> None: ...


def clamp01(v: float) -> float:
    """Clamp to the normalized screen range ``0..1``."""
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v
